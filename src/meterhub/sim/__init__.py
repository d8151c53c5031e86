"""The meter simulator (DESIGN §2): deterministic household, sub-meter, event and fault models
(:mod:`meterhub.sim.consumption`), simulated meters of the national profile served as DLMS servers, and the fleet
around them; it builds on :mod:`meterhub.dlms` and :mod:`meterhub.cosem` and never imports the head-end, the MDM
or the store.
"""
