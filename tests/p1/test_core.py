"""The sans-io core: CRC-16/ARC, the frame format of ../shared/vectors/p1/README.md, the telegram codec."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from meterhub.p1 import errors as E
from meterhub.p1.crc import crc16_arc
from meterhub.p1.frame import AK, MAX_FRAME_BYTES, decrypt_frame, encrypt_frame, parse_span
from meterhub.p1.telegram import (
    Telegram,
    encode_telegram,
    format_timestamp,
    parse_telegram,
    parse_timestamp,
)
from tests.conftest import VECTORS
from tests.p1.conftest import KEY, OTHER_KEY, T0, TITLE, telegram


def test_crc16_arc_check_value() -> None:
    assert crc16_arc(b"123456789") == 0xBB3D  # the catalogue check value of CRC-16/ARC
    assert crc16_arc(b"") == 0
    assert crc16_arc(b"56789", crc16_arc(b"1234")) == 0xBB3D  # continues over chunks


def _bitwise_crc(data: bytes) -> int:
    """An independent, bit-by-bit CRC-16/ARC (reflected 0x8005, init 0)."""
    crc = 0
    for byte in data:
        for bit in range(8):
            mix = (crc ^ (byte >> bit)) & 1
            crc >>= 1
            if mix:
                crc ^= 0xA001
    return crc


def test_crc16_arc_matches_a_bitwise_implementation() -> None:
    for data in (b"/", b"!", encode_telegram(telegram(3)), bytes(range(256))):
        assert crc16_arc(data) == _bitwise_crc(data)


def test_the_vectors_readme_describes_this_format() -> None:
    readme = (VECTORS / "p1" / "README.md").read_text()
    assert "00112233445566778899AABBCCDDEEFF" in readme and "CRC-16/ARC" in readme


def test_frame_layout_is_the_readme_layout_byte_for_byte() -> None:
    plain = encode_telegram(telegram())
    counter = 0x01020304
    wire = encrypt_frame(KEY, TITLE, counter, plain)
    # built independently from the README: DB 08 title 82 LL LL 30 FC ciphertext tag(12)
    iv = TITLE + struct.pack(">I", counter)
    sealed = AESGCM(KEY).encrypt(iv, plain, b"\x30" + AK)  # 16-byte tag; P1 keeps the first 12
    body = b"\x30" + struct.pack(">I", counter) + sealed[: len(plain)] + sealed[len(plain) : len(plain) + 12]
    expected = b"\xdb\x08" + TITLE + b"\x82" + struct.pack(">H", len(body)) + body
    assert wire == expected
    assert len(body) == 1 + 4 + len(plain) + 12
    span = parse_span(wire)
    assert (span.system_title, span.frame_counter, span.security_control) == (TITLE, counter, 0x30)
    assert decrypt_frame(KEY, span).plaintext == plain


def test_wrong_key_and_tampering_are_both_authentication_failures() -> None:
    wire = encrypt_frame(KEY, TITLE, 7, encode_telegram(telegram()))
    with pytest.raises(E.AuthenticationError):
        decrypt_frame(OTHER_KEY, parse_span(wire))
    for position in (20, len(wire) // 2, len(wire) - 1, 14):  # ciphertext, tag, frame counter (in the IV)
        tampered = bytearray(wire)
        tampered[position] ^= 0x01
        with pytest.raises(E.AuthenticationError):
            decrypt_frame(KEY, parse_span(bytes(tampered)))


def test_frame_errors() -> None:
    wire = encrypt_frame(KEY, TITLE, 7, b"/X\r\n!0000\r\n")
    with pytest.raises(E.FrameError):
        parse_span(wire[:-1])
    with pytest.raises(E.FrameError):
        parse_span(b"\xdb\x08" + TITLE)
    bad_sc = bytearray(wire)
    bad_sc[13] = 0x20
    with pytest.raises(E.FrameError):
        decrypt_frame(KEY, parse_span(bytes(bad_sc)))
    with pytest.raises(E.EncodeError):
        encrypt_frame(KEY, TITLE, 1 << 32, b"")
    with pytest.raises(E.EncodeError):
        encrypt_frame(KEY, TITLE, 1, b"x" * MAX_FRAME_BYTES)


def test_telegram_round_trip_and_text() -> None:
    t = telegram(5)
    raw = encode_telegram(t)
    assert raw.startswith(b"/MHS5\\2TEST-P1\r\n\r\n")
    assert raw.endswith(f"!{crc16_arc(raw[: raw.rindex(b'!') + 1]):04X}\r\n".encode())
    lines = raw.decode().split("\r\n")
    assert "1-0:1.8.0(012345.683*kWh)" in lines
    assert "1-0:1.7.0(00.455*kW)" in lines
    assert "1-0:32.7.0(231.2*V)" in lines
    assert "0-1:24.2.1(261124100000W)(05206.113*m3)" in lines
    assert "1-0:99.97.0(1)(0-0:96.7.19)(260701140005S)(0000000240*s)" in lines
    assert "0-0:42.0.0(4C5530303031)" in lines
    assert parse_telegram(raw) == t


def test_parser_reads_a_dsmr5_style_telegram_written_by_hand() -> None:
    body = (
        b"/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(101209113020W)\r\n"
        b"0-0:96.1.1(4B384547303034303436333935353037)\r\n1-0:1.8.1(123456.789*kWh)\r\n"
        b"0-0:96.14.0(0002)\r\n1-0:1.7.0(01.193*kW)\r\n1-0:2.7.0(00.000*kW)\r\n0-0:96.7.21(00004)\r\n"
        b"1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)\r\n"
        b"1-0:52.36.0(00003)\r\n0-0:96.13.0(303132)\r\n1-0:31.7.0(001*A)\r\n1-0:22.7.0(04.444*kW)\r\n"
        b"0-1:24.1.0(003)\r\n0-1:96.1.0(3232323241424344313233343536373839)\r\n"
        b"0-1:24.2.1(101209112500W)(12785.123*m3)\r\n!"
    )
    t = parse_telegram(body + f"{crc16_arc(body):04X}\r\n".encode())
    assert t.header == "ISk5\\2MT382-1000"
    assert t.timestamp == dt.datetime(2010, 12, 9, 10, 30, 20, tzinfo=dt.UTC)
    assert t.equipment_id == "K8EG004046395507"
    assert (t.tariff, t.power_import_w, t.power_export_w, t.power_failures) == (2, 1193, 0, 4)
    assert [p.duration_s for p in t.power_failure_log] == [240, 301]
    assert t.voltage_swells == (None, 3, None)
    assert t.current_a == (1.0, None, None)
    assert t.power_export_phase_w == (4444, None, None)
    assert t.text_message == "012"
    gas = t.mbus[0]
    assert (gas.channel, gas.device_type, gas.value, gas.unit) == (1, 3, 12_785_123, "l")
    assert gas.captured_at == dt.datetime(2010, 12, 9, 10, 25, tzinfo=dt.UTC)
    assert t.other == (("1-0:1.8.1", "(123456.789*kWh)"),)  # not a national line: kept as it came


def test_timestamps_summer_winter_and_the_repeated_hour() -> None:
    # 2026-10-25 02:30 local happens twice: CEST (S, 00:30Z) then CET (W, 01:30Z)
    assert parse_timestamp("261025023000S") == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert parse_timestamp("261025023000W") == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    assert format_timestamp(dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)) == "261025023000S"
    assert format_timestamp(dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)) == "261025023000W"
    assert format_timestamp(T0) == "261124100000W"
    assert parse_timestamp("260615120000S").utcoffset() == dt.timedelta(0)
    for bad in ("261324100000W", "26112410000W", "261124100000X", "2611241000００W"):
        with pytest.raises(E.TelegramError):
            parse_timestamp(bad)
    with pytest.raises(E.EncodeError):
        format_timestamp(dt.datetime(2026, 1, 1))


def test_parser_errors_are_p1_errors() -> None:
    raw = encode_telegram(telegram())
    with pytest.raises(E.ChecksumError):
        parse_telegram(raw.replace(b"231.2*V", b"231.3*V"))
    with pytest.raises(E.TelegramError):
        parse_telegram(raw[:-8])  # CRC cut off
    for bad_line in (b"1-0:1.8.0(12.3*W)", b"hello", b"1-0:1.7.0(-1.000*kW)", b"0-0:96.13.0(ZZ)"):
        body = b"/X\r\n\r\n" + bad_line + b"\r\n!"
        with pytest.raises(E.TelegramError):
            parse_telegram(body + f"{crc16_arc(body):04X}\r\n".encode())


def test_encoder_refuses_what_the_format_cannot_carry() -> None:
    with pytest.raises(E.EncodeError):
        encode_telegram(Telegram(header="a\r\nb"))
    with pytest.raises(E.EncodeError):
        encode_telegram(Telegram(header="X", energy_import_wh=-1))
    with pytest.raises(E.EncodeError):
        encode_telegram(Telegram(header="X", text_message="é", timestamp=dt.datetime(1999, 1, 1, tzinfo=dt.UTC)))
