"""The password policy (length, common list, zxcvbn with the person's context) and argon2id hashing."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from meterhub.security import passwords
from meterhub.security.passwords import (
    ARGON2_PARAMETERS,
    MIN_LENGTH,
    PasswordRefused,
    check_password,
    hash_password,
    is_common_password,
    needs_rehash,
    require_acceptable_password,
    user_context,
    verify_password,
    verify_unknown_user,
)

JEAN = user_context("jdupont", "jean.dupont@post.lu", "Jean Dupont")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "too_short"),
        ("Tr0mbone!", "too_short"),
        ("x" * (MIN_LENGTH - 1), "too_short"),
        ("Glacier-trombone-" + "x" * 120, "too_long"),
        ("password1234", "too_common"),
        ("PASSWORD1234", "too_common"),  # the list is compared case-insensitively
        ("1q2w3e4r5t6y", "too_common"),
        ("qwertyuiopasdf", "too_easy_to_guess"),  # a keyboard row
        ("aaaaaaaaaaaaaaaa", "too_easy_to_guess"),  # a repeat
        ("Monday1234567", "too_easy_to_guess"),
        ("meterhub2024!!", "too_easy_to_guess"),  # the platform's name is in everybody's context
    ],
)
def test_refused(password: str, reason: str) -> None:
    refusal = check_password(password, JEAN)
    assert refusal is not None
    assert refusal.reason == reason
    assert refusal.message.startswith("This password is too")
    if password:
        assert password not in refusal.message
        assert password.lower() not in refusal.message.lower()
        assert all(password not in s for s in refusal.suggestions)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Gl4cier-Tromb0ne-Mosel",
        "xk7#Rq9!mZ2p",
        "Jean-Glacier-Trombone-Mosel",  # one own word among strong ones is fine
        "Luxembourg glacier trombone",
        "Mëlleschbach Kachkéis Gromperekichelcher",  # non-ASCII passphrase
    ],
)
def test_accepted(password: str) -> None:
    assert check_password(password, JEAN) is None
    require_acceptable_password(password, JEAN)  # does not raise


@pytest.mark.parametrize("password", ["jeandupont2024", "Dupont.Jean.99", "jeandupont1980-05-12", "jdupont19801980"])
def test_built_on_own_context_refused(password: str) -> None:
    refusal = check_password(password, JEAN)
    assert refusal is not None and refusal.reason == "too_easy_to_guess"
    assert "user name, e-mail address or name" in refusal.message


def test_username_makes_the_difference() -> None:
    """A password that is strong for anybody else is weak for the user whose name it is built on."""
    assert check_password("kxqvzlrmtpwy12") is None
    refusal = check_password("kxqvzlrmtpwy12", user_context("kxqvzlrmtpwy"))
    assert refusal is not None and refusal.reason == "too_easy_to_guess"
    refusal = check_password("kxqvzlrmtpwy12", user_context(email="kxqvzlrmtpwy@example.org"))
    assert refusal is not None and refusal.reason == "too_easy_to_guess"


def test_zxcvbn_feedback_is_passed_on() -> None:
    refusal = check_password("aaaaaaaaaaaaaaaa")
    assert refusal is not None
    assert 'Repeats like "aaa"' in refusal.message
    assert refusal.suggestions


def test_require_raises_with_the_refusal() -> None:
    with pytest.raises(PasswordRefused, match="too short") as info:
        require_acceptable_password("short")
    assert info.value.refusal.reason == "too_short"
    assert isinstance(info.value, ValueError)


def test_user_context_words() -> None:
    assert JEAN == ("jdupont", "jean.dupont@post.lu", "jean.dupont", "jean", "dupont", "post", "jean dupont")
    assert user_context() == ()
    assert user_context("al", "al@x.lu") == ("al@x.lu",)  # parts under 3 characters are left out


def test_common_list_is_bundled_and_loaded_once() -> None:
    assert is_common_password("123456")
    assert is_common_password("Dragon")
    assert not is_common_password("Gl4cier-Tromb0ne-Mosel")
    common = passwords._common_passwords()
    assert 10_000 <= len(common) <= 100_000
    assert passwords._common_passwords() is common


def test_length_counts_characters_after_nfkc() -> None:
    decomposed = "e\u0301" * 11 + "x"  # 12 characters once "é" is composed: still 12, not 23
    refusal = check_password(decomposed)
    assert refusal is None or refusal.reason != "too_long"
    assert check_password("é" * 11)  # 11 characters: too short whatever the encoding
    assert check_password("é" * 11) == check_password("e\u0301" * 11)


def test_hash_and_verify() -> None:
    stored = hash_password("Gl4cier-Tromb0ne-Mosel")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "Gl4cier-Tromb0ne-Mosel")
    assert not verify_password(stored, "Gl4cier-Tromb0ne-Mose1")
    assert not verify_password("not a hash", "Gl4cier-Tromb0ne-Mosel")
    assert not verify_password("", "")
    assert hash_password("same") != hash_password("same")  # a fresh salt every time


def test_verify_normalises_unicode() -> None:
    stored = hash_password("Kachk\u00e9is-Gromperekichelcher")  # é composed
    assert verify_password(stored, "Kachke\u0301is-Gromperekichelcher")  # é decomposed


def test_needs_rehash() -> None:
    assert not needs_rehash(hash_password("Gl4cier-Tromb0ne-Mosel"))
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Gl4cier-Tromb0ne-Mosel")
    assert needs_rehash(weaker)
    assert verify_password(weaker, "Gl4cier-Tromb0ne-Mosel")  # still verifies: re-hash after login
    assert needs_rehash("$2b$12$not-argon2")
    assert ARGON2_PARAMETERS.memory_cost == 19 * 1024
    assert ARGON2_PARAMETERS.time_cost == 2
    assert ARGON2_PARAMETERS.parallelism == 1


def test_unknown_user_is_refused() -> None:
    assert verify_unknown_user("anything at all") is False


def test_concurrent_checks_keep_their_own_context() -> None:
    """zxcvbn keeps user_inputs in a module-level dictionary; the policy serialises calls so that each password
    is judged with its own person's context."""
    results: dict[int, bool] = {}

    def judge(i: int) -> None:
        if i % 2:
            results[i] = check_password("kxqvzlrmtpwy12", user_context("kxqvzlrmtpwy")) is not None
        else:
            results[i] = check_password("kxqvzlrmtpwy12", user_context("someoneelse")) is None

    threads = [threading.Thread(target=judge, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results.values()) and len(results) == 16
