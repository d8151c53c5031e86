"""Property and fuzz tests of the P1 core: whatever the line delivers, only :class:`P1Error` escapes the decoders,
the receiver never raises, holds a bounded buffer, and every intact frame is read however the stream is cut."""

from __future__ import annotations

import contextlib
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.p1.crc import crc16_arc
from meterhub.p1.errors import P1Error
from meterhub.p1.frame import MAX_FRAME_BYTES, NEED_DATA, FrameFinder, decrypt_frame, parse_span
from meterhub.p1.receiver import P1Receiver, Reading
from meterhub.p1.telegram import (
    MBusReading,
    PowerFailure,
    Telegram,
    encode_telegram,
    parse_telegram,
    parse_timestamp,
)
from tests.p1.conftest import KEY, OTHER_KEY, frame, telegram
from tests.sansio import drain

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FRAMES = [frame(i) for i in range(12)]
TELEGRAM = encode_telegram(telegram(3))


def _with_crc(body: bytes) -> bytes:
    return body + f"{crc16_arc(body):04X}\r\n".encode()


@FAST
@given(st.binary(max_size=600))
def test_parse_telegram_random_bytes(data: bytes) -> None:
    with contextlib.suppress(P1Error):
        parse_telegram(data)


@FAST
@given(st.binary(max_size=400))
def test_parse_telegram_random_bodies_with_a_valid_crc(data: bytes) -> None:
    with contextlib.suppress(P1Error):
        parse_telegram(_with_crc(b"/" + data.replace(b"!", b"") + b"!"))


@FAST
@given(st.lists(st.tuples(st.integers(0, len(TELEGRAM) - 8), st.integers(0, 7)), min_size=1, max_size=6))
def test_parse_telegram_bit_flips_behind_a_valid_crc(flips: list[tuple[int, int]]) -> None:
    body = bytearray(TELEGRAM[: TELEGRAM.rindex(b"!") + 1])
    for pos, bit in flips:
        if pos < len(body) - 1:
            body[pos] ^= 1 << bit
    with contextlib.suppress(P1Error):
        parse_telegram(_with_crc(bytes(body)))


@FAST
@given(st.text(alphabet="0123456789-:.()*kWhVAms3SW\r\n", max_size=300))
def test_parse_telegram_obis_like_text(text: str) -> None:
    with contextlib.suppress(P1Error):
        parse_telegram(_with_crc(b"/X\r\n\r\n" + text.encode() + b"!"))


@FAST
@given(st.text(max_size=20))
def test_parse_timestamp_any_text(text: str) -> None:
    try:
        value = parse_timestamp(text)
    except P1Error:
        return
    assert value.tzinfo is not None


@FAST
@given(st.binary(max_size=2000))
def test_frame_decoders_random_bytes(data: bytes) -> None:
    with contextlib.suppress(P1Error):
        decrypt_frame(KEY, parse_span(b"\xdb\x08" + data))


_times = st.datetimes(
    min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2098, 12, 1), timezones=st.just(dt.UTC)
).map(lambda t: t.replace(microsecond=0))
_phase_int = st.tuples(*[st.one_of(st.none(), st.integers(0, 99_999))] * 3)
_phase_v = st.tuples(*[st.one_of(st.none(), st.integers(0, 9999).map(lambda v: v / 10))] * 3)
_phase_a = st.tuples(*[st.one_of(st.none(), st.integers(0, 999).map(float))] * 3)
_count = st.one_of(st.none(), st.integers(0, 99_999))
_reg = st.one_of(st.none(), st.integers(0, 999_999_999))
_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=["Cs"]), max_size=40)


@st.composite
def telegrams(draw: st.DrawFn) -> Telegram:
    mbus = tuple(
        MBusReading(
            n,
            draw(st.sampled_from([3, 4, 7])),
            draw(st.text(alphabet="ABCDEF0123456789", min_size=1, max_size=17)),
            draw(_times),
            draw(st.integers(0, 99_999_999)),
            draw(st.sampled_from(["l", "Wh"])),
        )
        for n in range(1, draw(st.integers(0, 4)) + 1)
    )
    long_count = draw(_count)
    return Telegram(
        header=draw(st.text(alphabet="ABCXYZ0123456789\\- ", min_size=1, max_size=30)),
        timestamp=draw(st.one_of(st.none(), _times)),
        version=draw(st.one_of(st.none(), st.sampled_from(["42", "50"]))),
        equipment_id=draw(st.one_of(st.none(), _text.filter(bool))),
        energy_import_wh=draw(_reg),
        energy_export_wh=draw(_reg),
        reactive_import_varh=draw(_reg),
        reactive_export_varh=draw(_reg),
        tariff=draw(st.one_of(st.none(), st.integers(0, 9999))),
        power_import_w=draw(_count),
        power_export_w=draw(_count),
        power_import_phase_w=draw(_phase_int),
        power_export_phase_w=draw(_phase_int),
        voltage_v=draw(_phase_v),
        current_a=draw(_phase_a),
        power_failures=draw(_count),
        long_power_failures=long_count,
        power_failure_log=tuple(
            PowerFailure(draw(_times), draw(st.integers(0, 10**9)))
            for _ in range(draw(st.integers(0, 10)) if long_count is not None else 0)
        ),
        voltage_sags=draw(_phase_int),
        voltage_swells=draw(_phase_int),
        breaker_state=draw(st.one_of(st.none(), st.integers(0, 2))),
        text_message=draw(st.one_of(st.none(), _text)),
        mbus=mbus,
    )


@FAST
@given(telegrams())
def test_telegram_round_trip(t: Telegram) -> None:
    assert parse_telegram(encode_telegram(t)) == t


_damage = st.one_of(
    st.just(("ok", 0)),
    st.tuples(st.just("cut"), st.integers(1, 800)),
    st.tuples(st.just("flip"), st.integers(0, 8 * 900 - 1)),
    st.just(("key", 0)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.binary(max_size=40), _damage), min_size=1, max_size=len(FRAMES)),
    st.binary(max_size=40),
    st.integers(1, 1500),
)
def test_receiver_reads_every_intact_frame_whatever_surrounds_it(
    segments: list[tuple[bytes, tuple[str, int]]], tail: bytes, chunk: int
) -> None:
    stream = b""
    intact: list[int] = []
    for i, (garbage, (kind, arg)) in enumerate(segments):
        raw = FRAMES[i]
        if kind == "cut":
            raw = raw[: min(arg, len(raw) - 1)]
        elif kind == "flip":
            pos = (arg // 8) % len(raw)
            raw = raw[:pos] + bytes([raw[pos] ^ (1 << (arg % 8))]) + raw[pos + 1 :]
        elif kind == "key":
            raw = frame(i, key=OTHER_KEY)
        else:
            intact.append(1000 + i)
        stream += garbage + raw
    stream += tail
    r = P1Receiver(KEY)
    got: list[int] = []
    for k in range(0, len(stream), chunk):
        r.receive_data(stream[k : k + chunk])
        got += [e.frame_counter for e in drain(r, NEED_DATA) if isinstance(e, Reading)]
        assert r._finder.buffered < MAX_FRAME_BYTES
    r.receive_data(b"")
    got += [e.frame_counter for e in drain(r, NEED_DATA) if isinstance(e, Reading)]
    assert got == intact
    assert r.stats.frames_ok == len(intact)


@FAST
@given(st.binary(max_size=5000), st.integers(1, 700))
def test_finder_random_stream_is_bounded_and_never_raises(data: bytes, chunk: int) -> None:
    f = FrameFinder()
    for k in range(0, len(data), chunk):
        f.receive_data(data[k : k + chunk])
        while f.next_event() is not NEED_DATA:
            pass
        assert f.buffered < MAX_FRAME_BYTES
    f.receive_data(b"")
    while f.next_event() is not NEED_DATA:
        pass
    assert f.buffered == 0
