"""ACSE APDUs and the xDLMS initiate exchange (Green Book §9.4, IEC 62056-5-3 §7; BER per ISO 8650).

AARQ (0x60), AARE (0x61), RLRQ (0x62) and RLRE (0x63) are BER-encoded; their user-information carries an
A-XDR xDLMS InitiateRequest (0x01) / InitiateResponse (0x08), plain or glo-ciphered (0x21 / 0x28). The
conformance block is the 24-bit BER BIT STRING ``5F 1F 04 00 xx xx xx`` (Green Book §9.4.6.1): bit 0 is the
most significant bit. Unknown optional AARQ/AARE components are skipped, as ISO 8650 asks of a receiver.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final, TypeVar

from meterhub.dlms.axdr import decode_length, encode_length
from meterhub.dlms.errors import DecodeError, EncodeError, encode_errors_as_encode_error

# OID prefixes: joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5) DLMS-UA(8)
# application-context(1) / authentication-mechanism-name(2), then the context or mechanism id.
_APP_CONTEXT_PREFIX: Final = bytes.fromhex("608574050801")
_MECHANISM_PREFIX: Final = bytes.fromhex("608574050802")


class ApplicationContext(IntEnum):
    """Application context names (Green Book §9.4.2.2.2)."""

    LN = 1
    SN = 2
    LN_CIPHERED = 3
    SN_CIPHERED = 4


class Mechanism(IntEnum):
    """Authentication mechanism names (Green Book §9.4.2.2.3)."""

    NONE = 0
    LOW = 1
    HIGH = 2
    HIGH_MD5 = 3
    HIGH_SHA1 = 4
    HIGH_GMAC = 5
    HIGH_SHA256 = 6
    HIGH_ECDSA = 7


class AssociationResult(IntEnum):
    """AARE result."""

    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


class AcseServiceUserDiagnostic(IntEnum):
    """result-source-diagnostic values when the source is acse-service-user."""

    NULL = 0
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AP_TITLE_NOT_RECOGNIZED = 3
    CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 4
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = 5
    CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 6
    CALLED_AP_TITLE_NOT_RECOGNIZED = 7
    CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 8
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = 9
    CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 10
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = 11
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = 12
    AUTHENTICATION_FAILURE = 13
    AUTHENTICATION_REQUIRED = 14


class Conformance(IntFlag):
    """The xDLMS conformance block (Green Book §9.4.6.1); bit n of the standard = 1 << (23 - n)."""

    GENERAL_PROTECTION = 1 << 22
    GENERAL_BLOCK_TRANSFER = 1 << 21
    READ = 1 << 20
    WRITE = 1 << 19
    UNCONFIRMED_WRITE = 1 << 18
    DELTA_VALUE_ENCODING = 1 << 17
    ATTRIBUTE0_SUPPORTED_WITH_SET = 1 << 15
    PRIORITY_MGMT_SUPPORTED = 1 << 14
    ATTRIBUTE0_SUPPORTED_WITH_GET = 1 << 13
    BLOCK_TRANSFER_WITH_GET_OR_READ = 1 << 12
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = 1 << 11
    BLOCK_TRANSFER_WITH_ACTION = 1 << 10
    MULTIPLE_REFERENCES = 1 << 9
    INFORMATION_REPORT = 1 << 8
    DATA_NOTIFICATION = 1 << 7
    ACCESS = 1 << 6
    PARAMETERIZED_ACCESS = 1 << 5
    GET = 1 << 4
    SET = 1 << 3
    SELECTIVE_ACCESS = 1 << 2
    EVENT_NOTIFICATION = 1 << 1
    ACTION = 1 << 0


# ------------------------------------------------------------------------------------ initiate
@dataclass(frozen=True, slots=True)
class InitiateRequest:
    """xDLMS InitiateRequest (tag 0x01), A-XDR."""

    conformance: int
    max_receive_pdu_size: int
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    proposed_quality_of_service: int | None = None
    dlms_version: int = 6

    def encode(self) -> bytes:
        out = bytearray(b"\x01")
        out += b"\x00" if self.dedicated_key is None else b"\x01" + encode_length(len(self.dedicated_key))
        if self.dedicated_key is not None:
            out += self.dedicated_key
        out += b"\x00" if self.response_allowed else b"\x01\x00"
        if self.proposed_quality_of_service is None:
            out += b"\x00"
        elif 0 <= self.proposed_quality_of_service <= 0xFF:
            out += bytes((1, self.proposed_quality_of_service))
        else:
            raise EncodeError("quality of service is one octet")
        try:
            out += bytes((self.dlms_version,)) + _conformance_bytes(self.conformance)
            out += struct.pack(">H", self.max_receive_pdu_size)
        except (struct.error, ValueError) as exc:
            raise EncodeError(f"initiate request field out of range: {self}") from exc
        return bytes(out)

    @classmethod
    def decode(cls, buf: bytes) -> InitiateRequest:
        if not buf or buf[0] != 0x01:
            raise DecodeError("not an InitiateRequest")
        pos = 1
        key: bytes | None = None
        flag, pos = _u8(buf, pos)
        if flag == 1:
            n, pos = decode_length(buf, pos)
            key, pos = _take(buf, pos, n)
        elif flag != 0:
            raise DecodeError("bad dedicated-key flag")
        flag, pos = _u8(buf, pos)
        response_allowed = True
        if flag == 1:
            value, pos = _u8(buf, pos)
            response_allowed = value != 0
        elif flag != 0:
            raise DecodeError("bad response-allowed flag")
        flag, pos = _u8(buf, pos)
        qos = None
        if flag == 1:
            qos, pos = _u8(buf, pos)
        elif flag != 0:
            raise DecodeError("bad quality-of-service flag")
        version, pos = _u8(buf, pos)
        conformance, pos = _decode_conformance(buf, pos)
        raw, pos = _take(buf, pos, 2)
        if pos != len(buf):
            raise DecodeError("trailing bytes after InitiateRequest")
        return cls(conformance, int.from_bytes(raw, "big"), key, response_allowed, qos, version)


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    """xDLMS InitiateResponse (tag 0x08), A-XDR. ``vaa_name`` 0x0007 for LN referencing."""

    conformance: int
    max_receive_pdu_size: int
    negotiated_quality_of_service: int | None = None
    dlms_version: int = 6
    vaa_name: int = 0x0007

    def encode(self) -> bytes:
        out = bytearray(b"\x08")
        if self.negotiated_quality_of_service is None:
            out += b"\x00"
        elif 0 <= self.negotiated_quality_of_service <= 0xFF:
            out += bytes((1, self.negotiated_quality_of_service))
        else:
            raise EncodeError("quality of service is one octet")
        try:
            out += bytes((self.dlms_version,)) + _conformance_bytes(self.conformance)
            out += struct.pack(">HH", self.max_receive_pdu_size, self.vaa_name)
        except (struct.error, ValueError) as exc:
            raise EncodeError(f"initiate response field out of range: {self}") from exc
        return bytes(out)

    @classmethod
    def decode(cls, buf: bytes) -> InitiateResponse:
        if not buf or buf[0] != 0x08:
            raise DecodeError("not an InitiateResponse")
        flag, pos = _u8(buf, 1)
        qos = None
        if flag == 1:
            qos, pos = _u8(buf, pos)
        elif flag != 0:
            raise DecodeError("bad quality-of-service flag")
        version, pos = _u8(buf, pos)
        conformance, pos = _decode_conformance(buf, pos)
        raw, pos = _take(buf, pos, 4)
        if pos != len(buf):
            raise DecodeError("trailing bytes after InitiateResponse")
        pdu, vaa = struct.unpack(">HH", raw)
        return cls(conformance, pdu, qos, version, vaa)


def _conformance_bytes(conformance: int) -> bytes:
    if not 0 <= conformance < 1 << 24:
        raise EncodeError("conformance block is 24 bits")
    return b"\x5f\x1f\x04\x00" + conformance.to_bytes(3, "big")


def _decode_conformance(buf: bytes, pos: int) -> tuple[int, int]:
    raw, pos = _take(buf, pos, 7)
    if raw[:4] != b"\x5f\x1f\x04\x00":
        raise DecodeError("conformance block must be 5F 1F 04 00 + 3 octets")
    return int.from_bytes(raw[4:], "big"), pos


def _u8(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise DecodeError("truncated APDU")
    return buf[pos], pos + 1


def _take(buf: bytes, pos: int, n: int) -> tuple[bytes, int]:
    if pos + n > len(buf):
        raise DecodeError("truncated APDU")
    return buf[pos : pos + n], pos + n


# ------------------------------------------------------------------------------------------ BER
def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(value)) + value


def _parse_tlvs(buf: bytes, what: str) -> list[tuple[int, bytes]]:
    """Split a BER constructed value's contents into (tag, value) pairs (single-octet tags only)."""
    out = []
    pos = 0
    while pos < len(buf):
        tag = buf[pos]
        if tag & 0x1F == 0x1F:
            raise DecodeError(f"{what}: multi-octet BER tags are not used by DLMS")
        n, pos = decode_length(buf, pos + 1)
        value, pos = _take(buf, pos, n)
        out.append((tag, value))
    return out


def _outer(buf: bytes, tag: int, what: str) -> bytes:
    if not buf or buf[0] != tag:
        raise DecodeError(f"not an {what}")
    n, pos = decode_length(buf, 1)
    value, end = _take(buf, pos, n)
    if end != len(buf):
        raise DecodeError(f"trailing bytes after {what}")
    return value


def _oid_value(tag: int, prefix: bytes, value: int) -> bytes:
    return _tlv(tag, _tlv(0x06, prefix + bytes((value,))))


def _parse_oid(content: bytes, prefix: bytes, what: str, wrapped: bool) -> int:
    if wrapped:
        inner = _parse_tlvs(content, what)
        if len(inner) != 1 or inner[0][0] != 0x06:
            raise DecodeError(f"{what} must be one OBJECT IDENTIFIER")
        content = inner[0][1]
    if len(content) != len(prefix) + 1 or not content.startswith(prefix):
        raise DecodeError(f"{what} is not a DLMS UA name")
    return content[-1]


def _ap_title(tag: int, title: bytes) -> bytes:
    return _tlv(tag, _tlv(0x04, title))


def _parse_ap_title(content: bytes, what: str) -> bytes:
    inner = _parse_tlvs(content, what)
    if len(inner) != 1 or inner[0][0] != 0x04:
        raise DecodeError(f"{what} must be an OCTET STRING")
    return inner[0][1]


def _auth_value(tag: int, value: bytes) -> bytes:
    return _tlv(tag, _tlv(0x80, value))


def _parse_auth_value(content: bytes) -> bytes:
    inner = _parse_tlvs(content, "authentication-value")
    if len(inner) != 1 or inner[0][0] not in (0x80, 0x81):
        raise DecodeError("authentication-value must be a charstring or bitstring")
    return inner[0][1]


def _user_information(initiate: bytes) -> bytes:
    return _tlv(0xBE, _tlv(0x04, initiate))


def _parse_user_information(content: bytes) -> bytes:
    inner = _parse_tlvs(content, "user-information")
    if len(inner) != 1 or inner[0][0] != 0x04:
        raise DecodeError("user-information must be an OCTET STRING")
    return inner[0][1]


def _integer(content: bytes, what: str) -> int:
    inner = _parse_tlvs(content, what)
    if len(inner) != 1 or inner[0][0] != 0x02 or not 1 <= len(inner[0][1]) <= 2:
        raise DecodeError(f"{what} must be a small INTEGER")
    return int.from_bytes(inner[0][1], "big")


_ACSE_REQUIREMENTS_AUTH: Final = bytes.fromhex("0780")  # BIT STRING, 7 unused bits, bit 0 = authentication


# ----------------------------------------------------------------------------------------- AARQ/AARE
@dataclass(frozen=True, slots=True)
class Aarq:
    """A-ASSOCIATE request. ``user_information`` is the (plain or ciphered) xDLMS initiate request APDU."""

    application_context: ApplicationContext = ApplicationContext.LN
    calling_ap_title: bytes | None = None
    mechanism: Mechanism | None = None
    calling_authentication_value: bytes | None = None
    user_information: bytes | None = None

    def encode(self) -> bytes:
        body = _oid_value(0xA1, _APP_CONTEXT_PREFIX, self.application_context)
        if self.calling_ap_title is not None:
            body += _ap_title(0xA6, self.calling_ap_title)
        if self.mechanism is not None and self.mechanism != Mechanism.NONE:
            body += _tlv(0x8A, _ACSE_REQUIREMENTS_AUTH)
            body += _tlv(0x8B, _MECHANISM_PREFIX + bytes((self.mechanism,)))
        if self.calling_authentication_value is not None:
            body += _auth_value(0xAC, self.calling_authentication_value)
        if self.user_information is not None:
            body += _user_information(self.user_information)
        return _tlv(0x60, body)

    @classmethod
    def decode(cls, buf: bytes) -> Aarq:
        context: ApplicationContext | None = None
        title = auth = user = None
        mechanism: Mechanism | None = None
        for tag, value in _parse_tlvs(_outer(buf, 0x60, "AARQ"), "AARQ"):
            if tag == 0xA1:
                context = _enum(ApplicationContext, _parse_oid(value, _APP_CONTEXT_PREFIX, "context", True))
            elif tag == 0xA6:
                title = _parse_ap_title(value, "calling-AP-title")
            elif tag == 0x8B:
                mechanism = _enum(Mechanism, _parse_oid(value, _MECHANISM_PREFIX, "mechanism", False))
            elif tag == 0xAC:
                auth = _parse_auth_value(value)
            elif tag == 0xBE:
                user = _parse_user_information(value)
            # protocol-version (80), called-* (A2..A5), calling-AE-* (A7..A9), acse-requirements (8A) and
            # implementation-information (BD) carry nothing DLMS needs: accepted and skipped.
        if context is None:
            raise DecodeError("AARQ without application-context-name")
        return cls(context, title, mechanism, auth, user)


@dataclass(frozen=True, slots=True)
class Aare:
    """A-ASSOCIATE response."""

    application_context: ApplicationContext
    result: AssociationResult
    diagnostic: int = 0
    diagnostic_source: int = 1  # 1 acse-service-user, 2 acse-service-provider
    responding_ap_title: bytes | None = None
    mechanism: Mechanism | None = None
    responding_authentication_value: bytes | None = None
    user_information: bytes | None = None

    def encode(self) -> bytes:
        body = _oid_value(0xA1, _APP_CONTEXT_PREFIX, self.application_context)
        body += _tlv(0xA2, _tlv(0x02, bytes((self.result,))))
        source_tag = 0xA1 if self.diagnostic_source == 1 else 0xA2
        body += _tlv(0xA3, _tlv(source_tag, _tlv(0x02, bytes((self.diagnostic,)))))
        if self.responding_ap_title is not None:
            body += _ap_title(0xA4, self.responding_ap_title)
        if self.mechanism is not None and self.mechanism != Mechanism.NONE:
            body += _tlv(0x88, _ACSE_REQUIREMENTS_AUTH)
            body += _tlv(0x89, _MECHANISM_PREFIX + bytes((self.mechanism,)))
        if self.responding_authentication_value is not None:
            body += _auth_value(0xAA, self.responding_authentication_value)
        if self.user_information is not None:
            body += _user_information(self.user_information)
        return _tlv(0x61, body)

    @classmethod
    def decode(cls, buf: bytes) -> Aare:
        context: ApplicationContext | None = None
        result: AssociationResult | None = None
        diagnostic, source = 0, 1
        title = auth = user = None
        mechanism: Mechanism | None = None
        for tag, value in _parse_tlvs(_outer(buf, 0x61, "AARE"), "AARE"):
            if tag == 0xA1:
                context = _enum(ApplicationContext, _parse_oid(value, _APP_CONTEXT_PREFIX, "context", True))
            elif tag == 0xA2:
                result = _enum(AssociationResult, _integer(value, "result"))
            elif tag == 0xA3:
                inner = _parse_tlvs(value, "result-source-diagnostic")
                if len(inner) != 1 or inner[0][0] not in (0xA1, 0xA2):
                    raise DecodeError("bad result-source-diagnostic")
                source = 1 if inner[0][0] == 0xA1 else 2
                diagnostic = _integer(inner[0][1], "diagnostic")
            elif tag == 0xA4:
                title = _parse_ap_title(value, "responding-AP-title")
            elif tag == 0x89:
                mechanism = _enum(Mechanism, _parse_oid(value, _MECHANISM_PREFIX, "mechanism", False))
            elif tag == 0xAA:
                auth = _parse_auth_value(value)
            elif tag == 0xBE:
                user = _parse_user_information(value)
        if context is None or result is None:
            raise DecodeError("AARE without application-context-name or result")
        return cls(context, result, diagnostic, source, title, mechanism, auth, user)


@dataclass(frozen=True, slots=True)
class Rlrq:
    """A-RELEASE request: reason (0 normal) and optional user-information."""

    reason: int | None = 0
    user_information: bytes | None = None

    def encode(self) -> bytes:
        return _release_encode(0x62, self.reason, self.user_information)

    @classmethod
    def decode(cls, buf: bytes) -> Rlrq:
        reason, user = _release_fields(_outer(buf, 0x62, "RLRQ"))
        return cls(reason, user)


@dataclass(frozen=True, slots=True)
class Rlre:
    """A-RELEASE response: reason (0 normal) and optional user-information."""

    reason: int | None = 0
    user_information: bytes | None = None

    def encode(self) -> bytes:
        return _release_encode(0x63, self.reason, self.user_information)

    @classmethod
    def decode(cls, buf: bytes) -> Rlre:
        reason, user = _release_fields(_outer(buf, 0x63, "RLRE"))
        return cls(reason, user)


def _release_encode(tag: int, reason: int | None, user_information: bytes | None) -> bytes:
    """RLRQ / RLRE: [APPLICATION tag] { reason [0] OPTIONAL, user-information [30] OPTIONAL }."""
    body = b"" if reason is None else _tlv(0x80, bytes((reason,)))
    if user_information is not None:
        body += _user_information(user_information)
    return _tlv(tag, body)


def _release_fields(content: bytes) -> tuple[int | None, bytes | None]:
    reason = user = None
    for tag, value in _parse_tlvs(content, "release"):
        if tag == 0x80:
            if len(value) != 1:
                raise DecodeError("release reason must be one octet")
            reason = value[0]
        elif tag == 0xBE:
            user = _parse_user_information(value)
    return reason, user


AcseApdu = Aarq | Aare | Rlrq | Rlre


for _cls in (Aarq, Aare, Rlrq, Rlre, InitiateRequest, InitiateResponse):
    encode_errors_as_encode_error(_cls)


_E = TypeVar("_E", bound=IntEnum)


def _enum(cls: type[_E], value: int) -> _E:
    try:
        return cls(value)
    except ValueError as exc:
        raise DecodeError(f"unknown {cls.__name__} {value}") from exc


def decode_acse(buf: bytes) -> AcseApdu:
    """Decode an ACSE APDU (AARQ, AARE, RLRQ, RLRE)."""
    if not buf:
        raise DecodeError("empty APDU")
    tag = buf[0]
    if tag == 0x60:
        return Aarq.decode(buf)
    if tag == 0x61:
        return Aare.decode(buf)
    if tag == 0x62:
        return Rlrq.decode(buf)
    if tag == 0x63:
        return Rlre.decode(buf)
    raise DecodeError(f"not an ACSE APDU: tag 0x{tag:02X}")


def is_acse(buf: bytes) -> bool:
    """True when ``buf`` starts with an ACSE tag."""
    return bool(buf) and 0x60 <= buf[0] <= 0x63
