"""Login throttling sequences (free attempts, growing delays, lockouts, admin unlock, addresses); the token bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.security.throttle import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    CLIENT_BUCKET,
    Allowed,
    BucketPolicy,
    BucketState,
    Delayed,
    Locked,
    ThrottleRecord,
    address_key,
    can_forget,
    check,
    record_failure,
    record_success,
    retry_after_header,
    strictest,
    take,
    unlock,
)

T0 = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)
S = timedelta(seconds=1)


def fail_n(n: int, start: datetime = T0, gap: timedelta = timedelta(0)) -> tuple[ThrottleRecord, datetime]:
    """``n`` failures, ``gap`` apart (the caller's checks are not consulted); the record and the last one's time."""
    record, t = ThrottleRecord(), start
    for _ in range(n):
        record = record_failure(record, t)
        t += gap
    return record, t - gap


def test_three_free_failures_then_growing_delays() -> None:
    record = ThrottleRecord()
    assert check(record, T0) == Allowed()
    t = T0
    for _ in range(3):
        record = record_failure(record, t)
        assert check(record, t) == Allowed()
    for delay_s in [1, 2, 4, 8, 16, 32]:
        record = record_failure(record, t)
        assert check(record, t) == Delayed(t + delay_s * S)
        assert check(record, t + (delay_s - 1) * S) == Delayed(t + delay_s * S)
        t += delay_s * S
        assert check(record, t) == Allowed()
    assert record.failures == 9


def test_tenth_failure_locks_for_15_minutes_and_time_lifts_it() -> None:
    record, t = fail_n(10)
    assert check(record, t) == Locked(t + timedelta(minutes=15))
    assert check(record, t + timedelta(minutes=14, seconds=59)) == Locked(t + timedelta(minutes=15))
    assert check(record, t + timedelta(minutes=15)) == Allowed()


def test_failures_after_a_lock_lock_again_for_twice_as_long() -> None:
    record, t = fail_n(10)
    lengths = []
    for _ in range(7):
        assert isinstance(check(record, t), Locked)
        assert record.locked_until is not None
        lengths.append(record.locked_until - t)
        t = record.locked_until
        assert check(record, t) == Allowed()
        record = record_failure(record, t)
    assert [m.total_seconds() / 60 for m in lengths] == [15, 30, 60, 120, 240, 480, 960]
    assert record.failures == 1  # the 7th lock outlasted the 24 h window: the next failure starts a new one
    assert ACCOUNT_POLICY.lockout_for(8) == ACCOUNT_POLICY.lockout_for(20) == timedelta(hours=24)  # the cap


def test_a_failure_while_locked_changes_nothing() -> None:
    record, t = fail_n(10)
    assert record_failure(record, t + timedelta(minutes=5)) == record


def test_admin_unlock() -> None:
    record, t = fail_n(12, gap=timedelta(hours=1))
    assert isinstance(check(record, t), Locked)
    record = unlock(record)
    assert record == ThrottleRecord() and check(record, t) == Allowed()


def test_success_resets_an_account() -> None:
    record, t = fail_n(5)
    assert record_success(record, t) == ThrottleRecord()


def test_the_window_starts_over() -> None:
    record, t = fail_n(9, gap=timedelta(hours=1))  # 9 failures over 8 h: not locked
    assert record.failures == 9 and check(record, t + timedelta(minutes=1)) == Allowed()
    assert not can_forget(record, t)
    later = T0 + ACCOUNT_POLICY.window
    assert can_forget(record, later)
    record = record_failure(record, later)
    assert record.failures == 1 and record.first_failure_at == later


def attack(until: datetime) -> tuple[ThrottleRecord, int]:
    """An attacker who tries a password whenever the throttle lets them, from T0 to ``until``."""
    record, t, guesses = ThrottleRecord(), T0, 0
    while t < until:
        decision = check(record, t)
        if isinstance(decision, Allowed):
            record = record_failure(record, t)
            guesses += 1
        else:
            t = decision.until
    return record, guesses


def test_an_attacker_gets_at_most_16_guesses_a_day() -> None:
    assert attack(T0 + timedelta(days=1))[1] == 16
    assert attack(T0 + timedelta(days=2))[1] <= 2 * 16


def test_a_lock_outlasting_the_window_is_kept_until_it_ends() -> None:
    record, _ = attack(T0 + timedelta(hours=20))  # the 16th guess at 15 h 45 locks for 16 h, past the window
    end = T0 + ACCOUNT_POLICY.window
    assert record.locked_until is not None and record.locked_until > end
    assert not can_forget(record, end)
    assert check(record, end) == Locked(record.locked_until)
    assert record_failure(record, end) == record
    assert record_failure(record, record.locked_until).failures == 1  # then a new window starts


def test_address_policy_is_more_lenient_and_not_reset_by_success() -> None:
    record = ThrottleRecord()
    for _ in range(20):
        record = record_failure(record, T0, ADDRESS_POLICY)
    assert check(record, T0, ADDRESS_POLICY) == Allowed()
    assert check(record, T0, ACCOUNT_POLICY) != Allowed()  # the same count would delay an account
    assert record_success(record, T0, ADDRESS_POLICY) == record
    t = T0
    for _ in range(80):
        t += 15 * S
        record = record_failure(record, t, ADDRESS_POLICY)
    assert check(record, t, ADDRESS_POLICY) == Locked(t + timedelta(minutes=15))


def test_address_delays_are_capped_at_15_seconds() -> None:
    record = ThrottleRecord()
    for _ in range(50):
        record = record_failure(record, T0, ADDRESS_POLICY)
    assert check(record, T0, ADDRESS_POLICY) == Delayed(T0 + 15 * S)


def test_strictest() -> None:
    a, b = T0 + S, T0 + 2 * S
    assert strictest() == Allowed()
    assert strictest(Allowed(), Delayed(a)) == Delayed(a)
    assert strictest(Delayed(b), Delayed(a)) == Delayed(b)
    assert strictest(Delayed(b), Locked(a)) == Locked(a)
    assert strictest(Locked(a), Locked(b), Allowed()) == Locked(b)


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7 ", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ],
)
def test_address_key(address: str, key: str) -> None:
    assert address_key(address) == key


def test_address_key_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        address_key("example.org")


def test_naive_now_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(ThrottleRecord(), datetime(2025, 1, 1))


# --- token bucket ---------------------------------------------------------------------------------------------------

BUCKET = BucketPolicy(capacity=5, refill_per_s=1)


def test_bucket_burst_then_refill() -> None:
    state = None
    for _ in range(5):
        allowed, wait, state = take(state, T0, 1, BUCKET)
        assert allowed and wait == 0
    allowed, wait, refused = take(state, T0, 1, BUCKET)
    assert not allowed and wait == pytest.approx(1.0)
    assert refused == state  # a refused request takes nothing
    allowed, wait, state = take(state, T0 + 0.5 * S, 1, BUCKET)
    assert not allowed and wait == pytest.approx(0.5)
    allowed, wait, state = take(state, T0 + S, 1, BUCKET)
    assert allowed and state.tokens == pytest.approx(0)


def test_bucket_never_exceeds_capacity() -> None:
    _, _, state = take(None, T0, 1, BUCKET)
    _, _, state = take(state, T0 + timedelta(hours=1), 1, BUCKET)
    assert state.tokens == pytest.approx(4)


def test_bucket_cost() -> None:
    allowed, _, state = take(None, T0, 4, BUCKET)
    assert allowed and state.tokens == pytest.approx(1)
    allowed, wait, _ = take(state, T0, 3, BUCKET)
    assert not allowed and wait == pytest.approx(2)
    with pytest.raises(ValueError, match="exceeds the bucket's capacity"):
        take(None, T0, 6, BUCKET)
    with pytest.raises(ValueError, match="positive"):
        take(None, T0, 0, BUCKET)


def test_bucket_clock_stepping_back_adds_nothing() -> None:
    _, _, state = take(None, T0, 5, BUCKET)
    allowed, _, later = take(state, T0 - timedelta(seconds=30), 1, BUCKET)
    assert not allowed and later.updated_at == T0 and later.tokens == 0


def test_bucket_policy_validation_and_header() -> None:
    with pytest.raises(ValueError, match="positive"):
        BucketPolicy(capacity=0, refill_per_s=1)
    assert retry_after_header(0.01) == "1" and retry_after_header(1.0) == "1" and retry_after_header(1.2) == "2"


@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 5)), max_size=60))
def test_bucket_never_lets_more_through_than_capacity_plus_refill(requests: list[tuple[int, int]]) -> None:
    """Over any sequence of requests, what is allowed never exceeds the burst plus what was refilled meanwhile,
    and a refused request is told a positive wait after which it passes (if nothing else is taken)."""
    state: BucketState | None = None
    allowed_cost, elapsed_ms = 0, 0
    for gap_ms, cost in requests:
        elapsed_ms += gap_ms
        now = T0 + timedelta(milliseconds=elapsed_ms)
        ok, wait, new_state = take(state, now, cost, BUCKET)
        assert 0 <= new_state.tokens <= BUCKET.capacity + 1e-9
        assert (wait == 0) == ok and wait >= 0
        if not ok:
            assert take(new_state, now + timedelta(seconds=wait + 1e-3), cost, BUCKET).allowed
        allowed_cost += cost if ok else 0
        state = new_state
    assert allowed_cost <= BUCKET.capacity + BUCKET.refill_per_s * elapsed_ms / 1000 + 1e-6


def test_client_bucket_numbers() -> None:
    assert (CLIENT_BUCKET.capacity, CLIENT_BUCKET.refill_per_s) == (100, 10)
