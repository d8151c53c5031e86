"""meterhub: an open-source national smart-meter platform.

The package is layered (see ``docs/architecture.md``): ``meterhub.dlms`` is the sans-io DLMS/COSEM protocol
stack, ``meterhub.cosem`` the object model on top of it, and the platform layers (head-end, meter data
management, API, portals) stand on those two.
"""

__version__ = "0.1.0"
