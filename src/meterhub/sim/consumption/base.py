"""The time axis every household model shares: instants are quarter indices counted from :data:`ORIGIN` (the UTC
start of local day 0, 2024-01-01 in Europe/Luxembourg), the models start at :data:`MODEL_EPOCH` and end at the
horizon :data:`HORIZON` (the first local day they do not cover); plus the local zone and the numpy array types of
the models' values (int64 energies, float64 weights, uint64 hashes).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.country import LOCAL_TZ

__all__ = [
    "DAY0",
    "EPOCH_Q",
    "F64",
    "HORIZON",
    "HOUR",
    "I64",
    "LUX",
    "MODEL_EPOCH",
    "ORIGIN",
    "QUARTER",
    "U64",
    "UTC",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

LUX: Final = LOCAL_TZ
UTC: Final = dt.UTC
QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)
#: The models start here: registers hold their installation reading at this instant; earlier instants are refused.
MODEL_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=UTC)
DAY0: Final = dt.date(2024, 1, 1)  # local day 0 (starts 2023-12-31T23:00Z, i.e. quarter index 0)
ORIGIN: Final = dt.datetime(2023, 12, 31, 23, tzinfo=UTC)
EPOCH_Q: Final = 4  # MODEL_EPOCH as a quarter index from ORIGIN
HORIZON: Final = dt.date(2050, 1, 1)  # first local day beyond the horizon
