"""Per-value quality codes of interval data (DESIGN §3).

A quality byte is ``code | detail << 3``: the low three bits are a :class:`Quality` code and the upper five
bits say *how* — the :class:`EstimationMethod` of an estimated value, or the :class:`SuspectRule` a suspect
value failed. ``missing`` is 0 so a fresh array of zeros is "nothing read yet". Manual edits carry their reason
on the block version (``interval_block.reason``), not per value.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

CODE_MASK = 0x07
DETAIL_SHIFT = 3


class Quality(IntEnum):
    """The quality of one interval value (low three bits of the quality byte)."""

    MISSING = 0
    MEASURED = 1
    VALIDATED = 2
    ESTIMATED = 3
    EDITED = 4
    SUSPECT = 5


class EstimationMethod(IntEnum):
    """Detail of an ``estimated`` value."""

    UNSPECIFIED = 0
    INTERPOLATION = 1
    PROFILE = 2
    PROXY_DAY = 3
    REGISTER_PRORATED = 4


class SuspectRule(IntEnum):
    """Detail of a ``suspect`` value: the validation rule it failed (see :mod:`meterhub.mdm.vee`).

    The ids are stored in quality bytes: never renumber, only append (at most 31).
    """

    UNSPECIFIED = 0
    NEGATIVE_DELTA = 1  #: negative consumption (register went backwards), and the rebound after it
    SPIKE = 2  #: far above the channel's own history for the slot and day type (and its fall-back)
    HIGH_LIMIT = 3  #: above the connection capacity
    LOW_LIMIT = 4  #: below a configured minimum
    ZERO_RUN = 5  #: a long run of zeros
    STUCK_REGISTER = 6  #: zeros where the channel always consumes, and the catch-up after them
    SUM_CHECK = 7  #: interval sum differs from the register delta
    CLOCK_SHIFT = 8  #: the day's profile is shifted in time against the channel's history
    DST_SLOTS = 9  #: a day with the wrong number of slots for its DST length
    DUPLICATE = 10  #: two readings for one instant
    TIMESTAMP = 11  #: a reading off the interval grid or out of order
    GAP = 12  #: no value (a VEE report's rule for a missing slot; stored as missing or estimated)


def quality_byte(code: Quality, detail: int = 0) -> int:
    """Compose a quality byte from a code and its 0..31 detail."""
    if not 0 <= detail < 32:
        raise ValueError(f"quality detail {detail} outside 0..31")
    return int(code) | detail << DETAIL_SHIFT


def quality_code(q: int) -> Quality:
    """The :class:`Quality` of a quality byte."""
    return Quality(q & CODE_MASK)


def quality_detail(q: int) -> int:
    """The detail (method or rule) of a quality byte."""
    return q >> DETAIL_SHIFT


def codes(q: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The code part of an array of quality bytes."""
    return q & np.uint8(CODE_MASK)


MEASURED = quality_byte(Quality.MEASURED)
SUSPECT_NEGATIVE = quality_byte(Quality.SUSPECT, SuspectRule.NEGATIVE_DELTA)
SUSPECT_DUPLICATE = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)

QUALITY_RANK: Final = (
    Quality.VALIDATED,
    Quality.MEASURED,
    Quality.EDITED,
    Quality.ESTIMATED,
    Quality.SUSPECT,
    Quality.MISSING,
)
"""From best to worst: an aggregate's (an hour's, a day's, a download interval's) quality is its worst slot's."""
