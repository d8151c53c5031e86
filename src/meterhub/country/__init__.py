"""The country the platform serves, as the code needs it everywhere: its time zone and its public holidays.

Luxembourg (DESIGN §1, §7): times are timezone-aware UTC inside and Europe/Luxembourg at the edges — daily blocks,
billing days, the UI, the meters' clocks and the P1 telegrams' timestamps; DST days have 92 or 100 quarter-hours.
Public holidays come from the ``holidays`` package (country code ``LU``). This module is the one definition of
both; it imports nothing of meterhub, so every layer (the sans-io cores included) may use it.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

LOCAL_TZ: Final = ZoneInfo("Europe/Luxembourg")
"""The platform's local time: Europe/Luxembourg (CET/CEST)."""

HOLIDAYS_COUNTRY: Final = "LU"
"""The ``holidays`` package's code for the country's public holidays."""
