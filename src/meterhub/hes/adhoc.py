"""The field engineer's ad-hoc read (``meterhub read``): a few objects of one meter, shown with units.

As head-end tools do in the field, it first reads the meter's invocation counter 0.0.43.1.0.255 with the
public client (SAP 16, no security), then opens the management association (SAP 1, HLS-GMAC) with a counter
above it, so an ad-hoc read never trips the meter's anti-replay guard. Objects are named by OBIS code; their
interface class comes from the national profile, or is given explicitly as ``CLASS/OBIS/ATTRIBUTE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from meterhub.cosem import ClassId, Obis, ScalerUnit, Unit, attribute, profile_object
from meterhub.cosem import obis as o
from meterhub.cosem.classes import DataAttribute, RegisterAttribute
from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import ClientAssociation, ClientSettings
from meterhub.dlms.axdr import datetime_from_octets
from meterhub.dlms.errors import DlmsError
from meterhub.dlms.security import CipherKeys
from meterhub.hes.session import HesError, MeterSession, WrapperConnection, attribute_ref

#: The head-end's own system title ("MHB" + 5 octets): the client side of every ciphered association.
HES_SYSTEM_TITLE = b"MHB\x00\x00\x00\x00\x01"
#: 0.0.43.1.0.255 value (class 1 Data): the management key set's invocation counter, public to read.
INVOCATION_COUNTER_VALUE: Final = attribute_ref(attribute(o.INVOCATION_COUNTER, DataAttribute.VALUE))
#: Classes whose value comes with a scaler_unit (attribute 3): Register and Extended register.
_SCALED: Final = frozenset({ClassId.REGISTER, ClassId.EXTENDED_REGISTER})


@dataclass(frozen=True)
class ObjectRef:
    """What to read: class, logical name, attribute."""

    class_id: int
    obis: Obis
    attribute: int = RegisterAttribute.VALUE  # 2, the value attribute of Data, Register and their kin

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """``1.0.1.8.0.255`` / ``1-0:1.8.0`` (class from the national profile) or ``3/1.0.1.8.0.255/2``."""
        parts = text.split("/")
        if len(parts) == 3:
            return cls(int(parts[0]), Obis.parse(parts[1]), int(parts[2]))
        if len(parts) != 1:
            raise ValueError(f"{text!r}: give OBIS or CLASS/OBIS/ATTRIBUTE")
        obis = Obis.parse(text)
        try:
            return cls(profile_object(obis).class_id, obis)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{obis} is not in the national profile: give CLASS/OBIS/ATTRIBUTE") from exc

    def ref(self, attribute: int | None = None) -> A.AttributeRef:
        return A.AttributeRef(self.class_id, self.obis.to_bytes(), self.attribute if attribute is None else attribute)


def describe(value: Any, scaler_unit: ScalerUnit | None = None) -> str:
    """A value as a person reads it: dates as ISO 8601, registers with their unit."""
    if isinstance(value, bytes) and len(value) == 12:
        try:
            return datetime_from_octets(value).isoformat()
        except DlmsError:
            pass
    if isinstance(value, bytes):
        text = value.decode("latin-1")
        return text if text.isprintable() else value.hex().upper()
    if scaler_unit is not None and isinstance(value, int) and not isinstance(value, bool):
        return f"{scaler_unit.apply(value)} {scaler_unit.unit.symbol}"
    if isinstance(value, list):
        return f"{len(value)} entries" + (f", last {describe(value[-1])}" if value else "")
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    return str(value)


async def read_counter(host: str, port: int, wport: int = 1, timeout: float = 10.0) -> int:
    """The meter's management invocation counter, read with the public client."""
    connection = await WrapperConnection.open(host, port, timeout)
    try:
        session = MeterSession(connection, ClientAssociation(ClientSettings()), 16, wport, timeout)
        await session.associate()
        value = await session.get(INVOCATION_COUNTER_VALUE)
        await session.release()
        return int(value)
    finally:
        await connection.close()


async def read_objects(
    host: str,
    port: int,
    keys: CipherKeys,
    objects: list[ObjectRef],
    wport: int = 1,
    timeout: float = 10.0,
) -> list[tuple[ObjectRef, str]]:
    """Read ``objects`` over the management association; registers are shown scaled with their unit."""
    counter = await read_counter(host, port, wport, timeout) + 1
    connection = await WrapperConnection.open(host, port, timeout)
    out: list[tuple[ObjectRef, str]] = []
    try:
        client = ClientAssociation(
            ClientSettings(
                authentication=Mechanism.HIGH_GMAC,
                keys=keys,
                system_title=HES_SYSTEM_TITLE,
                invocation_counter=counter,
            )
        )
        session = MeterSession(connection, client, 1, wport, timeout)
        await session.associate()
        try:
            for obj in objects:
                try:
                    value = await session.get(obj.ref())
                    scaler_unit = None
                    if obj.class_id in _SCALED and obj.attribute == RegisterAttribute.VALUE:
                        raw = await session.get(obj.ref(RegisterAttribute.SCALER_UNIT))
                        scaler_unit = ScalerUnit(int(raw[0]), Unit.from_code(int(raw[1])))
                    out.append((obj, describe(value, scaler_unit)))
                except HesError as exc:
                    if exc.kind != "access":
                        raise
                    out.append((obj, f"not readable ({exc})"))
        finally:
            await session.release()
    finally:
        await connection.close()
    return out
