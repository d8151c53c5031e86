"""The web portal (DESIGN §2: server-rendered pages, Jinja2 + plotly): for now the operator's login, the fleet's
meters and one page per meter. A top layer: it reads through :mod:`meterhub.store` and :mod:`meterhub.mdm`."""

from meterhub.portal.app import create_app, serve
from meterhub.portal.auth import hash_password

__all__ = ["create_app", "hash_password", "serve"]
