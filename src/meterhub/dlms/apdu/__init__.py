"""xDLMS APDUs (Green Book §9.3, IEC 62056-5-3 §8: the COSEM application layer's A-XDR PDUs), one module per service.

Each APDU is a frozen dataclass with ``encode() -> bytes``, its decoder beside it in the module of its service
family: :mod:`.get`, :mod:`.set`, :mod:`.action`, :mod:`.notification` (event- and data-notification),
:mod:`.block_transfer` (general-block-transfer), :mod:`.exception` (exception-response,
confirmed-service-error) and :mod:`.ciphered` (service-specific glo/ded, general-glo/-ded-ciphering); the
shared pieces are :mod:`.tags` (tags and result codes), :mod:`.descriptors` (attribute/method descriptors,
selective access by range and entry) and :mod:`.fields`. :func:`decode_xdlms` (:mod:`.xdlms`) turns bytes into
the right dataclass; ACSE APDUs come from :mod:`meterhub.dlms.acse`. Callers import this package
(``from meterhub.dlms import apdu as A``), not the modules.

A get/set/action result that is an error is a :class:`DataAccessResult` / :class:`ActionResult` member; a
value is plain decoded ``Data`` (:mod:`meterhub.dlms.axdr`), which never yields ``IntEnum`` members, so
``isinstance(result, DataAccessResult)`` tells them apart.
"""

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
)
from meterhub.dlms.apdu.block_transfer import GeneralBlockTransfer
from meterhub.dlms.apdu.ciphered import GeneralDedCiphering, GeneralGloCiphering, ServiceSpecificCiphered
from meterhub.dlms.apdu.descriptors import AccessSelection, AttributeRef, EntryDescriptor, MethodRef, RangeDescriptor
from meterhub.dlms.apdu.exception import ConfirmedServiceError, ExceptionResponse
from meterhub.dlms.apdu.fields import NO_DATA
from meterhub.dlms.apdu.get import (
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
)
from meterhub.dlms.apdu.notification import DataNotification, EventNotificationRequest
from meterhub.dlms.apdu.set import (
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
)
from meterhub.dlms.apdu.tags import (
    DED_TAG,
    GLO_TAG,
    PLAIN_TAG_OF_DED,
    PLAIN_TAG_OF_GLO,
    ActionResult,
    DataAccessResult,
    ServiceError,
    StateError,
    Tag,
)
from meterhub.dlms.apdu.xdlms import XdlmsApdu, decode_xdlms, plain_tag

__all__ = [
    "DED_TAG",
    "GLO_TAG",
    "NO_DATA",
    "PLAIN_TAG_OF_DED",
    "PLAIN_TAG_OF_GLO",
    "AccessSelection",
    "ActionRequestNextPblock",
    "ActionRequestNormal",
    "ActionRequestWithFirstPblock",
    "ActionRequestWithList",
    "ActionRequestWithPblock",
    "ActionResponseNextPblock",
    "ActionResponseNormal",
    "ActionResponseWithList",
    "ActionResponseWithPblock",
    "ActionResult",
    "AttributeRef",
    "ConfirmedServiceError",
    "DataAccessResult",
    "DataNotification",
    "EntryDescriptor",
    "EventNotificationRequest",
    "ExceptionResponse",
    "GeneralBlockTransfer",
    "GeneralDedCiphering",
    "GeneralGloCiphering",
    "GetRequestNext",
    "GetRequestNormal",
    "GetRequestWithList",
    "GetResponseNormal",
    "GetResponseWithDatablock",
    "GetResponseWithList",
    "MethodRef",
    "RangeDescriptor",
    "ServiceError",
    "ServiceSpecificCiphered",
    "SetRequestNormal",
    "SetRequestWithDatablock",
    "SetRequestWithFirstDatablock",
    "SetRequestWithList",
    "SetResponseDatablock",
    "SetResponseLastDatablock",
    "SetResponseNormal",
    "SetResponseWithList",
    "StateError",
    "Tag",
    "XdlmsApdu",
    "decode_xdlms",
    "plain_tag",
]
