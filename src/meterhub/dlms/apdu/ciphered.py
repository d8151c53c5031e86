"""Ciphered APDU carriers (Green Book §9.2.7, §9.3; IEC 62056-5-3 §8), each decoder beside its encoder.

Service-specific glo- and ded-ciphered APDUs (``C8``…``D7``: the plain APDU's tag mapped, see
:data:`~meterhub.dlms.apdu.GLO_TAG`), general-glo-ciphering (``DB``) and general-ded-ciphering (``DC``) with
the sender's system title. The ciphered content itself (SC ‖ IC ‖ ciphertext ‖ tag) is
:mod:`meterhub.dlms.security`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from meterhub.dlms.apdu.fields import (
    _encode_octets,
    _end,
    _octets,
)
from meterhub.dlms.apdu.tags import (
    PLAIN_TAG_OF_DED,
    Tag,
)


@dataclass(frozen=True, slots=True)
class ServiceSpecificCiphered:
    """Service-specific glo- or ded- ciphered APDU: tag ‖ length ‖ SC ‖ IC ‖ ciphertext ‖ tag."""

    tag: int
    ciphered_content: bytes

    def encode(self) -> bytes:
        return bytes((self.tag,)) + _encode_octets(self.ciphered_content)

    @property
    def dedicated(self) -> bool:
        return self.tag in PLAIN_TAG_OF_DED


@dataclass(frozen=True, slots=True)
class GeneralGloCiphering:
    """general-glo-ciphering (DB): system title of the ciphering party ‖ ciphered content."""

    system_title: bytes
    ciphered_content: bytes

    def encode(self) -> bytes:
        return (
            bytes((Tag.GENERAL_GLO_CIPHERING,))
            + _encode_octets(self.system_title)
            + _encode_octets(self.ciphered_content)
        )


@dataclass(frozen=True, slots=True)
class GeneralDedCiphering:
    """general-ded-ciphering (DC): same layout as general-glo-ciphering, dedicated key."""

    system_title: bytes
    ciphered_content: bytes

    def encode(self) -> bytes:
        return (
            bytes((Tag.GENERAL_DED_CIPHERING,))
            + _encode_octets(self.system_title)
            + _encode_octets(self.ciphered_content)
        )


def _decode_general_ciphering(buf: bytes) -> GeneralGloCiphering | GeneralDedCiphering:
    title, pos = _octets(buf, 1)
    content, pos = _octets(buf, pos)
    _end(buf, pos, "general ciphering")
    if buf[0] == Tag.GENERAL_GLO_CIPHERING:
        return GeneralGloCiphering(title, content)
    return GeneralDedCiphering(title, content)


def _decode_service_specific(buf: bytes) -> ServiceSpecificCiphered:
    content, pos = _octets(buf, 1)
    _end(buf, pos, "ciphered APDU")
    return ServiceSpecificCiphered(buf[0], content)
