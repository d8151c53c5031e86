"""Every xDLMS APDU as one union, and the decoder that picks the right one by tag (Green Book §9.5).

:data:`XdlmsApdu` is the union of the APDU classes of every service module (get, set, action, notifications,
block transfer, refusals, ciphered carriers); :func:`decode_xdlms` dispatches on the first octet to the decoder
beside each class. Every APDU's ``encode`` raises only :class:`~meterhub.dlms.errors.EncodeError` (a field out
of range surfaces from ``struct`` as ValueError, OverflowError or struct.error; it is converted here, once for
all classes), and every decoder only :class:`~meterhub.dlms.errors.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from meterhub.dlms.apdu.action import (
    ActionRequestNextPblock,
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithList,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithPblock,
    _decode_action_request,
    _decode_action_response,
)
from meterhub.dlms.apdu.block_transfer import GeneralBlockTransfer, _decode_gbt
from meterhub.dlms.apdu.ciphered import (
    GeneralDedCiphering,
    GeneralGloCiphering,
    ServiceSpecificCiphered,
    _decode_general_ciphering,
    _decode_service_specific,
)
from meterhub.dlms.apdu.descriptors import AttributeRef, MethodRef
from meterhub.dlms.apdu.exception import (
    ConfirmedServiceError,
    ExceptionResponse,
    _decode_confirmed_service_error,
    _decode_exception,
)
from meterhub.dlms.apdu.get import (
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    _decode_get_request,
    _decode_get_response,
)
from meterhub.dlms.apdu.notification import (
    DataNotification,
    EventNotificationRequest,
    _decode_data_notification,
    _decode_event_notification,
)
from meterhub.dlms.apdu.set import (
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
    _decode_set_request,
    _decode_set_response,
)
from meterhub.dlms.apdu.tags import PLAIN_TAG_OF_DED, PLAIN_TAG_OF_GLO, Tag
from meterhub.dlms.errors import DecodeError, EncodeError, encode_errors_as_encode_error

XdlmsApdu = (
    GetRequestNormal
    | GetRequestNext
    | GetRequestWithList
    | GetResponseNormal
    | GetResponseWithDatablock
    | GetResponseWithList
    | SetRequestNormal
    | SetRequestWithFirstDatablock
    | SetRequestWithDatablock
    | SetRequestWithList
    | SetResponseNormal
    | SetResponseDatablock
    | SetResponseLastDatablock
    | SetResponseWithList
    | ActionRequestNormal
    | ActionRequestNextPblock
    | ActionRequestWithList
    | ActionRequestWithFirstPblock
    | ActionRequestWithPblock
    | ActionResponseNormal
    | ActionResponseWithPblock
    | ActionResponseWithList
    | ActionResponseNextPblock
    | EventNotificationRequest
    | DataNotification
    | GeneralBlockTransfer
    | ExceptionResponse
    | ConfirmedServiceError
    | ServiceSpecificCiphered
    | GeneralGloCiphering
    | GeneralDedCiphering
)


for _cls in XdlmsApdu.__args__:
    encode_errors_as_encode_error(_cls)


for _cls in (AttributeRef, MethodRef):
    encode_errors_as_encode_error(_cls)


_XDLMS_DECODERS: Final[dict[int, Callable[[bytes], XdlmsApdu]]] = {
    Tag.GET_REQUEST: _decode_get_request,
    Tag.GET_RESPONSE: _decode_get_response,
    Tag.SET_REQUEST: _decode_set_request,
    Tag.SET_RESPONSE: _decode_set_response,
    Tag.ACTION_REQUEST: _decode_action_request,
    Tag.ACTION_RESPONSE: _decode_action_response,
    Tag.EVENT_NOTIFICATION_REQUEST: _decode_event_notification,
    Tag.DATA_NOTIFICATION: _decode_data_notification,
    Tag.GENERAL_BLOCK_TRANSFER: _decode_gbt,
    Tag.EXCEPTION_RESPONSE: _decode_exception,
    Tag.CONFIRMED_SERVICE_ERROR: _decode_confirmed_service_error,
    Tag.GENERAL_GLO_CIPHERING: _decode_general_ciphering,
    Tag.GENERAL_DED_CIPHERING: _decode_general_ciphering,
    **{t: _decode_service_specific for t in (*PLAIN_TAG_OF_GLO, *PLAIN_TAG_OF_DED)},
}


def decode_xdlms(buf: bytes, *, plain_integers: bool = False) -> XdlmsApdu:
    """Decode one xDLMS APDU (not ACSE: see :func:`meterhub.dlms.acse.decode_acse`).

    ``plain_integers``: the Data of get-responses comes back with plain ``int`` values (a reader's bulk path,
    see :func:`meterhub.dlms.axdr.decode_data`).
    """
    if not buf:
        raise DecodeError("empty APDU")
    if plain_integers and buf[0] == Tag.GET_RESPONSE:
        return _decode_get_response(bytes(buf), True)
    fn = _XDLMS_DECODERS.get(buf[0])
    if fn is None:
        raise DecodeError(f"unknown APDU tag 0x{buf[0]:02X}")
    try:
        return fn(bytes(buf))
    except EncodeError as exc:  # a decoded value out of its type's range
        raise DecodeError(str(exc)) from exc


def plain_tag(apdu: bytes) -> int:
    """The tag of a plain APDU, for choosing its ciphered form."""
    if not apdu:
        raise EncodeError("empty APDU")
    return apdu[0]
