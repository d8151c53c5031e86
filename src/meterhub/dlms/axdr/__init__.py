"""A-XDR encoding of the DLMS ``Data`` type (IEC 62056-6-2 §4.1.5, Green Book §9.5 "Data" CHOICE).

Decoded values keep their DLMS type so that decoding and re-encoding gives the same bytes: integers come back
as ``int`` subclasses (:class:`Unsigned`, :class:`DoubleLongUnsigned` …), strings as ``str`` (visible-string) or
:class:`Utf8String`, octet-strings as ``bytes``, arrays as ``list``, structures as ``tuple``, null as ``None``.
Encoding accepts the same values; a plain ``int`` has no DLMS width and is refused with :class:`EncodeError`.

The package: :mod:`.types` (tags, typed values, compact-array descriptions), :mod:`.date_time` (date, time,
date-time and their fast paths), :mod:`.lengths`, :mod:`.encode`, :mod:`.decode` and :mod:`.rows` (the compiled
fast path for arrays of identical fixed-size structures — load-profile buffers — an order of magnitude faster
than the generic coder, see ``benchmarks/dlms.py``). Callers import this package, not the modules.

Decoders take ``bytes`` plus an offset and return ``(value, new_offset)``; they raise only
:class:`~meterhub.dlms.errors.DecodeError`. Nesting is capped at :data:`MAX_DEPTH` and every element count is
checked against the bytes left before looping, so a hostile length cannot make the decoder spin or recurse
without bound.
"""

from meterhub.dlms.axdr.date_time import (
    DEVIATION_NOT_SPECIFIED,
    NOT_SPECIFIED,
    YEAR_NOT_SPECIFIED,
    Date,
    DateTime,
    Time,
    datetime_from_octets,
    epoch_from_octets,
)
from meterhub.dlms.axdr.decode import decode_data, decode_data_exact
from meterhub.dlms.axdr.encode import encode_data
from meterhub.dlms.axdr.lengths import decode_length, encode_length
from meterhub.dlms.axdr.types import (
    ARRAY,
    BCD,
    BIT_STRING,
    BOOLEAN,
    COMPACT_ARRAY,
    DATE,
    DATE_TIME,
    DONT_CARE,
    DOUBLE_LONG,
    DOUBLE_LONG_UNSIGNED,
    ENUM,
    FLOAT32,
    FLOAT64,
    INTEGER,
    LONG,
    LONG64,
    LONG64_UNSIGNED,
    LONG_UNSIGNED,
    MAX_DEPTH,
    NULL_DATA,
    OCTET_STRING,
    STRUCTURE,
    TIME,
    UNSIGNED,
    UTF8_STRING,
    VISIBLE_STRING,
    ArrayType,
    Bcd,
    BitString,
    CompactArray,
    DontCare,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    StructureType,
    TypeDescription,
    Unsigned,
    Utf8String,
)

__all__ = [
    "ARRAY",
    "BCD",
    "BIT_STRING",
    "BOOLEAN",
    "COMPACT_ARRAY",
    "DATE",
    "DATE_TIME",
    "DEVIATION_NOT_SPECIFIED",
    "DONT_CARE",
    "DOUBLE_LONG",
    "DOUBLE_LONG_UNSIGNED",
    "ENUM",
    "FLOAT32",
    "FLOAT64",
    "INTEGER",
    "LONG",
    "LONG64",
    "LONG64_UNSIGNED",
    "LONG_UNSIGNED",
    "MAX_DEPTH",
    "NOT_SPECIFIED",
    "NULL_DATA",
    "OCTET_STRING",
    "STRUCTURE",
    "TIME",
    "UNSIGNED",
    "UTF8_STRING",
    "VISIBLE_STRING",
    "YEAR_NOT_SPECIFIED",
    "ArrayType",
    "Bcd",
    "BitString",
    "CompactArray",
    "Date",
    "DateTime",
    "DontCare",
    "DoubleLong",
    "DoubleLongUnsigned",
    "Enum",
    "Float32",
    "Integer",
    "Long",
    "Long64",
    "Long64Unsigned",
    "LongUnsigned",
    "StructureType",
    "Time",
    "TypeDescription",
    "Unsigned",
    "Utf8String",
    "datetime_from_octets",
    "decode_data",
    "decode_data_exact",
    "decode_length",
    "encode_data",
    "encode_length",
    "epoch_from_octets",
]
