"""The one policy layer's pure core: which windows of which metering point's data a principal may see, and under
which right; which actions it may take.

Every read of personal data goes through :func:`clip` (issue 13 §7): given the principal, a point, a scope and the
requested period, it answers the visible parts of that period as windows that each name the right used (for the
access log). An empty answer means "not visible": the API answers 404, never a 403 that confirms the point exists.
The rules, per role:

* ``customer`` — its own points during its own occupancy (``own``): a new occupant never sees the former occupant's
  data, and the former keeps their own past.
* ``dso`` — the points of its own grid area, all time (``dso``); another DSO's points not at all.
* ``supplier`` — its supplier-of-record periods (``supplier_of_record``: after a switch on a date the new supplier
  sees from that date on, the old one up to it), plus consents granted to it.
* ``esp`` — consents granted to it only.
* ``operator``, ``operator_admin`` — everything (``operator``); ``auditor`` — everything (``auditor``), read-only.
* ``installer`` — no personal data at all (the inventory only: :func:`sees_inventory`).

A consent (``consent:<id>``) shows, while it is in force (until its end date or its revocation, effective at once:
``now``), its data window [valid_from, valid_to) cut to the grantor's own occupancy of the point. Live P1 data
(``live_p1``, the customer's own port) is not part of a DSO's or a supplier of record's intrinsic rights: only the
occupant, the operator, the auditor and a consent with that scope see it. Occupancy and supplier histories are read
defensively: where two parties' periods overlap (a move-out not yet recorded), the later start wins, and where two
parties start at the same instant neither is given the ambiguous time. Where several rights cover an instant, it is
attributed to the first in :data:`PRECEDENCE`. An OAuth2 client's token scopes narrow all of this further. Nothing
here does I/O; time comes in as ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, Literal, get_args

from meterhub.api.rights import SCOPES, Consent, PointRights, Principal, Rights, Role, Scope
from meterhub.api.spans import (
    ALL_TIME,
    FOREVER,
    Span,
    Window,
    clip_windows,
    intersection,
    layer,
    normalize,
    require_aware,
    span,
)

PRECEDENCE: Final = ("own", "operator", "auditor", "dso", "supplier_of_record", "consent:<id>")
"""The order in which rights are named when several cover the same instant (consents last, by id)."""

INTRINSIC_SCOPES: Final[Mapping[str, frozenset[Scope]]] = {
    "own": frozenset(get_args(Scope)),
    "operator": frozenset(get_args(Scope)),
    "auditor": frozenset(get_args(Scope)),
    "dso": frozenset({"interval_data", "billing_reads"}),
    "supplier_of_record": frozenset({"interval_data", "billing_reads"}),
}
"""The scopes each right other than a consent covers (a consent covers its own scopes)."""

Action = Literal[
    "users.manage",
    "parties.manage",
    "clients.manage",
    "webhooks.manage",
    "consents.grant",
    "consents.revoke",
    "consent_requests.create",
    "consent_requests.answer",
    "readings.edit",
    "commands.request",
    "commands.approve",
    "inventory.update",
    "p1.forward",
    "tariffs.manage",
    "refresh_tokens.manage",
]
"""State-changing actions: people of any party (users.manage), parties, a party's own OAuth2 clients and webhooks,
a customer's consents and answers to consent requests, a market party's consent requests, manual edits of readings
(VEE), remote commands to meters (request; a second person approves), installations and meter swaps, and a
household's live P1 readings forwarded by its reader (its own point, during its own occupancy), a supplier's
own tariffs (drafts, publication, withdrawal), and a person's own refresh tokens (long-lived credentials for a
program reading the data the person may read)."""
ACTIONS: Final[frozenset[str]] = frozenset(get_args(Action))
_ALL_SCOPES: Final[tuple[Scope, ...]] = get_args(Scope)

_OPERATOR_ACTIONS: Final[frozenset[Action]] = frozenset({"readings.edit", "commands.request", "inventory.update"})
WRITE_RIGHTS: Final[Mapping[Role, frozenset[Action]]] = {
    "operator": _OPERATOR_ACTIONS | {"refresh_tokens.manage"},
    "operator_admin": _OPERATOR_ACTIONS
    | {
        "users.manage",
        "parties.manage",
        "clients.manage",
        "webhooks.manage",
        "commands.approve",
        "refresh_tokens.manage",
    },
    "dso": _OPERATOR_ACTIONS | {"commands.approve", "clients.manage", "webhooks.manage", "refresh_tokens.manage"},
    "supplier": frozenset(
        {"consent_requests.create", "clients.manage", "webhooks.manage", "tariffs.manage", "refresh_tokens.manage"}
    ),
    "esp": frozenset({"consent_requests.create", "clients.manage", "webhooks.manage", "refresh_tokens.manage"}),
    "customer": frozenset(
        {"consents.grant", "consents.revoke", "consent_requests.answer", "p1.forward", "refresh_tokens.manage"}
    ),
    "auditor": frozenset(),
    "installer": frozenset({"inventory.update"}),
}
"""What each role may change. Role-level only: the object must also be the principal's (a DSO's own area, a
customer's own consent, a party's own clients), which the caller checks with the same rights data."""


def can_write(principal: Principal, action: Action) -> bool:
    """True if ``principal``'s role may take ``action`` (and, for an OAuth2 client, its token has the action as a
    scope). Unknown actions are refused. The auditor may take none."""
    if action not in ACTIONS or action not in WRITE_RIGHTS.get(principal.role, frozenset()):
        return False
    return principal.scopes is None or action in principal.scopes


AGGREGATES_EVERYWHERE: Final = frozenset({"operator", "operator_admin", "auditor"})
"""Roles that may read aggregates of every DSO's area (a DSO: its own area only; nobody else)."""


def aggregate_area(principal: Principal, asked: str | None) -> tuple[bool, str | None]:
    """Whether ``principal`` may read aggregates of the DSO ``asked`` (None: every area it may see), and the DSO
    to restrict them to (None: all). The operator, its admin and the auditor: any; a DSO: its own area only; an
    OAuth2 client also needs ``interval_data`` in its token. Groups under the privacy threshold are suppressed for
    everyone (:data:`meterhub.mdm.aggregates.MIN_METERS`)."""
    if principal.scopes is not None and "interval_data" not in principal.scopes:
        return False, None
    if principal.role in AGGREGATES_EVERYWHERE:
        return True, asked
    if principal.role == "dso" and asked in (None, principal.party_id):
        return True, principal.party_id
    return False, None


def _effective(periods: Sequence[tuple[str, datetime, datetime | None]]) -> list[tuple[str, Span]]:
    """Each (party, start, end) period cut where another party's period starts at or after its start: the later
    start wins an overlap, and two parties starting at the same instant both lose the ambiguous time."""
    out: list[tuple[str, Span]] = []
    for i, (party, start, end) in enumerate(periods):
        cut = FOREVER if end is None else end
        for j, (other, other_start, _) in enumerate(periods):
            if j != i and other != party and other_start >= start:
                cut = min(cut, other_start)
        out.extend((party, s) for s in span(start, cut))
    return out


def occupancy_spans(point: PointRights, customer: str) -> list[Span]:
    """When ``customer`` occupies ``point`` (the ``own`` right), after resolving overlaps."""
    periods = [(o.customer, o.move_in, o.move_out) for o in point.occupancies]
    return normalize(s for party, s in _effective(periods) if party == customer)


def supplier_spans(point: PointRights, supplier: str) -> list[Span]:
    """When ``supplier`` is ``point``'s supplier of record, after resolving overlaps."""
    periods = [(p.supplier, p.valid_from, p.valid_to) for p in point.suppliers]
    return normalize(s for party, s in _effective(periods) if party == supplier)


def consent_spans(consent: Consent, point: PointRights) -> list[Span]:
    """The data a consent covers on ``point`` when in force: [valid_from, valid_to) within the grantor's own
    occupancy (a consent reaching back before the move-in is cut to it). Empty if the point is not named."""
    if point.point_id not in consent.points:
        return []
    return intersection(span(consent.valid_from, consent.valid_to), occupancy_spans(point, consent.grantor))


def consent_problems(consent: Consent, rights: Rights, now: datetime) -> list[str]:
    """Why ``consent`` cannot be granted as it stands, in plain words for the customer (empty: it can). Checked
    when a consent is granted or a request accepted, so the customer is told, rather than the policy silently
    cutting it: every point must be the grantor's own, the history may reach back to the grantor's own move-in at
    most (and must cover some of it: a former occupant cannot grant the time after their move-out), and the end
    date must lie after ``now``. The policy still cuts the window to the grantor's occupancy
    whatever is stored (a later move-out ends it)."""
    require_aware("now", now)
    problems: list[str] = []
    if not consent.points:
        problems.append("Choose at least one metering point.")
    if not consent.scopes:
        problems.append("Choose what may be seen: interval data, billing reads or live P1 data.")
    for point_id in sorted(consent.points):
        point = rights.points.get(point_id)
        own = occupancy_spans(point, consent.grantor) if point is not None else []
        if not own:
            problems.append(f"Metering point {point_id} is not yours.")
        elif consent.valid_from < own[0].start:
            problems.append(
                f"For metering point {point_id} the history can reach back to your move-in on "
                f"{own[0].start.date().isoformat()} at most."
            )
        elif not intersection(span(consent.valid_from, consent.valid_to), own):
            problems.append(
                f"For metering point {point_id} you moved out on {own[-1].end.date().isoformat()}: the consent "
                "can only cover your own time there."
            )
    if consent.valid_to is not None and consent.valid_to <= max(now, consent.valid_from):
        problems.append("The end date must lie in the future and after the start.")
    return problems


def _consent_candidates(
    principal: Principal, point: PointRights, scope: Scope, consents: Iterable[Consent], now: datetime
) -> list[tuple[str, list[Span]]]:
    mine = [
        c
        for c in consents
        if c.grantee == principal.party_id and scope in c.scopes and point.point_id in c.points and c.in_force(now)
    ]
    return [(c.right, consent_spans(c, point)) for c in sorted(mine, key=lambda c: c.id)]


def _candidates(
    principal: Principal, point: PointRights, scope: Scope, rights: Rights, now: datetime
) -> list[tuple[str, Sequence[Span]]]:
    """The rights ``principal`` could use on ``point`` for ``scope``, in order of precedence."""
    role, party = principal.role, principal.party_id
    intrinsic: list[tuple[str, Sequence[Span]]]
    if role in ("operator", "operator_admin"):
        intrinsic = [("operator", ALL_TIME)]
    elif role == "auditor":
        intrinsic = [("auditor", ALL_TIME)]
    elif role == "customer":
        intrinsic = [("own", occupancy_spans(point, party))]
    elif role == "dso":
        intrinsic = [("dso", ALL_TIME)] if point.dso == party else []
    elif role == "supplier":
        intrinsic = [("supplier_of_record", supplier_spans(point, party))]
    else:  # esp (consents only), installer (no personal data)
        intrinsic = []
    candidates = [(right, spans) for right, spans in intrinsic if scope in INTRINSIC_SCOPES[right]]
    if role in ("supplier", "esp"):
        candidates.extend(_consent_candidates(principal, point, scope, rights.consents, now))
    return candidates


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: one of {', '.join(sorted(SCOPES))}")


def visible_windows(principal: Principal, point_id: str, scope: Scope, rights: Rights, now: datetime) -> list[Window]:
    """All the windows of ``point_id``'s ``scope`` data that ``principal`` may see at ``now``: disjoint, sorted,
    each naming its right (open ends are :data:`~meterhub.api.spans.BEGINNING` / ``FOREVER``). Empty if none, or
    if the point is not in ``rights``."""
    _check_scope(scope)
    require_aware("now", now)
    point = rights.points.get(point_id)
    if point is None or (principal.scopes is not None and scope not in principal.scopes):
        return []
    return layer(_candidates(principal, point, scope, rights, now))


def clip(
    principal: Principal, point: str, scope: Scope, start: datetime, end: datetime, rights: Rights, now: datetime
) -> list[Window]:
    """The parts of the requested [start, end) of ``point``'s ``scope`` data that ``principal`` may see at ``now``,
    as disjoint sorted windows naming the right of each (for the access log). Empty: not visible — answer 404.
    Raises ValueError for an empty or naive requested period (answer 422)."""
    require_aware("start", start)
    require_aware("end", end)
    if not start < end:
        raise ValueError(f"the requested period is empty: from {start.isoformat()} is not before to {end.isoformat()}")
    return clip_windows(visible_windows(principal, point, scope, rights, now), start, end)


def visible_points(principal: Principal, rights: Rights, now: datetime) -> list[str]:
    """The ids of the points in ``rights`` of which ``principal`` may see some data (any scope, any time), sorted:
    what a metering-point listing may show."""
    return sorted(
        point_id
        for point_id in rights.points
        if any(visible_windows(principal, point_id, scope, rights, now) for scope in _ALL_SCOPES)
    )


def sees_inventory(principal: Principal, point_id: str, rights: Rights, now: datetime) -> bool:
    """True if ``principal`` may see ``point_id``'s inventory (the point, its meters, channels; no readings, no
    occupant): the operator, the auditor and installers everywhere, a DSO in its own area, anybody else where they
    may see some of its data."""
    point = rights.points.get(point_id)
    if point is None:
        return False
    if principal.role in ("operator", "operator_admin", "auditor", "installer"):
        return True
    if principal.role == "dso":
        return point.dso == principal.party_id
    return point_id in visible_points(principal, Rights({point_id: point}, rights.consents), now)


__all__ = [
    "ACTIONS",
    "AGGREGATES_EVERYWHERE",
    "INTRINSIC_SCOPES",
    "PRECEDENCE",
    "WRITE_RIGHTS",
    "Action",
    "aggregate_area",
    "can_write",
    "clip",
    "consent_problems",
    "consent_spans",
    "occupancy_spans",
    "sees_inventory",
    "supplier_spans",
    "visible_points",
    "visible_windows",
]
