"""Short display names of the channels a meter's data is stored under, by OBIS code: ``Import A+`` for
1.0.1.8.0.255, ``Export A−`` for 1.0.2.8.0.255, the reactive and tariff registers, and the M-Bus master value
0.b.24.2.1.255 of channel b (named after the sub-meter's medium when it is known). :func:`channel_label` adds
the code without its F group, e.g. ``Import A+ (1.0.1.8.0)``: what charts, tables and listings show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from meterhub.cosem.obis import Obis, ObisError

_REGISTERS: Final[Mapping[tuple[int, int], str]] = {
    (1, 0): "Import A+",
    (2, 0): "Export A−",
    (3, 0): "Reactive import R+",
    (4, 0): "Reactive export R−",
    (1, 1): "Import A+ tariff 1",
    (1, 2): "Import A+ tariff 2",
    (2, 1): "Export A− tariff 1",
    (2, 2): "Export A− tariff 2",
}


def short_code(obis: Obis | str) -> str:
    """``A.B.C.D.E`` (the F group dropped when it is 255, as tables write it); the text itself if unparsable."""
    try:
        code = Obis.coerce(obis)
    except ObisError:
        return str(obis)
    text = f"{code.a}.{code.b}.{code.c}.{code.d}.{code.e}"
    return text if code.f == 255 else f"{text}.{code.f}"


def channel_name(obis: Obis | str, medium: str | None = None) -> str:
    """The channel's short name (see the module docstring); the OBIS text for a code without one."""
    try:
        code = Obis.coerce(obis)
    except ObisError:
        return str(obis)
    if code.a == 1 and code.b == 0 and code.d == 8 and (code.c, code.e) in _REGISTERS:
        return _REGISTERS[(code.c, code.e)]
    if code.a == 0 and 1 <= code.b <= 4 and (code.c, code.d) == (24, 2):
        what = medium.capitalize() if medium and medium != "electricity" else "M-Bus value"
        return f"{what}, M-Bus channel {code.b}"
    return short_code(code)


def channel_label(obis: Obis | str, medium: str | None = None) -> str:
    """``name (A.B.C.D.E)``, e.g. ``Import A+ (1.0.1.8.0)``."""
    name, code = channel_name(obis, medium), short_code(obis)
    return name if name == code else f"{name} ({code})"


__all__ = ["channel_label", "channel_name", "short_code"]
