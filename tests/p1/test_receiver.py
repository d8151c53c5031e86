"""The receiver on a damaged line: truncated frames, wrong key, bad tag, bad CRC, garbage, replays — each
counted, none stops it, and every intact frame around them is still read (also byte by byte)."""

from __future__ import annotations

import logging

import pytest

from meterhub.p1.crc import crc16_arc
from meterhub.p1.errors import LocalProtocolError
from meterhub.p1.frame import NEED_DATA, FrameFinder, FrameSpan, Garbage, Truncated, encrypt_frame
from meterhub.p1.receiver import FrameRejected, P1Receiver, Reading
from meterhub.p1.telegram import encode_telegram
from tests.p1.conftest import KEY, OTHER_KEY, TITLE, frame, telegram
from tests.sansio import drain


def _run(data: bytes, chunk: int = 0) -> tuple[P1Receiver, list[object]]:
    r = P1Receiver(KEY)
    events: list[object] = []
    step = chunk or len(data) or 1
    for i in range(0, len(data), step):
        r.receive_data(data[i : i + step])
        events += drain(r, NEED_DATA)
    r.receive_data(b"")
    events += drain(r, NEED_DATA)
    return r, events


def _bad_crc_frame(i: int) -> bytes:
    raw = bytearray(encode_telegram(telegram(i)))
    raw[-3] = ord("0") if raw[-3] != ord("0") else ord("1")  # a wrong CRC digit, then encrypted properly
    return encrypt_frame(KEY, TITLE, 1000 + i, bytes(raw))


def _tampered(i: int) -> bytes:
    wire = bytearray(frame(i))
    wire[40] ^= 0x80
    return bytes(wire)


@pytest.mark.parametrize("chunk", [0, 1, 7, 300])
def test_every_kind_of_damage_is_counted_and_the_good_frames_still_come_through(chunk: int) -> None:
    stream = b"".join(
        [
            b"\x00\xffnoise\xdb\xdb\x08",  # garbage, including a lone header start
            frame(0),
            frame(1)[:200],  # truncated: the meter started the next frame afresh
            frame(2),
            b"garbage between frames \xdb",
            frame(3, key=OTHER_KEY),  # wrong key
            _tampered(4),  # bad tag
            frame(5),
            _bad_crc_frame(6),  # bad CRC inside a genuine frame
            frame(7),
            frame(2),  # replay of an old frame
            frame(8, counter=1007),  # a fresh frame whose counter does not increase
            frame(9),
            frame(10)[:300],  # truncated at the end of the stream
        ]
    )
    r, events = _run(stream, chunk)
    readings = [e for e in events if isinstance(e, Reading)]
    assert [x.frame_counter for x in readings] == [1000, 1002, 1005, 1007, 1009]
    assert [x.telegram for x in readings] == [telegram(i) for i in (0, 2, 5, 7, 9)]
    s = r.stats
    assert (s.frames_ok, s.truncated, s.auth_failed, s.bad_crc, s.replayed) == (5, 2, 2, 1, 2)
    assert s.garbage_bytes == len(b"\x00\xffnoise\xdb\xdb\x08") + len(b"garbage between frames \xdb")
    reasons = [e.reason for e in events if isinstance(e, FrameRejected)]
    assert sorted(reasons) == sorted(["truncated", "auth", "auth", "crc", "replay", "replay", "truncated"])


def test_a_spurious_header_in_noise_does_not_swallow_the_frames_behind_it() -> None:
    # DB 08 + 8 bytes + 82 + a plausible length: looks like a frame start, and is not one
    spurious = b"\xdb\x08" + b"NOISE!!!" + b"\x82\x02\x00" + b"\x30" + b"\x00" * 3
    r, events = _run(spurious + frame(0) + frame(1) + frame(2))
    assert [e.frame_counter for e in events if isinstance(e, Reading)] == [1000, 1001, 1002]
    assert r.stats.frames_ok == 3


def test_a_known_meter_header_cuts_a_pending_frame_at_once() -> None:
    r = P1Receiver(KEY)
    r.receive_data(frame(0))
    assert isinstance(r.next_event(), Reading)
    r.receive_data(frame(1)[:100] + frame(2)[:20])  # the next header starts: frame 1 is known to be cut
    event = r.next_event()
    assert isinstance(event, FrameRejected) and event.reason == "truncated"
    r.receive_data(frame(2)[20:])
    event = r.next_event()
    assert isinstance(event, Reading) and event.frame_counter == 1002


def test_counters_are_kept_per_system_title_and_can_be_restored() -> None:
    r = P1Receiver(KEY, last_counters={TITLE: 1003})
    r.receive_data(frame(2) + frame(4))
    assert [type(e).__name__ for e in drain(r, NEED_DATA)] == ["FrameRejected", "Reading"]
    assert r.last_counter[TITLE] == 1004


def test_the_key_never_shows() -> None:
    r = P1Receiver(KEY)
    assert KEY.hex() not in repr(r).lower() and KEY.hex() not in str(r.stats)
    with pytest.raises(ValueError):
        P1Receiver(b"short")


def _drain(f: FrameFinder) -> list[object]:
    out: list[object] = []
    while (e := f.next_event()) is not NEED_DATA:
        out.append(e)
    return out


def test_finder_events_and_buffer_bound() -> None:
    f = FrameFinder()
    f.receive_data(b"xx" + frame(0))
    events = _drain(f)
    assert [type(e) for e in events] == [Garbage, FrameSpan]
    # a header announcing a frame larger than the cap is garbage at once, not a reason to wait for 64 KiB
    f.receive_data(b"\xdb\x08" + TITLE + b"\x82\xff\xff" + b"\x30")
    assert all(isinstance(e, Garbage) for e in _drain(f))
    assert f.buffered == 0
    # a pending frame never holds more than the frame it announces
    f.receive_data(frame(1)[:50])
    assert _drain(f) == [] and f.buffered == 50
    f.receive_data(b"")
    assert [type(e) for e in _drain(f)] == [Truncated]
    assert f.buffered == 0


def test_crc_helper_is_the_one_in_the_frames() -> None:
    raw = encode_telegram(telegram(1))
    end = raw.rindex(b"!") + 1
    assert int(raw[end : end + 4], 16) == crc16_arc(raw[:end])


def test_rejections_are_logged_without_the_key(caplog: pytest.LogCaptureFixture, tmp_path) -> None:
    import asyncio

    from meterhub.p1.reader import P1Reader
    from meterhub.p1.sources import FileSource

    path = tmp_path / "frames.bin"
    path.write_bytes(frame(0) + b"junk" + frame(1, key=OTHER_KEY) + frame(2)[:99])
    seen: list[Reading] = []

    class Sink:
        def publish(self, reading: Reading) -> None:
            seen.append(reading)

    with caplog.at_level(logging.INFO, logger="meterhub.p1"):
        stats = asyncio.run(P1Reader(KEY, FileSource(path), [Sink()]).run())
    assert (stats.frames_ok, stats.auth_failed, stats.truncated, stats.garbage_bytes) == (1, 1, 1, 4)
    assert len(seen) == 1
    text = caplog.text.lower()
    assert "rejected (auth" in text and "rejected (truncated" in text and "skipped 4 bytes" in text
    assert KEY.hex() not in text and OTHER_KEY.hex() not in text


def test_data_after_the_end_of_the_stream_is_our_own_mistake() -> None:
    r = P1Receiver(KEY)
    r.receive_data(frame(0)[:30])
    r.receive_data(b"")  # the end: the partial frame is reported
    assert [type(e).__name__ for e in drain(r, NEED_DATA)] == ["FrameRejected"]
    with pytest.raises(LocalProtocolError):
        r.receive_data(frame(1))
    assert r.next_event() is NEED_DATA
