"""The policy layer's inputs: who asks (:class:`Principal`) and the rights over time on metering points.

Plain frozen dataclasses, so the store can fill them with one query per request and the policy
(:mod:`meterhub.api.policy`) stays pure. A metering point (:class:`PointRights`) belongs to one DSO's grid area and
has a supplier of record over time (:class:`SupplierPeriod`, switches on a date) and occupants over time
(:class:`Occupancy`, move-in / move-out); a customer grants :class:`Consent` to a supplier or an ESP for chosen
points and scopes. Periods are half-open ``[from, to)`` with ``None`` for an open end; every datetime must be
timezone-aware (UTC inside the platform), and a period that ends before it starts is refused with a clear
ValueError at construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, get_args

from meterhub.api.spans import require_aware

Role = Literal["operator", "operator_admin", "dso", "supplier", "esp", "customer", "auditor", "installer"]
ROLES: Final[frozenset[str]] = frozenset(get_args(Role))

STAFF_ROLES: Final[frozenset[str]] = ROLES - {"customer"}
"""The roles for which TOTP MFA is mandatory (issue 13); customers are offered it."""

Scope = Literal["interval_data", "billing_reads", "live_p1"]
"""What data a right covers: the quarter-hour (and M-Bus hourly) series, the billing register reads (1.0.1.8.x …),
and the live customer-port (P1) telegrams forwarded to the platform."""
SCOPES: Final[frozenset[str]] = frozenset(get_args(Scope))


def _period(name: str, start: datetime, end: datetime | None) -> None:
    require_aware(f"{name} start", start)
    if end is not None:
        require_aware(f"{name} end", end)
        if end < start:
            raise ValueError(f"{name} ends before it starts: {end.isoformat()} < {start.isoformat()}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who asks: a person (``scopes=None``: whatever the role allows) or a market party's OAuth2 client
    (``scopes``: the scopes granted to its access token, which narrow the role's rights further)."""

    role: Role
    party_id: str
    scopes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: one of {', '.join(sorted(ROLES))}")


@dataclass(frozen=True, slots=True)
class SupplierPeriod:
    """``supplier`` is the point's supplier of record in [valid_from, valid_to)."""

    supplier: str
    valid_from: datetime
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        _period("supplier period", self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class Occupancy:
    """``customer`` occupies the point (lives or works there) in [move_in, move_out)."""

    customer: str
    move_in: datetime
    move_out: datetime | None = None

    def __post_init__(self) -> None:
        _period("occupancy", self.move_in, self.move_out)


@dataclass(frozen=True, slots=True)
class PointRights:
    """The rights data of one metering point: its DSO (the grid area's operator) and its supplier and occupancy
    histories, in any order."""

    point_id: str
    dso: str
    suppliers: tuple[SupplierPeriod, ...] = ()
    occupancies: tuple[Occupancy, ...] = ()


@dataclass(frozen=True, slots=True)
class Consent:
    """A customer's (``grantor``) consent that ``grantee`` (a supplier or ESP) may see ``points`` for ``scopes``,
    for the data of [valid_from, valid_to). It is in force until ``valid_to`` or ``revoked_at``, whichever comes
    first; after that it shows nothing any more. The policy cuts its window to the grantor's own occupancy of each
    point, so it never reaches before their move-in nor into another occupant's time."""

    id: str
    grantor: str
    grantee: str
    points: frozenset[str]
    scopes: frozenset[Scope]
    valid_from: datetime
    valid_to: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        _period(f"consent {self.id}", self.valid_from, self.valid_to)
        if self.revoked_at is not None:
            require_aware(f"consent {self.id} revoked_at", self.revoked_at)
        unknown = set(self.scopes) - SCOPES
        if unknown:
            raise ValueError(f"consent {self.id}: unknown scopes {sorted(unknown)}; one of {sorted(SCOPES)}")

    @property
    def right(self) -> str:
        """The name of the right it gives, as the access log records it."""
        return f"consent:{self.id}"

    def ends_at(self) -> datetime | None:
        """When the consent stops being in force: the earlier of its end date and its revocation (None: never)."""
        ends = [t for t in (self.valid_to, self.revoked_at) if t is not None]
        return min(ends) if ends else None

    def in_force(self, now: datetime) -> bool:
        """True if the consent still gives access at ``now`` (neither expired nor revoked)."""
        require_aware("now", now)
        ends = self.ends_at()
        return ends is None or now < ends


@dataclass(frozen=True, slots=True)
class Rights:
    """The rights data for the metering points of one request: the points by id, and the consents that name any of
    them (the store may pass more; the policy looks at the grantee, the points and the scopes)."""

    points: Mapping[str, PointRights] = field(default_factory=dict)
    consents: tuple[Consent, ...] = ()

    @classmethod
    def of(cls, points: Iterable[PointRights], consents: Iterable[Consent] = ()) -> Rights:
        """Rights from a sequence of points (their ids must be distinct) and consents."""
        by_id: dict[str, PointRights] = {}
        for p in points:
            if p.point_id in by_id:
                raise ValueError(f"metering point {p.point_id} is given twice")
            by_id[p.point_id] = p
        return cls(by_id, tuple(consents))


__all__ = [
    "ROLES",
    "SCOPES",
    "STAFF_ROLES",
    "Consent",
    "Occupancy",
    "PointRights",
    "Principal",
    "Rights",
    "Role",
    "Scope",
    "SupplierPeriod",
]
