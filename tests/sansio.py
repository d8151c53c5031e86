"""Test helpers for the sans-io cores: ``receive_data``, then ``next_event`` until NEED_DATA (meterhub.dlms.sansio)."""

from __future__ import annotations

from typing import Any

from meterhub.dlms.sansio import NEED_DATA


def drain(core: Any, need_data: object = NEED_DATA) -> list[Any]:
    """Every event ``core`` has now (``next_event`` until its NEED_DATA)."""
    events = []
    while (event := core.next_event()) is not need_data:
        events.append(event)
    return events


def feed(core: Any, data: bytes, need_data: object = NEED_DATA) -> list[Any]:
    """``core.receive_data(data)``, then every event it completes. Empty ``data`` (a peer's empty
    ``data_to_send()`` shuttled across) is not passed on: to a byte-stream core ``b""`` means the end of the
    stream, which a test says with ``core.receive_data(b"")`` itself."""
    if data:
        core.receive_data(data)
    return drain(core, need_data)


def receive(association: Any, apdu: bytes) -> list[Any]:
    """``association.receive_data(apdu)`` (one whole APDU, even an empty one), then every event it completes."""
    association.receive_data(apdu)
    return drain(association)
