"""People's passwords: argon2id hashing and the password policy (DESIGN §5, issue 13).

Hashing is argon2-cffi's argon2id with OWASP's parameters (below); :func:`needs_rehash` tells the login code when
a stored hash was made with older parameters, so it can re-hash the password it has just verified. Passwords are
NFKC-normalised before hashing and checking (NIST SP 800-63B §5.1.1.2), so the same password typed on two
keyboards that compose "é" differently is the same password. The policy (:func:`check_password`) refuses a
password that is shorter than 12 characters, longer than 128, on the bundled list of 40 101 common passwords
(``data/common-passwords.txt.gz``, provenance and licences in ``data/README.md``; loaded lazily, once), or that
zxcvbn — Dropbox's strength estimator, in its maintained Python port — scores below 3 of 4 given the person's own
context (user name, e-mail address, name) and the platform's name, or whose rest without those words scores below 3
(zxcvbn alone lets "jeandupont2024" pass for Jean Dupont). A refusal says why in plain words and never
repeats the password. Nothing here logs, and nothing keeps state but the common-password list and a lock that
serialises zxcvbn (whose ``user_inputs`` live in a module-level dictionary of the library: two concurrent calls
would otherwise judge each other's passwords with the wrong context).
"""

from __future__ import annotations

import gzip
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

if TYPE_CHECKING:
    from zxcvbn import _Result as _ZxcvbnResult

# OWASP Password Storage Cheat Sheet (current, unchanged since 2023): "Use Argon2id with a minimum configuration
# of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism." The cheat sheet lists equivalent
# trade-offs (46 MiB/t=1, 12 MiB/t=3, 9 MiB/t=4, 7 MiB/t=5); we take its first line: ~50 ms a hash on this
# project's 2-core machine and 19 MiB per concurrent login, which several web workers can afford. Salt 16 bytes,
# tag 32 bytes (argon2-cffi's defaults). Raising any number later is safe: needs_rehash() upgrades hashes as
# people log in.
ARGON2_PARAMETERS: Final = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2, memory_cost=19 * 1024, parallelism=1
)
_HASHER: Final = PasswordHasher.from_parameters(ARGON2_PARAMETERS)

MIN_LENGTH: Final = 12
"""Shortest acceptable password, in characters (Unicode code points after NFKC), issue 13 / DESIGN §5."""

MAX_LENGTH: Final = 128
"""Longest acceptable password: room for any passphrase or password manager, and a bound on the work one login
attempt costs (zxcvbn's matching grows faster than linearly with length)."""

MIN_SCORE: Final = 3
"""zxcvbn's score (0–4) a password needs: 3 is "safely unguessable: moderate protection from offline slow-hash
scenarios" (guesses ≥ 10⁸); below it the password falls to an online attack that outlasts the throttle."""

PLATFORM_WORDS: Final = ("meterhub", "smartmeter", "luxembourg", "letzebuerg")
"""Words an attacker tries first on this platform, added to every person's context for zxcvbn."""

_ZXCVBN_MAX_LENGTH: Final = 72
"""zxcvbn refuses longer input; a longer password is judged by its first 72 characters (at least as strong)."""

_COMMON_PASSWORDS_FILE: Final = "data/common-passwords.txt.gz"
_ZXCVBN_LOCK: Final = threading.Lock()

RefusalReason = Literal["too_short", "too_long", "too_common", "too_easy_to_guess"]


@dataclass(frozen=True, slots=True)
class PasswordRefusal:
    """Why a password was refused: a machine-readable ``reason``, a ``message`` for the person in plain words, and
    zxcvbn's ``suggestions`` (for ``too_easy_to_guess``). Neither ever contains the password."""

    reason: RefusalReason
    message: str
    suggestions: tuple[str, ...] = ()


class PasswordRefused(ValueError):
    """Raised by :func:`require_acceptable_password`; ``str(exc)`` is the refusal's message."""

    def __init__(self, refusal: PasswordRefusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def normalize(password: str) -> str:
    """The form of ``password`` that is hashed, measured and compared: Unicode NFKC."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in the PHC string format (``$argon2id$v=19$m=19456,t=2,p=1$…``), with a
    fresh random salt. Apply :func:`check_password` first when the password is being chosen."""
    return _HASHER.hash(normalize(password))


def verify_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``. A wrong password and an unreadable hash are both False."""
    try:
        return _HASHER.verify(stored_hash, normalize(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if ``stored_hash`` was made with other parameters than :data:`ARGON2_PARAMETERS` (or is not argon2id):
    after a successful :func:`verify_password`, store :func:`hash_password` of the same password instead."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("meterhub: no such user")


def verify_unknown_user(password: str) -> bool:
    """Spend the time of one :func:`verify_password` and answer False: call it when the user name is unknown, so
    the answer takes as long as for a known user and does not tell which user names exist."""
    verify_password(_dummy_hash(), password)
    return False


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("meterhub.security").joinpath(_COMMON_PASSWORDS_FILE).read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split("\n")) - {""}


def is_common_password(password: str) -> bool:
    """True if ``password`` (case-insensitively) is on the bundled list of common passwords."""
    return normalize(password).lower() in _common_passwords()


_WORD_SPLIT: Final = re.compile(r"[\s@._+\-]+")


def user_context(username: str = "", email: str = "", name: str = "") -> tuple[str, ...]:
    """The words of a person's own context for :func:`check_password`: the user name, the e-mail address and its
    parts (local part, the words in it, the domain's labels) and the words of the name, lowercased. Parts shorter
    than 3 characters are left out (zxcvbn would match them everywhere)."""
    words: list[str] = []
    for value in (username, email, name):
        value = normalize(value).strip().lower()
        if not value:
            continue
        words.append(value)
        if "@" in value:
            words.append(value.split("@", 1)[0])
        words.extend(_WORD_SPLIT.split(value))
    return tuple(dict.fromkeys(w for w in words if len(w) >= 3))


def check_password(password: str, user_inputs: Iterable[str] = ()) -> PasswordRefusal | None:
    """None if ``password`` meets the policy, else why not. ``user_inputs`` are the person's own words — pass
    :func:`user_context` of their user name, e-mail address and name — so a password built on them is refused."""
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        return PasswordRefusal(
            "too_short", f"This password is too short: use at least {MIN_LENGTH} characters (a few words work well)."
        )
    if len(password) > MAX_LENGTH:
        return PasswordRefusal("too_long", f"This password is too long: use at most {MAX_LENGTH} characters.")
    if is_common_password(password):
        return PasswordRefusal(
            "too_common", "This password is too common: it is on a list of passwords that attackers try first."
        )
    context = [*(normalize(w).lower() for w in user_inputs), *PLATFORM_WORDS]
    result = _zxcvbn(password, context)
    if result["score"] < MIN_SCORE:
        reasons = [result["feedback"]["warning"]] if result["feedback"]["warning"] else []
        if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
            reasons.append(_OWN_WORDS)
        suggestions = tuple(result["feedback"]["suggestions"]) or (_MORE_WORDS,)
        return PasswordRefusal("too_easy_to_guess", " ".join([_EASY, *reasons]), suggestions)
    # zxcvbn counts each further word of a sequence as 10⁴ more guesses, so "jeandupont2024" passes it even with
    # "jean" and "dupont" in the context: what is left without the person's own words must be strong on its own.
    rest = _without_own_words(password.lower(), context)
    if rest is not None and (not rest or _zxcvbn(rest, context)["score"] < MIN_SCORE):
        return PasswordRefusal(
            "too_easy_to_guess",
            f"{_EASY} {_OWN_WORDS} What is left without them is too easy to guess.",
            ("Add another word or two that have nothing to do with you.",),
        )
    return None


def _zxcvbn(password: str, context: list[str]) -> _ZxcvbnResult:
    with _ZXCVBN_LOCK:
        return zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=context)


_EASY: Final = "This password is too easy to guess."
_MORE_WORDS: Final = "Add another word or two. Uncommon words are better."
_OWN_WORDS: Final = "It is built on your user name, e-mail address or name, or on the platform's name."
_OWN_WORD_MIN_LENGTH: Final = 4


def _without_own_words(password: str, context: Iterable[str]) -> str | None:
    """``password`` (lowercased) with every context word of 4 or more characters taken out, longest first, and the
    separators left around them stripped; None if it contains none of them."""
    rest = password
    for word in sorted({w for w in context if len(w) >= _OWN_WORD_MIN_LENGTH}, key=len, reverse=True):
        rest = rest.replace(word, " ")
    if rest == password:
        return None
    return _WORD_SPLIT.sub(" ", rest).strip()


def require_acceptable_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise :class:`PasswordRefused` unless ``password`` meets the policy (see :func:`check_password`)."""
    refusal = check_password(password, user_inputs)
    if refusal is not None:
        raise PasswordRefused(refusal)


__all__ = [
    "ARGON2_PARAMETERS",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "MIN_SCORE",
    "PLATFORM_WORDS",
    "PasswordRefusal",
    "PasswordRefused",
    "RefusalReason",
    "check_password",
    "hash_password",
    "is_common_password",
    "needs_rehash",
    "normalize",
    "require_acceptable_password",
    "user_context",
    "verify_password",
    "verify_unknown_user",
]
