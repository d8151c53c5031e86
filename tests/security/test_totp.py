"""TOTP: enrolment URI and QR code, the ±1 step window, replay refusal, and single-use recovery codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from meterhub.security.totp import (
    RECOVERY_CODE_COUNT,
    STEP_S,
    TotpAccepted,
    TotpRefused,
    code_at,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_svg,
    time_step,
    use_recovery_code,
    verify_totp,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2025, 3, 30, 0, 59, 45, tzinfo=UTC)  # mid-step: T0 is 15 s into its step
STEP = timedelta(seconds=STEP_S)


def test_rfc6238_vector() -> None:
    """RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); our 6 digits are its last six."""
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert code_at(rfc_secret, datetime(1970, 1, 1, 0, 0, 59, tzinfo=UTC)) == "287082"
    assert time_step(datetime(1970, 1, 1, 0, 0, 59, tzinfo=UTC)) == 1


def test_new_secret() -> None:
    secret = new_secret()
    assert len(secret) == 32 and re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert new_secret() != secret


def test_provisioning_uri_names_issuer_and_account() -> None:
    uri = provisioning_uri(SECRET, "jdupont")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/meterhub:jdupont"
    query = parse_qs(parsed.query)
    assert query["secret"] == [SECRET] and query["issuer"] == ["meterhub"]
    assert pyotp.parse_uri(uri).now() == pyotp.TOTP(SECRET).now()  # what an app reads back


def test_qr_svg_is_inline_svg() -> None:
    svg = qr_svg(provisioning_uri(SECRET, "jdupont"))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    assert 'class="totp-qr"' in svg
    assert "<title>" in svg and SECRET not in svg  # the secret is only in the modules, not as text


def test_current_code_accepted_and_step_returned() -> None:
    assert verify_totp(SECRET, code_at(SECRET, T0), T0, None) == TotpAccepted(time_step(T0))


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_either_side_accepted(offset: int) -> None:
    code = code_at(SECRET, T0 + offset * STEP)
    assert verify_totp(SECRET, code, T0, None) == TotpAccepted(time_step(T0) + offset)


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_outside_the_window_refused(offset: int) -> None:
    code = code_at(SECRET, T0 + offset * STEP)
    window = {code_at(SECRET, T0 + k * STEP) for k in (-1, 0, 1)}
    if code in window:  # a 6-digit collision, 1 in 10⁶: the code is then right
        pytest.skip("code collides with one in the window")
    assert verify_totp(SECRET, code, T0, None) == TotpRefused("wrong")


def test_replay_refused_within_the_window() -> None:
    code = code_at(SECRET, T0)
    accepted = verify_totp(SECRET, code, T0, None)
    assert isinstance(accepted, TotpAccepted)
    # the same code, again, a few seconds later and one step later (still inside its window)
    assert verify_totp(SECRET, code, T0 + timedelta(seconds=5), accepted.step) == TotpRefused("replayed")
    assert verify_totp(SECRET, code, T0 + STEP, accepted.step) == TotpRefused("replayed")
    # an older code (the previous step's) is refused too once a newer one was accepted
    older = code_at(SECRET, T0 - STEP)
    assert verify_totp(SECRET, older, T0, accepted.step) == TotpRefused("replayed")
    # the next step's code is fresh
    nxt = verify_totp(SECRET, code_at(SECRET, T0 + STEP), T0 + STEP, accepted.step)
    assert nxt == TotpAccepted(accepted.step + 1)


def test_accepting_a_future_step_blocks_the_current_one() -> None:
    ahead = verify_totp(SECRET, code_at(SECRET, T0 + STEP), T0, None)
    assert ahead == TotpAccepted(time_step(T0) + 1)
    assert verify_totp(SECRET, code_at(SECRET, T0), T0, ahead.step) == TotpRefused("replayed")


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123-456"])
def test_malformed_codes(code: str) -> None:
    assert verify_totp(SECRET, code, T0, None) == TotpRefused("malformed")


def test_spaces_in_a_code_are_ignored() -> None:
    code = code_at(SECRET, T0)
    assert isinstance(verify_totp(SECRET, f" {code[:3]} {code[3:]} ", T0, None), TotpAccepted)


def test_naive_time_is_an_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_totp(SECRET, "123456", datetime(2025, 1, 1), None)


def test_recovery_codes_are_single_use() -> None:
    codes, hashes = new_recovery_codes()
    assert len(codes) == len(hashes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", c) for c in codes)
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)
    left = use_recovery_code(codes[3], hashes)
    assert left is not None and len(left) == RECOVERY_CODE_COUNT - 1 and hashes[3] not in left
    assert use_recovery_code(codes[3], left) is None  # used up
    left2 = use_recovery_code(codes[0], left)
    assert left2 is not None and len(left2) == RECOVERY_CODE_COUNT - 2


def test_recovery_code_typing_is_forgiving() -> None:
    codes, hashes = new_recovery_codes(1)
    typed = codes[0].lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert use_recovery_code(typed, hashes) == ()


@pytest.mark.parametrize("code", ["", "ABCD", "ABCD-EFGH-JKMN-PQR!", "UUUU-UUUU-UUUU-UUUU"])
def test_bad_recovery_codes(code: str) -> None:
    _, hashes = new_recovery_codes()
    assert use_recovery_code(code, hashes) is None
