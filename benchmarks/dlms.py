"""DLMS codec benchmark: one round = a meter answers a day of 1/4 h load profile, the head-end reads it.

Server side: encode a get-response-normal carrying a 96-row × 6-column profile buffer (date-time octet-string,
status unsigned, 4 × double-long-unsigned — exactly what the national meter profile captures) and cipher it
(security suite 0, SC 0x30, glo-get-response). Client side: check the counter, decipher and verify the tag,
decode the APDU and the buffer into rows, and turn each row's clock into an aware ``datetime``.
Compared with: the pure-Python dlms-cosem library needs ~2 200 µs for the same work (figure from the issue).
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
from typing import Any

from meterhub.dlms import apdu as A
from meterhub.dlms.axdr import DateTime, DoubleLongUnsigned, Unsigned, datetime_from_octets
from meterhub.dlms.security import CipherKeys, InvocationCounterGuard, decrypt, encrypt

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
METER_TITLE = bytes.fromhex("4C55580000BC614E")


def day_of_rows() -> list[tuple[Any, ...]]:
    """96 quarter-hours of 2026-11-24 in CET with plausible register values."""
    cet = dt.timezone(dt.timedelta(hours=1))
    start = dt.datetime(2026, 11, 24, tzinfo=cet)
    rows = []
    a_plus, a_minus, r_plus, r_minus = 17_999_495, 200, 1_000, 10
    for q in range(96):
        t = start + dt.timedelta(minutes=15 * q)
        a_plus += 20 + (q * 7) % 90
        r_plus += 3
        rows.append(
            (
                DateTime.from_datetime(t, clock_status=0).to_bytes(),
                Unsigned(0),
                DoubleLongUnsigned(a_plus),
                DoubleLongUnsigned(a_minus),
                DoubleLongUnsigned(r_plus),
                DoubleLongUnsigned(r_minus),
            )
        )
    return rows


def one_round(keys: CipherKeys, rows: list[tuple[Any, ...]], counter: int, guard: InvocationCounterGuard) -> int:
    """Server encodes + ciphers, client deciphers + decodes. Returns the number of rows decoded."""
    plain = A.GetResponseNormal(0xC1, rows).encode()
    wire = A.ServiceSpecificCiphered(A.Tag.GLO_GET_RESPONSE, encrypt(keys, METER_TITLE, counter, plain)).encode()
    carrier = A.decode_xdlms(wire)
    assert isinstance(carrier, A.ServiceSpecificCiphered)
    guard.check(METER_TITLE, int.from_bytes(carrier.ciphered_content[1:5], "big"))
    clear = decrypt(keys, METER_TITLE, carrier.ciphered_content)
    guard.accept(METER_TITLE, clear.invocation_counter)
    response = A.decode_xdlms(clear.plaintext)
    assert isinstance(response, A.GetResponseNormal)
    decoded = [(datetime_from_octets(r[0]), *r[1:]) for r in response.result]
    return len(decoded)


def run(rounds: int = 5000, repeats: int = 5, **_options: Any) -> dict[str, Any]:
    """Run ``repeats`` batches of ``rounds`` rounds; report the best batch (least disturbed by the OS)."""
    keys = CipherKeys(EK, AK)
    rows = day_of_rows()
    guard = InvocationCounterGuard()
    counter = 1
    assert one_round(keys, rows, counter, guard) == 96  # correctness before speed
    batches = []
    gc.collect()
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(rounds):
            counter += 1
            one_round(keys, rows, counter, guard)
        batches.append((time.perf_counter() - start) / rounds)
    best = min(batches)
    apdu_bytes = len(A.GetResponseNormal(0xC1, rows).encode()) + 2 + 17
    return {
        "benchmark": "dlms",
        "rows_per_round": 96,
        "columns": 6,
        "apdu_bytes": apdu_bytes,
        "rounds": rounds * repeats,
        "us_per_round": round(best * 1e6, 1),
        "us_per_round_median": round(statistics.median(batches) * 1e6, 1),
        "rounds_per_s": round(1 / best),
        "goal_us_per_round": 500,
        "reference_dlms_cosem_us_per_round": 2200,
    }
