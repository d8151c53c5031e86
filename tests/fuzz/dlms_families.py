"""The decoder families every fuzz input goes to, and what each checks beyond "only :class:`DlmsError` comes out":
``data``, :func:`decode_data` and :func:`decode_data_exact` (typed, and with ``plain_integers``, which must give the
same numbers) and the selective-access parsers on what decodes; ``xdlms``, :func:`decode_xdlms` (typed and
``plain_integers``); ``acse``, :func:`decode_acse`, :meth:`InitiateRequest.decode` and
:meth:`InitiateResponse.decode`; ``datetime``, :meth:`DateTime.from_bytes` (and ``to_datetime``, which
:func:`datetime_from_octets` and :func:`epoch_from_octets` must match), :meth:`Date.from_bytes` and
:meth:`Time.from_bytes`; ``decrypt``, :func:`meterhub.dlms.security.decrypt` under the session keys; and
:func:`receiver` for the ``server`` and ``client`` families (:meth:`ServerAssociation.receive` or
:meth:`ClientAssociation.receive` on a fresh copy of a template association). What decodes must re-encode, and
decoding that again gives the same value (a fixpoint).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import InitiateRequest, InitiateResponse, decode_acse
from meterhub.dlms.axdr import (
    Date,
    DateTime,
    Time,
    datetime_from_octets,
    decode_data,
    decode_data_exact,
    encode_data,
    epoch_from_octets,
)
from meterhub.dlms.axdr import types as axdr_types
from meterhub.dlms.security import decrypt
from tests.dlms.axdr_compare import mismatch
from tests.fuzz.dlms_harness import Fuzzer
from tests.fuzz.dlms_sessions import fresh
from tests.fuzz.dlms_values import CLIENT_TITLE, KEYS, SERVER_TITLE
from tests.sansio import receive


def _fixpoint(fz: Fuzzer, name: str, data: bytes, value: Any, encode: Callable[[Any], bytes], decode: Any) -> None:
    """What decoded must encode, and decode to the same again."""
    try:
        again = encode(value)
        back = decode(again)
    except Exception as exc:  # a decoded value that cannot be re-encoded is a bug too, DlmsError or not
        fz.check(name, data, False, f"re-encoding the decoded value failed: {type(exc).__name__}: {exc}")
        return
    found = mismatch(back, value)
    fz.check(name, data, found is None, f"decode(encode(decoded)) differs: {found}")


def _access_parsers(fz: Fuzzer, data: bytes, value: Any) -> None:
    fz.run(
        "RangeDescriptor.from_access_selection",
        lambda _: A.RangeDescriptor.from_access_selection(A.AccessSelection(1, value)),
        data,
    )
    fz.run(
        "EntryDescriptor.from_access_selection",
        lambda _: A.EntryDescriptor.from_access_selection(A.AccessSelection(2, value)),
        data,
    )


def plain(value: Any) -> Any:
    """``value`` with every typed integer as a plain ``int`` (what ``plain_integers=True`` decoding gives)."""
    if isinstance(value, axdr_types._TypedInt):
        return int(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def _same_as_plain(fz: Fuzzer, name: str, data: bytes, typed: Any, typed_ok: bool, fast: Any) -> None:
    """The plain-integer decoding succeeds exactly when the typed one does, with the same numbers."""
    if fz.ok != typed_ok:
        fz.check(name, data, False, f"plain_integers {'decodes' if fz.ok else 'fails'}, typed does not")
    elif typed_ok:
        found = mismatch(plain(fast), plain(typed))
        fz.check(name, data, found is None, f"plain_integers gives other values: {found}")


def fuzz_data(fz: Fuzzer, data: bytes) -> None:
    fz.run("decode_data", decode_data, data)
    value = fz.run("decode_data_exact", decode_data_exact, data)
    decoded = fz.ok
    if decoded:
        _fixpoint(fz, "decode_data_exact", data, value, encode_data, decode_data_exact)
        _access_parsers(fz, data, value)
    fast = fz.run("decode_data_exact(plain_integers)", lambda d: decode_data_exact(d, plain_integers=True), data)
    _same_as_plain(fz, "decode_data_exact(plain_integers)", data, value, decoded, fast)


def fuzz_xdlms(fz: Fuzzer, data: bytes) -> None:
    apdu = fz.run("decode_xdlms", A.decode_xdlms, data)
    decoded = fz.ok
    if decoded:
        _fixpoint(fz, "decode_xdlms", data, apdu, lambda a: a.encode(), A.decode_xdlms)
        access = getattr(apdu, "access", None)
        if access is not None:
            _access_parsers(fz, data, access.parameters)
    fast = fz.run("decode_xdlms(plain_integers)", lambda d: A.decode_xdlms(d, plain_integers=True), data)
    _same_as_plain(fz, "decode_xdlms(plain_integers)", data, apdu, decoded, fast)


def fuzz_acse(fz: Fuzzer, data: bytes) -> None:
    for name, decoder in (
        ("decode_acse", decode_acse),
        ("InitiateRequest.decode", InitiateRequest.decode),
        ("InitiateResponse.decode", InitiateResponse.decode),
    ):
        value = fz.run(name, decoder, data)
        if value is not None:
            _fixpoint(fz, name, data, value, lambda v: v.encode(), decoder)


def fuzz_datetime(fz: Fuzzer, data: bytes) -> None:
    fz.run("DateTime.from_bytes", DateTime.from_bytes, data)
    padded = (data + b"\xff" * 12)[:12]
    value = fz.run("DateTime.from_bytes[:12]", DateTime.from_bytes, padded, shown=data)
    if value is not None:
        when = fz.run("DateTime.to_datetime", lambda _: value.to_datetime(), padded, shown=data)
        fz.check("DateTime.from_bytes[:12]", data, value.to_bytes() == padded, "to_bytes differs")
        fast = fz.run("datetime_from_octets", datetime_from_octets, padded, shown=data)
        same_result = fast == when and (fast is None or fast.utcoffset() == when.utcoffset())
        fz.check("datetime_from_octets", data, same_result, f"fast path {fast} vs to_datetime {when}")
        epoch = fz.run("epoch_from_octets", epoch_from_octets, padded, shown=data)
        if when is None:
            fz.check(
                "epoch_from_octets", data, epoch is None, f"epoch_from_octets accepts what datetime refuses: {value}"
            )
        else:
            expected = int(when.replace(microsecond=0).timestamp())
            fz.check("epoch_from_octets", data, epoch == expected, f"epoch {epoch} vs {expected} for {value}")
    fz.run("Date.from_bytes[:5]", Date.from_bytes, padded[:5], shown=data)
    fz.run("Time.from_bytes[:4]", Time.from_bytes, padded[:4], shown=data)


def fuzz_decrypt(fz: Fuzzer, data: bytes) -> None:
    fz.run("decrypt", lambda d: decrypt(KEYS, CLIENT_TITLE, d), data)
    fz.run("decrypt(server title)", lambda d: decrypt(KEYS, SERVER_TITLE, d), data)


def receiver(template: Any) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        association = fresh(template)
        events = receive(association, data)
        association.data_to_send()
        return events

    return run
