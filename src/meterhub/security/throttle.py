"""Login throttling per account and per source address, and the API's token-bucket rate limit: pure state machines.

Login: each account and each source address has a small :class:`ThrottleRecord` (failures, first and last failure,
locked until, lockouts so far) that the store keeps. Before checking a password, :func:`check` the account's and
the address's record (:func:`strictest` of both): :class:`Allowed`, :class:`Delayed` until a time (answer 429 with
``Retry-After`` and do not check the password), or :class:`Locked` until a time. After the check,
:func:`record_failure` or :func:`record_success` gives the record to store. Policy (:data:`ACCOUNT_POLICY`,
:data:`ADDRESS_POLICY`): a few failures are free, then each further failure makes the next attempt wait twice as
long (1 s, 2 s, 4 s … up to a cap); at a threshold the record locks, and once locked every further failure in the
same window locks it again for twice as long. Time lifts a lock, and so does an admin (:func:`unlock`). A window
starts at the first failure and the count starts over once it has passed without a lock in force. Addresses get
higher numbers than accounts (an office behind one NAT address shares them) and a success does not reset them
(one valid account must not launder an address that sprays passwords at others). The API's rate limit is a token
bucket per client or user (:func:`take`), its state a :class:`BucketState` kept in the store so that several
workers share it. Time is always passed in (timezone-aware UTC); nothing here does I/O or keeps state.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, NamedTuple

from meterhub.security.times import require_aware

# --- login throttling ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The numbers of one throttle. After the n-th failure of a window the next attempt waits
    ``min(base_delay · 2^(n − free_failures − 1), max_delay)`` (nothing while n ≤ ``free_failures``); the
    ``lockout_after``-th failure locks for ``lockout``, and each failure after a lock of the same window locks again
    for twice the previous lock, at most ``max_lockout``. ``window`` runs from the window's first failure."""

    free_failures: int
    base_delay: timedelta
    max_delay: timedelta
    lockout_after: int
    lockout: timedelta
    max_lockout: timedelta
    window: timedelta
    success_resets: bool

    def delay_after(self, failures: int) -> timedelta:
        """How long the next attempt waits after ``failures`` failures (before any lock)."""
        if failures <= self.free_failures:
            return timedelta(0)
        exponent = min(failures - self.free_failures - 1, 32)
        return min(self.base_delay * (1 << exponent), self.max_delay)

    def lockout_for(self, lockouts: int) -> timedelta:
        """The length of the ``lockouts``-th lock of a window (1 = the first)."""
        return min(self.lockout * (1 << min(max(lockouts - 1, 0), 32)), self.max_lockout)


ACCOUNT_POLICY: Final = ThrottlePolicy(
    free_failures=3,
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=60),
    lockout_after=10,
    lockout=timedelta(minutes=15),
    max_lockout=timedelta(hours=24),
    window=timedelta(hours=24),
    success_resets=True,
)
"""Per account: 3 free failures, then 1 s, 2 s, 4 s … 32 s between attempts; the 10th failure in 24 h locks for
15 min, each further one for 30 min, 1 h, 2 h … up to 24 h. That is at most ~16 guesses a day against one account,
whatever the number of addresses the attacker has. A successful login starts over."""

ADDRESS_POLICY: Final = ThrottlePolicy(
    free_failures=20,
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=15),
    lockout_after=100,
    lockout=timedelta(minutes=15),
    max_lockout=timedelta(hours=1),
    window=timedelta(hours=1),
    success_resets=False,
)
"""Per source address (an IPv6 /64, see :func:`address_key`): 20 free failures, then 1 s … 15 s between
attempts; the 100th failure within an hour locks for 15 min, further ones for 30 min and 1 h at most. Higher than
per account, as an office behind one NAT address shares them; a success does not reset them."""


@dataclass(frozen=True, slots=True)
class ThrottleRecord:
    """One account's or one address's login failures, as the store keeps them. ``ThrottleRecord()`` is the
    record of a name or address that never failed (no row in the store)."""

    failures: int = 0
    first_failure_at: datetime | None = None
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0


@dataclass(frozen=True, slots=True)
class Allowed:
    """Go ahead and check the password."""


@dataclass(frozen=True, slots=True)
class Delayed:
    """Too soon after the last failure: refuse without checking the password; retry from ``until``."""

    until: datetime


@dataclass(frozen=True, slots=True)
class Locked:
    """Locked until ``until`` (or until an admin unlocks): refuse without checking the password."""

    until: datetime


Decision = Allowed | Delayed | Locked


def _locked(record: ThrottleRecord, now: datetime) -> bool:
    return record.locked_until is not None and now < record.locked_until


def _window_over(record: ThrottleRecord, now: datetime, policy: ThrottlePolicy) -> bool:
    return record.first_failure_at is None or now - record.first_failure_at >= policy.window


def check(record: ThrottleRecord, now: datetime, policy: ThrottlePolicy = ACCOUNT_POLICY) -> Decision:
    """May a login attempt be made now? See the module docstring."""
    require_aware("now", now)
    if record.locked_until is not None and _locked(record, now):
        return Locked(record.locked_until)
    if _window_over(record, now, policy) or record.last_failure_at is None:
        return Allowed()
    until = record.last_failure_at + policy.delay_after(record.failures)
    return Delayed(until) if now < until else Allowed()


def record_failure(record: ThrottleRecord, now: datetime, policy: ThrottlePolicy = ACCOUNT_POLICY) -> ThrottleRecord:
    """The record after a failed login at ``now``. A failure while locked changes nothing (the caller should not
    have checked the password; a lock is not extended by knocking on it)."""
    require_aware("now", now)
    if _locked(record, now):
        return record
    if _window_over(record, now, policy):
        record = ThrottleRecord(first_failure_at=now)
    failures = record.failures + 1
    record = replace(record, failures=failures, last_failure_at=now)
    if failures >= policy.lockout_after:
        lockouts = record.lockouts + 1
        record = replace(record, lockouts=lockouts, locked_until=now + policy.lockout_for(lockouts))
    return record


def record_success(record: ThrottleRecord, now: datetime, policy: ThrottlePolicy = ACCOUNT_POLICY) -> ThrottleRecord:
    """The record after a successful login at ``now``: a fresh one where the policy says so (accounts), else the
    same (addresses)."""
    require_aware("now", now)
    return ThrottleRecord() if policy.success_resets else record


def unlock(record: ThrottleRecord) -> ThrottleRecord:
    """An admin lifts the lock and clears the failures."""
    return ThrottleRecord()


def can_forget(record: ThrottleRecord, now: datetime, policy: ThrottlePolicy = ACCOUNT_POLICY) -> bool:
    """True once the record no longer matters (no lock in force, window over): the store may delete its row."""
    require_aware("now", now)
    return not _locked(record, now) and _window_over(record, now, policy)


def strictest(*decisions: Decision) -> Decision:
    """The decision that holds for an attempt judged by several records (account and address): a lock before a
    delay before an allowance, and the later of two of a kind."""

    def rank(d: Decision) -> tuple[int, datetime | None]:
        if isinstance(d, Locked):
            return (2, d.until)
        if isinstance(d, Delayed):
            return (1, d.until)
        return (0, None)

    result: Decision = Allowed()
    for d in decisions:
        r, cur = rank(d), rank(result)
        if r[0] > cur[0] or (r[0] == cur[0] and r[1] is not None and cur[1] is not None and r[1] > cur[1]):
            result = d
    return result


def address_key(address: str) -> str:
    """The key of a source address for :data:`ADDRESS_POLICY`: an IPv4 address as it is, an IPv6 address as its
    /64 network (one household or host gets a whole /64), an IPv4-mapped IPv6 address as its IPv4 address. Raises
    ValueError with a clear message for anything that is not an IP address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        raise ValueError(f"not an IP address: {address[:64]!r}") from None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# --- API rate limit: token bucket ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BucketPolicy:
    """A token bucket: up to ``capacity`` tokens (the burst), refilled at ``refill_per_s`` (the sustained rate)."""

    capacity: float
    refill_per_s: float

    def __post_init__(self) -> None:
        if not (self.capacity > 0 and self.refill_per_s > 0):
            raise ValueError("a bucket needs a positive capacity and refill rate")


CLIENT_BUCKET: Final = BucketPolicy(capacity=100, refill_per_s=10)
"""Per OAuth2 client (a market party's system): bursts of 100, 600 a minute sustained. Charge a batch request one
token per metering point in it, so bundling points costs the same as asking one by one but fewer round trips."""

USER_BUCKET: Final = BucketPolicy(capacity=60, refill_per_s=2)
"""Per signed-in person (cookie session): a page's burst of requests, 120 a minute sustained."""

ANONYMOUS_BUCKET: Final = BucketPolicy(capacity=30, refill_per_s=1)
"""Per source address (:func:`address_key`) for requests without credentials (login, token endpoint)."""


@dataclass(frozen=True, slots=True)
class BucketState:
    """A bucket's tokens as of ``updated_at`` (the store keeps one per client, user or address)."""

    tokens: float
    updated_at: datetime


class Take(NamedTuple):
    """What :func:`take` answers: whether the request may go ahead, the seconds to wait if not (0 if it may), and
    the state to store either way."""

    allowed: bool
    retry_after_s: float
    state: BucketState


def take(state: BucketState | None, now: datetime, cost: float = 1.0, policy: BucketPolicy = CLIENT_BUCKET) -> Take:
    """Take ``cost`` tokens from the bucket at ``now`` (None: a new, full bucket). A refused request takes nothing.
    A clock that steps back (several workers) is taken as no time passing. Raises ValueError if ``cost`` is not
    positive or exceeds the capacity (such a request could never pass: the API must refuse it as too large)."""
    require_aware("now", now)
    if not cost > 0:
        raise ValueError("a request's cost must be positive")
    if cost > policy.capacity:
        raise ValueError(f"a request costing {cost:g} exceeds the bucket's capacity of {policy.capacity:g}")
    if state is None:
        tokens, updated_at = policy.capacity, now
    else:
        elapsed = max(0.0, (now - state.updated_at).total_seconds())
        tokens = min(policy.capacity, state.tokens + elapsed * policy.refill_per_s)
        updated_at = max(state.updated_at, now)
    if tokens >= cost:
        return Take(True, 0.0, BucketState(tokens - cost, updated_at))
    return Take(False, (cost - tokens) / policy.refill_per_s, BucketState(tokens, updated_at))


def retry_after_header(retry_after_s: float) -> str:
    """The ``Retry-After`` header's value for a wait: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(retry_after_s)))


__all__ = [
    "ACCOUNT_POLICY",
    "ADDRESS_POLICY",
    "ANONYMOUS_BUCKET",
    "CLIENT_BUCKET",
    "USER_BUCKET",
    "Allowed",
    "BucketPolicy",
    "BucketState",
    "Decision",
    "Delayed",
    "Locked",
    "Take",
    "ThrottlePolicy",
    "ThrottleRecord",
    "address_key",
    "can_forget",
    "check",
    "record_failure",
    "record_success",
    "retry_after_header",
    "strictest",
    "take",
    "unlock",
]
