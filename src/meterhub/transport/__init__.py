"""The asyncio edge of the protocol cores: one read loop, one wrapper-over-TCP connection, used by hes, sim and p1.

The cores are sans-io (:mod:`meterhub.dlms.sansio`, :mod:`meterhub.p1.receiver`); this package is where they
meet asyncio, in the way aioquic's thin ``asyncio/protocol.py`` drives its sans-io ``quic/connection.py``:
:func:`drive` feeds any core from an asynchronous byte source and hands its events over in order;
:class:`WrapperConnection` is a TCP connection of IEC 62056-47 wrapper frames (read loop, framing, connect and
idle timeouts) for the head-end's sessions, the simulator's meters and the push listener; :func:`serve_wrapper`
accepts them. It imports the DLMS stack and nothing of the platform (hes, sim, mdm, store, portal, cli).
"""

from meterhub.transport.drive import EventHandler, SansIoReceiver, drive
from meterhub.transport.wrapper import FrameHandler, TransportClosed, WrapperConnection, serve_wrapper

__all__ = [
    "EventHandler",
    "FrameHandler",
    "SansIoReceiver",
    "TransportClosed",
    "WrapperConnection",
    "drive",
    "serve_wrapper",
]
