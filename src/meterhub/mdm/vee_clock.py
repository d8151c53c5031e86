"""The clock-shift rule of validation (VEE): days whose load profile sits one hour early or late.

A meter whose clock is an hour off (it missed a DST switch, or its time was set in the wrong offset) labels
every reading an hour early or late: the household's day — its morning rise, its evening peak, a gas boiler's
morning recovery — shows up an hour away from where the channel's other days have it. Per day, the day's
energy per wall-clock hour is compared with the channel's median profile of the same day type over the
*other* days of the series (both sides: a clock that missed the spring switch is off from the switch on, so a
history before the day alone is not the reference), as is and shifted by ± one hour; the day's score for a
shift is the share of the mismatch the shift removes. A shift is taken where a run of consecutive days scores
in total more than :data:`MIN_RUN_SCORE` above :data:`DAY_PENALTY` per day (a maximum-sum run), on at least
two target days: one day's profile alone is too noisy, and so a single target day (VEE at ingest) never fires.

Pure numpy; the days' matrix and types come from :mod:`meterhub.mdm.vee`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Per-day cost of taking a shift (score is the share of the hourly mismatch the shift removes).
DAY_PENALTY = 0.15
#: The run's score, less the penalties, needed to call it shifted.
MIN_RUN_SCORE = 1.0
#: Days of the same type needed for a reference profile (else all other days).
MIN_REFERENCE_DAYS = 3


def _median(rows: F64) -> F64:
    """Median of each column ignoring NaN (NaN where none)."""
    ordered = np.sort(rows, axis=0)
    count = np.isfinite(rows).sum(axis=0)
    cols = np.arange(rows.shape[1])
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.minimum(np.maximum(count // 2, 0), rows.shape[0] - 1)
    out = (ordered[lo, cols] + ordered[hi, cols]) / 2.0
    return np.where(count > 0, out, np.nan)


def day_scores(hourly: F64, day_types: npt.NDArray[np.int8], days: list[int]) -> dict[int, tuple[float, float]]:
    """Per day of ``days`` (rows of ``hourly``: energy per wall-clock hour, NaN where not usable): the scores of
    a shift one hour later (+1) and one hour earlier (−1) against the median of the other days — the mismatch
    the shift removes over the hours both comparisons use, as a share of the day's whole mismatch."""
    out: dict[int, tuple[float, float]] = {}
    n_days, width = hourly.shape
    usable = np.isfinite(hourly).sum(axis=1) >= 0.75 * width
    for d in days:
        if not usable[d]:
            continue
        others = (np.arange(n_days) != d) & usable
        same = others & (day_types == day_types[d])
        rows = hourly[same] if int(same.sum()) >= MIN_REFERENCE_DAYS else hourly[others]
        if rows.shape[0] == 0:
            continue
        ref, x = _median(rows), hourly[d]
        whole = np.abs(x - ref)
        total = float(whole[np.isfinite(whole)].sum())
        if total <= 0:
            continue
        gains = []
        for lag in (1, -1):  # the day's hour h looks like the reference's hour h − lag
            a = x[lag:] if lag > 0 else x[:lag]
            b0 = ref[lag:] if lag > 0 else ref[:lag]
            bl = ref[:-lag] if lag > 0 else ref[-lag:]
            diff = np.abs(a - b0) - np.abs(a - bl)
            gains.append(float(diff[np.isfinite(diff)].sum()) / total)
        out[d] = (gains[0], gains[1])
    return out


def _runs_above(scores: list[tuple[int, float]]) -> list[tuple[int, int]]:
    """Maximum-sum runs of consecutive days (score − :data:`DAY_PENALTY` each) reaching :data:`MIN_RUN_SCORE`
    over two days or more, as (first, last) day."""
    out: list[tuple[int, int]] = []
    total, start, best = 0.0, -1, (0.0, -1, -1)
    previous = -2

    def close() -> None:
        if best[0] >= MIN_RUN_SCORE and best[2] > best[1]:
            out.append((best[1], best[2]))

    for d, score in scores:
        if d != previous + 1 or total <= 0:
            close()
            total, start, best = 0.0, d, (0.0, d, d)
        previous = d
        total += score - DAY_PENALTY
        if total > best[0]:
            best = (total, start, d)
    close()
    return out


def shifted_days(hourly: F64, day_types: npt.NDArray[np.int8], target: list[int]) -> list[int]:
    """The target days (indexes into ``hourly``'s rows) inside a run of consecutive days shifted by one hour."""
    scores = day_scores(hourly, day_types, target)
    flagged: set[int] = set()
    for k in (0, 1):
        for a, b in _runs_above([(d, scores[d][k]) for d in sorted(scores)]):
            flagged.update(range(a, b + 1))
    return sorted(flagged)


__all__ = ["DAY_PENALTY", "MIN_RUN_SCORE", "day_scores", "shifted_days"]
