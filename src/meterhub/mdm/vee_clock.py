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

Where the import marked an hour of instants read twice with different values (the clock went back an hour),
:func:`jump_stretches` pairs it with an hour never read (where the clock went forward) and takes the stretch
between as shifted: the evidence a meter clock leaves at both ends. Pure numpy;
:func:`meterhub.mdm.vee.validate` calls it (importing it when it needs it: this module uses ``vee``'s helpers).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from meterhub.mdm.vee import _runs, nanmedian_rows

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Per-day cost of taking a shift (score is the share of the hourly mismatch the shift removes).
DAY_PENALTY = 0.15
#: The run's score, less the penalties, needed to call it shifted.
MIN_RUN_SCORE = 1.0
#: How far the days between two clock jumps of an hourly meter must lean the shift's way (mean score above the
#: channel's median).
MIN_JUMP_LEAN = 0.0
#: Days of the same type needed for a reference profile (else all other days).
MIN_REFERENCE_DAYS = 3


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
        ref, x = nanmedian_rows(rows), hourly[d]
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


def _pairs(mask: BoolArray) -> list[tuple[int, int]]:
    starts, ends = _runs(mask)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def jump_stretches(
    duplicate: BoolArray,
    missing: BoolArray,
    hourly: F64,
    slot_day: npt.NDArray[np.int64],
    day_types: npt.NDArray[np.int8],
    per_hour: int,
    max_slots: int,
) -> list[tuple[int, int]]:
    """Stretches ``[first, end)`` of slots between the two ends of a clock that was an hour off: an hour of
    instants read twice with different values (≥ ``per_hour + 1`` slots in a row stored ``suspect`` with the
    duplicate rule by the import — where the clock went back an hour, or the platform's hour was read twice)
    and an hour never read (``per_hour`` readings missing: ``per_hour + 1`` slots) at most ``max_slots`` away, when
    the days between lean the shift's way (an hour read twice *before* the hole: labels an hour early, so the
    profile sits an hour early; after it: late)."""
    twice = [(a, b) for a, b in _pairs(duplicate) if b - a >= per_hour + 1]
    if not twice:
        return []
    holes = [(a, b) for a, b in _pairs(missing) if b - a == per_hour + 1]  # an hour of labels: its slots and one
    scores = day_scores(hourly, day_types, list(range(hourly.shape[0])))
    typical = [float(np.median([v[k] for v in scores.values()])) if scores else 0.0 for k in (0, 1)]
    out: list[tuple[int, int]] = []
    for da, db in twice:
        candidates = []
        for ha, hb in holes:
            if 0 < ha - db <= max_slots:  # read twice, then the hole: early labels (scores[..][1], a lag of −1)
                candidates.append((ha - db, db, ha, 1))
            elif 0 < da - hb <= max_slots:  # the hole, then read twice: late labels (lag +1)
                candidates.append((da - hb, hb, da, 0))
        for _, first, end, k in sorted(candidates)[:1]:  # the nearest hole: the clock's other end
            days = np.unique(slot_day[first:end]).tolist()
            values = [scores[d][k] - typical[k] for d in days if d in scores]
            lean = float(np.mean(values)) if values else 0.0
            # an hour of quarter hours read twice is a clock set back; on an hourly meter it is one instant, as
            # any conflicting duplicate: there the days between must lean the shift's way clearly
            if per_hour > 1 or lean > MIN_JUMP_LEAN:
                out.append((first, end))
    return out


__all__ = ["DAY_PENALTY", "MIN_RUN_SCORE", "day_scores", "jump_stretches", "shifted_days"]
