"""Sans-io DLMS/COSEM protocol stack (IEC 62056-5-3, -6-2, -46, -47; DLMS UA Green Book).

Bytes go in, events come out: nothing in this package opens a socket, reads a clock or touches a database. Every
protocol core has the one shape of :mod:`meterhub.dlms.sansio` — ``receive_data`` / ``next_event`` (until
:data:`NEED_DATA`) / ``send`` / ``data_to_send`` — with its states in an explicit transition table; the asyncio
drivers are in :mod:`meterhub.transport`. Every error a peer can cause is raised as
:class:`meterhub.dlms.errors.DlmsError` (or a subclass), so callers driving the stack over asyncio need to catch
exactly one exception family; :class:`LocalProtocolError` and :class:`RemoteProtocolError` say whose fault it was.
"""

from meterhub.dlms.errors import (
    DecodeError,
    DlmsError,
    EncodeError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SecurityError,
)
from meterhub.dlms.sansio import NEED_DATA, NeedData

__all__ = [
    "NEED_DATA",
    "DecodeError",
    "DlmsError",
    "EncodeError",
    "LocalProtocolError",
    "NeedData",
    "ProtocolError",
    "RemoteProtocolError",
    "SecurityError",
]
