"""home_profile and peer_stat: a household's home as it describes it, and the comparison's group statistics
(issue 14 §3).

Revision ID: 0011
Revises: 0009 (the lead re-chains it after 0010)
Create Date: 2026-12-02

``home_profile``: one row per (metering point, customer party) — household size, heating (gas, heat pump,
electric, district heat, oil, other), dwelling type (apartment, terraced, semi-detached, detached), floor area
(optional), whether the home has PV, an EV, a heat pump, and when and by whom it was last changed.

``peer_stat``: aggregates only — per medium, period (a local month or a season, by its first day) and group
(``group_key``: the criteria shared, e.g. ``size=2;heating=gas;dwelling=apartment`` or ``*`` for all homes of the
medium), the number of homes, their mean, the mean of the best 20 % and the percentiles p5 … p95 (JSON text) of
the period's consumption. Never a list of homes; a group under 20 homes is never written (:mod:`meterhub.mdm
.peers`). Frozen like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HEATING = ("gas", "heat_pump", "electric", "district_heat", "oil", "other")
DWELLING = ("apartment", "terraced", "semi_detached", "detached")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "home_profile",
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("party_id", sa.Integer, nullable=False),
        sa.Column("household_size", sa.SmallInteger, nullable=False),
        sa.Column("heating", sa.String(16), nullable=False),
        sa.Column("dwelling", sa.String(16), nullable=False),
        sa.Column("floor_area_m2", sa.Integer),
        sa.Column("has_pv", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("has_ev", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("has_heat_pump", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("point_id", "party_id", name="pk_home_profile"),
        sa.ForeignKeyConstraint(["point_id"], ["metering_point.id"], name="fk_home_profile_point_id_metering_point"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name="fk_home_profile_party_id_party"),
        sa.CheckConstraint("household_size BETWEEN 1 AND 20", name="ck_home_profile_household_size"),
        sa.CheckConstraint(_in("heating", HEATING), name="ck_home_profile_heating"),
        sa.CheckConstraint(_in("dwelling", DWELLING), name="ck_home_profile_dwelling"),
        sa.CheckConstraint(
            "floor_area_m2 IS NULL OR floor_area_m2 BETWEEN 10 AND 2000", name="ck_home_profile_floor_area_m2"
        ),
    )
    op.create_table(
        "peer_stat",
        sa.Column("id", sa.Integer),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("group_key", sa.String(80), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("homes", sa.Integer, nullable=False),
        sa.Column("mean", sa.Float, nullable=False),
        sa.Column("efficient", sa.Float, nullable=False),
        sa.Column("percentiles", sa.Text, nullable=False),
        sa.Column("computed_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_peer_stat"),
        sa.UniqueConstraint(
            "medium",
            "period_kind",
            "period_start",
            "group_key",
            name="uq_peer_stat_medium_period_kind_period_start_group_key",
        ),
        sa.CheckConstraint("homes >= 20", name="ck_peer_stat_homes"),
        sa.CheckConstraint("period_kind IN ('month', 'season')", name="ck_peer_stat_period_kind"),
    )


def downgrade() -> None:
    op.drop_table("peer_stat")
    op.drop_table("home_profile")
