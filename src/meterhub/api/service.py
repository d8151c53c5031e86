"""The one policy layer's service: the store's rights data → the pure policy → what a caller may see (issue 13 §7).

Every endpoint reads personal data through an :class:`Access` made for one request: the caller (a person's session
or a market party's OAuth2 client: role, party, token scopes), the store and the time. It loads the rights data
of the points a request touches — DSO, supplier-of-record and occupancy histories, the consents that name them —
in a few indexed queries, converts them to :mod:`meterhub.api.rights` and asks :mod:`meterhub.api.policy`:
:meth:`Access.page` lists the points a caller may see (any data, any time; installers and everybody with a
right see the inventory), :meth:`Access.point` answers one point or raises :class:`NotVisible`,
:meth:`Access.windows` cuts a requested period to the visible windows (none: :class:`NotVisible`; many points
at once: :meth:`Access.windows_of`), and
:meth:`Access.log` appends the read to the access log with the right each window was read under. No endpoint
queries the store around it: a point outside the caller's windows is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from meterhub.api import policy
from meterhub.api.rights import SCOPES, Consent, Occupancy, PointRights, Principal, Rights, Scope, SupplierPeriod
from meterhub.api.spans import Window
from meterhub.store import Store
from meterhub.store.access_log import AccessEntry
from meterhub.store.consents import ConsentRow, consents_on_points
from meterhub.store.inventory import MeteringPoint, points_page
from meterhub.store.parties import PointHistory, point_histories

EVERYWHERE_ROLES = frozenset({"operator", "operator_admin", "auditor", "installer"})
"""Roles that see the whole inventory (the installer without any personal data)."""
STAFF_VIEW = frozenset({"operator", "operator_admin", "auditor", "dso"})
"""Roles that see a listed point's current supplier and customer."""


class NotVisible(LookupError):
    """The point (or its data in the period) is not the caller's to see: answer 404, as for an unknown id."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes a request: the policy's principal plus what the access log names (``user:NAME`` /
    ``client:ID``)."""

    principal: Principal
    label: str
    party_id: int
    user_id: int | None = None
    client_id: str | None = None

    @property
    def role(self) -> str:
        return self.principal.role


@dataclass(frozen=True, slots=True)
class VisiblePoint:
    """A point as a caller may see it: the inventory, its DSO, and — where the caller's right covers it — the
    current supplier of record and customer (party ids)."""

    point: MeteringPoint
    dso: int
    supplier: int | None
    customer: int | None


def _consent(row: ConsentRow) -> Consent:
    return Consent(
        id=str(row.id),
        grantor=str(row.grantor_id),
        grantee=str(row.grantee_id),
        points=frozenset(str(p) for p in row.point_ids),
        scopes=frozenset(cast(Scope, s) for s in row.scopes if s in SCOPES),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        revoked_at=row.revoked_at,
    )


def rights_of(histories: Mapping[int, PointHistory], consents: Sequence[ConsentRow]) -> Rights:
    """The policy's rights data from the store's rows (party and point ids as strings). Only consents that were
    granted (active, or revoked since) give a right; requests and refusals do not."""
    points = [
        PointRights(
            str(h.point_id),
            str(h.dso_id),
            tuple(SupplierPeriod(str(p.party_id), p.start, p.end) for p in h.suppliers),
            tuple(Occupancy(str(p.party_id), p.start, p.end) for p in h.occupants),
        )
        for h in histories.values()
    ]
    granted = [_consent(c) for c in consents if c.status in ("active", "revoked")]
    return Rights.of(points, granted)


class Access:
    """What one caller may see at ``now`` (one request)."""

    def __init__(self, store: Store, caller: Caller, now: datetime) -> None:
        self.store = store
        self.caller = caller
        self.now = now

    # ---------------------------------------------------------------------------------------------- rights data

    def rights(self, point_ids: Sequence[int]) -> Rights:
        """The policy's rights data of ``point_ids`` (for :func:`~meterhub.api.policy.consent_problems`)."""
        return self._rights(point_ids)[1]

    def _rights(self, point_ids: Sequence[int]) -> tuple[dict[int, PointHistory], Rights]:
        grantee = self.caller.party_id if self.caller.role in ("supplier", "esp") else None
        with self.store.read() as conn:
            histories = point_histories(conn, point_ids)
            consents = consents_on_points(conn, point_ids, grantee) if grantee is not None else []
        return histories, rights_of(histories, consents)

    def _candidates(self) -> list[int] | None:
        """The points the caller could see anything of (None: every point)."""
        role = self.caller.role
        if role in EVERYWHERE_ROLES:
            return None
        kind = {"dso": "dso", "customer": "customer", "supplier": "supplier", "esp": "esp"}[role]
        return self.store.points_of_party(kind, self.caller.party_id)

    def _sees(self, point_id: int, rights: Rights) -> bool:
        return policy.sees_inventory(self.caller.principal, str(point_id), rights, self.now)

    def _visible(self, p: MeteringPoint, h: PointHistory) -> VisiblePoint:
        role, me = self.caller.role, self.caller.party_id
        supplier = h.current(h.suppliers, self.now)
        customer = h.current(h.occupants, self.now)
        if role in STAFF_VIEW:
            return VisiblePoint(p, h.dso_id, supplier, customer)
        if role == "supplier" and supplier == me:
            return VisiblePoint(p, h.dso_id, supplier, customer)
        if role == "customer" and customer == me:
            return VisiblePoint(p, h.dso_id, supplier, customer)
        return VisiblePoint(p, h.dso_id, None, None)

    # ---------------------------------------------------------------------------------------------- answers

    def page(
        self, *, after: int = 0, limit: int = 100, dso_id: int | None = None, ean: str | None = None
    ) -> list[VisiblePoint]:
        """Up to ``limit`` visible points with an id above the cursor ``after``, by id."""
        candidates = self._candidates()
        out: list[VisiblePoint] = []
        cursor = after
        while len(out) < limit:
            with self.store.read() as conn:
                batch = points_page(conn, after=cursor, limit=max(limit, 100), ids=candidates, dso_id=dso_id, ean=ean)
            if not batch:
                break
            histories, rights = self._rights([p.id for p in batch])
            for p in batch:
                if self._sees(p.id, rights):
                    out.append(self._visible(p, histories[p.id]))
                    if len(out) == limit:
                        break
            cursor = batch[-1].id
        return out

    def point(self, point_id: int) -> VisiblePoint:
        """The point, or :class:`NotVisible` (unknown or not the caller's)."""
        histories, rights = self._rights([point_id])
        if point_id not in histories or not self._sees(point_id, rights):
            raise NotVisible(point_id)
        p = self.store.get_metering_point(point_id)
        if p is None:
            raise NotVisible(point_id)
        return self._visible(p, histories[point_id])

    def windows(self, point_id: int, scope: Scope, start: datetime, end: datetime) -> list[Window]:
        """The visible windows of [start, end) of the point's ``scope`` data; :class:`NotVisible` if none.
        ValueError for an empty or naive period."""
        _, rights = self._rights([point_id])
        found = policy.clip(self.caller.principal, str(point_id), scope, start, end, rights, self.now)
        if not found:
            raise NotVisible(point_id)
        return found

    def windows_of(self, periods: Mapping[int, tuple[datetime, datetime]], scope: Scope) -> dict[int, list[Window]]:
        """For many points at once, the visible windows of each one's [start, end) of ``scope`` data; a point
        with none is absent (the webhook sweep's question: which of these new periods may the caller see)."""
        if not periods:
            return {}
        _, rights = self._rights(sorted(periods))
        out: dict[int, list[Window]] = {}
        for point_id, (start, end) in periods.items():
            found = policy.clip(self.caller.principal, str(point_id), scope, start, end, rights, self.now)
            if found:
                out[point_id] = found
        return out

    def log(self, point_id: int, scope: str, windows: Sequence[Window], route: str, correlation_id: str | None) -> None:
        """Append the read of ``windows`` to the access log, one row per window with its right."""
        c = self.caller
        self.store.log_access(
            [
                AccessEntry(
                    self.now,
                    c.label,
                    c.role,
                    c.party_id,
                    point_id,
                    scope,
                    w.start,
                    w.end,
                    w.right,
                    route,
                    correlation_id,
                )
                for w in windows
            ]
        )

    def can(self, action: policy.Action) -> bool:
        return policy.can_write(self.caller.principal, action)


__all__ = ["EVERYWHERE_ROLES", "STAFF_VIEW", "Access", "Caller", "NotVisible", "VisiblePoint", "rights_of"]
