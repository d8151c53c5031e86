"""The market-access tables (migration 0006) on SQLite and PostgreSQL: supplier of record and occupant over time,
people, sessions, OAuth2 clients, consents, the append-only access log, and the shared throttle and bucket state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from meterhub.store import Store
from meterhub.store.access_log import AccessEntry
from meterhub.store.limits import BucketRow, ThrottleRow
from meterhub.store.users import SessionRow, TokenRow
from tests.pg import BACKENDS, open_store

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def _point(store: Store) -> tuple[int, int]:
    dso = store.add_party("dso", "creos", "Creos")
    return dso, store.add_metering_point("LU0000000000000000000000000000001", dso)


def test_supplier_switch_and_moves_make_histories(store: Store) -> None:
    dso, mp = _point(store)
    s1, s2 = store.add_party("supplier", "s1", "S1"), store.add_party("supplier", "s2", "S2")
    alice, bob = store.add_party("customer", "alice", "Alice"), store.add_party("customer", "bob", "Bob")
    esp = store.add_party("esp", "e1", "ESP one")
    store.set_supplier(mp, s1, T0)
    store.set_supplier(mp, s2, T0 + 30 * DAY)
    store.move_in(mp, alice, T0)
    store.move_in(mp, bob, T0 + 10 * DAY)  # alice's move-out is implied
    h = store.point_histories([mp])[mp]
    assert h.dso_id == dso
    assert [(p.party_id, p.start, p.end) for p in h.suppliers] == [(s1, T0, T0 + 30 * DAY), (s2, T0 + 30 * DAY, None)]
    assert [(p.party_id, p.end) for p in h.occupants] == [(alice, T0 + 10 * DAY), (bob, None)]
    assert h.current(h.suppliers, T0 + 40 * DAY) == s2 and h.current(h.occupants, T0 + DAY) == alice
    store.move_out(mp, T0 + 20 * DAY)
    assert store.point_histories([mp])[mp].current(store.point_histories()[mp].occupants, T0 + 21 * DAY) is None
    assert store.points_of_party("customer", alice) == [mp] and store.points_of_party("dso", dso) == [mp]
    assert store.points_of_party("esp", esp) == []
    store.add_consent(bob, esp, [mp], ["interval_data"], T0 + 10 * DAY, None, "requested", T0 + 11 * DAY)
    assert store.points_of_party("esp", esp) == [mp]
    assert store.point_histories([]) == {} and store.point_histories([999]) == {}


def test_users_sessions_clients_tokens(store: Store) -> None:
    party = store.add_party("supplier", "s1", "S1")
    uid = store.add_user("alice", "$argon2id$x", "supplier", party, T0, totp_secret="JBSWY3DPEHPK3PXP")
    assert store.user_by_name("alice") == store.get_user(uid)
    with pytest.raises(sa.exc.IntegrityError):
        store.add_user("alice", "h", "supplier", party, T0, totp_secret=None)
    with pytest.raises(sa.exc.IntegrityError):
        store.add_user("eve", "h", "emperor", party, T0, totp_secret=None)  # CHECK on the role
    assert store.update_user(uid, disabled=True, totp_last_step=7)
    u = store.get_user(uid)
    assert u is not None and u.disabled and u.totp_last_step == 7
    for h in ("a" * 64, "b" * 64):
        store.add_session(SessionRow(h, uid, T0, T0, 1800, T0 + DAY))
    store.touch_session("a" * 64, T0 + timedelta(minutes=5))
    got = store.get_session("a" * 64)
    assert got is not None and got.last_seen_at == T0 + timedelta(minutes=5)
    store.delete_session("a" * 64)
    assert store.get_session("a" * 64) is None
    assert store.delete_user_sessions(uid) == 1
    store.add_client("mhci_1", party, "billing system", "interval_data", "c" * 64, T0)
    client = store.get_client("mhci_1")
    assert client is not None and client[1] == ["c" * 64] and client[0].party_id == party
    store.add_access_token(TokenRow("d" * 64, "mhci_1", "interval_data", T0, T0 + timedelta(minutes=15)))
    tok = store.get_access_token("d" * 64)
    assert tok is not None and tok.expires_at == T0 + timedelta(minutes=15)
    assert [c.client_id for c in store.list_clients(party)] == ["mhci_1"]


def test_consent_lifecycle(store: Store) -> None:
    _, mp = _point(store)
    alice, esp = store.add_party("customer", "alice", "Alice"), store.add_party("esp", "e1", "E1")
    cid = store.add_consent(alice, esp, [mp], ["live_p1", "interval_data"], T0, None, "requested", T0)
    c = store.get_consent(cid)
    assert c is not None and c.status == "requested" and c.scopes == ("interval_data", "live_p1")
    assert c.point_ids == (mp,)
    with pytest.raises(ValueError, match="cannot become revoked"):
        store.set_consent_status(cid, "revoked", T0)
    assert store.set_consent_status(cid, "active", T0 + DAY).answered_at == T0 + DAY
    revoked = store.set_consent_status(cid, "revoked", T0 + 2 * DAY)
    assert revoked.status == "revoked" and revoked.revoked_at == T0 + 2 * DAY
    assert [x.id for x in store.consents_of_party(alice)] == [cid] == [x.id for x in store.consents_of_party(esp)]


def test_access_log_is_append_only(store: Store) -> None:
    e = AccessEntry(T0, "user:alice", "customer", 3, 1, "interval_data", T0, T0 + DAY, "own", "/x", "corr-1")
    store.log_access([e, e])
    assert store.access_entries([1]) == [e, e] and store.access_entries([2]) == []
    for sql in ("UPDATE access_log SET principal = 'user:mallory'", "DELETE FROM access_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.write() as conn:
            conn.exec_driver_sql(sql)
    assert len(store.access_entries()) == 2


def test_throttle_and_bucket_state(store: Store) -> None:
    assert store.throttle_rows(["account:a"]) == {"account:a": ThrottleRow()}
    new = store.update_throttle("account:a", lambda r: r._replace(failures=r.failures + 1, last_failure_at=T0))
    assert new.failures == 1
    assert store.update_throttle("account:a", lambda r: r._replace(failures=r.failures + 1)).failures == 2
    assert store.throttle_rows(["account:a"])["account:a"].last_failure_at == T0
    store.forget_throttle("account:a")
    assert store.throttle_rows(["account:a"])["account:a"] == ThrottleRow()

    def spend(b: BucketRow) -> tuple[BucketRow, float]:
        return BucketRow(b.tokens - 1, b.updated_at + 0.5), b.tokens

    assert [store.update_bucket("client:x", BucketRow(3.0, 100.0), spend) for _ in range(3)] == [3.0, 2.0, 1.0]
