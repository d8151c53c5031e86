"""weather_day: the daily weather the platform holds, for heating degree days (issue 14, History page).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

One row per weather area (``LU``: the country) and Europe/Luxembourg local day: the day's mean air temperature in
°C, the optional mean global irradiance in W/m², and where the figures came from (``sim`` for the simulator's
weather, ``csv:FILE`` for ``meterhub import weather``). A day imported again replaces the row. Frozen like 0001:
no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weather_day",
        sa.Column("area", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("temperature_c", sa.Float, nullable=False),
        sa.Column("irradiance_wm2", sa.Float),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("area", "day", name="pk_weather_day"),
    )


def downgrade() -> None:
    op.drop_table("weather_day")
