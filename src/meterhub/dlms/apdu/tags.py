"""xDLMS APDU tags and result codes (Green Book §9.5, "xDLMS-APDU ::= CHOICE"; IEC 62056-5-3 §8).

The first octet of every APDU (:class:`Tag`), the maps between a plain tag and its service-specific ciphered
forms (global and dedicated key), and the enumerations a peer answers with: Data-Access-Result (get/set),
Action-Result (action) and the state-error / service-error pair of exception-response.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from meterhub.dlms.errors import DecodeError


class Tag(IntEnum):
    """First octet of every xDLMS APDU (Green Book §9.5, "xDLMS-APDU ::= CHOICE")."""

    INITIATE_REQUEST = 1
    INITIATE_RESPONSE = 8
    CONFIRMED_SERVICE_ERROR = 14
    DATA_NOTIFICATION = 15
    GLO_INITIATE_REQUEST = 33
    GLO_INITIATE_RESPONSE = 40
    GLO_CONFIRMED_SERVICE_ERROR = 46
    AARQ = 0x60
    AARE = 0x61
    RLRQ = 0x62
    RLRE = 0x63
    GET_REQUEST = 0xC0
    SET_REQUEST = 0xC1
    EVENT_NOTIFICATION_REQUEST = 0xC2
    ACTION_REQUEST = 0xC3
    GET_RESPONSE = 0xC4
    SET_RESPONSE = 0xC5
    ACTION_RESPONSE = 0xC7
    GLO_GET_REQUEST = 0xC8
    GLO_SET_REQUEST = 0xC9
    GLO_EVENT_NOTIFICATION_REQUEST = 0xCA
    GLO_ACTION_REQUEST = 0xCB
    GLO_GET_RESPONSE = 0xCC
    GLO_SET_RESPONSE = 0xCD
    GLO_ACTION_RESPONSE = 0xCF
    DED_GET_REQUEST = 0xD0
    DED_SET_REQUEST = 0xD1
    DED_EVENT_NOTIFICATION_REQUEST = 0xD2
    DED_ACTION_REQUEST = 0xD3
    DED_GET_RESPONSE = 0xD4
    DED_SET_RESPONSE = 0xD5
    DED_ACTION_RESPONSE = 0xD7
    EXCEPTION_RESPONSE = 0xD8
    GENERAL_GLO_CIPHERING = 0xDB
    GENERAL_DED_CIPHERING = 0xDC
    GENERAL_BLOCK_TRANSFER = 0xE0


#: plain APDU tag -> its service-specific global-key ciphered tag (and back).
GLO_TAG: Final[dict[int, int]] = {
    Tag.INITIATE_REQUEST: Tag.GLO_INITIATE_REQUEST,
    Tag.INITIATE_RESPONSE: Tag.GLO_INITIATE_RESPONSE,
    Tag.CONFIRMED_SERVICE_ERROR: Tag.GLO_CONFIRMED_SERVICE_ERROR,
    Tag.GET_REQUEST: Tag.GLO_GET_REQUEST,
    Tag.SET_REQUEST: Tag.GLO_SET_REQUEST,
    Tag.EVENT_NOTIFICATION_REQUEST: Tag.GLO_EVENT_NOTIFICATION_REQUEST,
    Tag.ACTION_REQUEST: Tag.GLO_ACTION_REQUEST,
    Tag.GET_RESPONSE: Tag.GLO_GET_RESPONSE,
    Tag.SET_RESPONSE: Tag.GLO_SET_RESPONSE,
    Tag.ACTION_RESPONSE: Tag.GLO_ACTION_RESPONSE,
}


#: plain APDU tag -> its service-specific dedicated-key ciphered tag.
DED_TAG: Final[dict[int, int]] = {
    Tag.GET_REQUEST: Tag.DED_GET_REQUEST,
    Tag.SET_REQUEST: Tag.DED_SET_REQUEST,
    Tag.EVENT_NOTIFICATION_REQUEST: Tag.DED_EVENT_NOTIFICATION_REQUEST,
    Tag.ACTION_REQUEST: Tag.DED_ACTION_REQUEST,
    Tag.GET_RESPONSE: Tag.DED_GET_RESPONSE,
    Tag.SET_RESPONSE: Tag.DED_SET_RESPONSE,
    Tag.ACTION_RESPONSE: Tag.DED_ACTION_RESPONSE,
}


PLAIN_TAG_OF_GLO: Final[dict[int, int]] = {v: k for k, v in GLO_TAG.items()}


PLAIN_TAG_OF_DED: Final[dict[int, int]] = {v: k for k, v in DED_TAG.items()}


class DataAccessResult(IntEnum):
    """Data-Access-Result (Green Book §9.5): outcome of one get/set of an attribute."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(IntEnum):
    """Action-Result (Green Book §9.5): outcome of one method invocation."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


class StateError(IntEnum):
    """exception-response state-error."""

    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceError(IntEnum):
    """exception-response service-error."""

    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


def _data_access_result(code: int) -> DataAccessResult:
    try:
        return DataAccessResult(code)
    except ValueError as exc:
        raise DecodeError(f"unknown data-access-result {code}") from exc


def _action_result(code: int) -> ActionResult:
    try:
        return ActionResult(code)
    except ValueError as exc:
        raise DecodeError(f"unknown action-result {code}") from exc
