"""Faults for the VEE benchmark, injected into a channel's *reported* cumulative readings, and their labels.

One :class:`Injected` per channel: the readings the platform receives (one value per instant, as the import
keeps it), the conflicting second readings (the pairs the import will hand to VEE as the duplicate rule's
suspects), and per slot the fault kind that made it wrong (the ground truth, never shown to the platform).
Slot ``j`` runs from reading boundary ``j`` to ``j + 1``. Kinds (the outside check's, 28 days across the spring
DST switch; ≈ 4–5 % of the intervals here):

* ``gap`` — readings missing: 30 min … several days;
* ``spike`` — a reading too high by many intervals' worth for a while (the slot up, the slot it ends down);
* ``negative`` — the register reads lower for a while (the slot goes negative, the slot it ends rebounds);
* ``stuck`` — the register frozen for 1–4 h (2–4 h on an hourly meter), then the catch-up;
* ``clock_shift`` — the meter's clock an hour off for 1–4 days on a quarter of the channels (half of them from
  the spring switch, as when it missed it):
  readings labelled an hour early or late, so an hour of labels is read twice (a conflicting duplicate for each)
  at one end and an hour never at the other;
* ``duplicate`` — a second, different reading for one instant (either may be the one the import keeps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
KINDS = ("gap", "spike", "negative", "stuck", "clock_shift", "duplicate")
_CODE = {k: i + 1 for i, k in enumerate(KINDS)}


@dataclass
class Injected:
    """A channel's reported readings per boundary (``present`` False = never received) and the fault labels."""

    reported: I64  # (n + 1,) cumulative value kept per boundary
    present: npt.NDArray[np.bool_]  # (n + 1,)
    label: npt.NDArray[np.int8]  # (n,) 0 = clean, else 1 + KINDS.index(kind)
    conflicts: list[tuple[int, int, int]] = field(default_factory=list)  # (boundary, kept value, other value)

    def kind(self, name: str) -> npt.NDArray[np.bool_]:
        return np.asarray(self.label == _CODE[name], dtype=bool)


def _free(busy: npt.NDArray[np.bool_], a: int, b: int, margin: int) -> bool:
    lo, hi = max(0, a - margin), min(busy.size, b + margin)
    return bool(a >= margin and b <= busy.size - margin and not busy[lo:hi].any())


def inject(
    truth: I64, interval_s: int, rng: np.random.Generator, *, dst_slot: int, first_register: int = 1_000_000
) -> Injected:
    """Faults for one channel of ``truth`` (energy per slot); ``dst_slot`` is the slot where the spring switch
    happens (a meter that missed it has its clock shifted from there)."""
    n = truth.size
    per_hour = 3600 // interval_s
    cum = first_register + np.concatenate(([0], np.cumsum(truth))).astype(np.int64)
    reported = cum.copy()
    present = np.ones(n + 1, dtype=bool)
    label = np.zeros(n, dtype=np.int8)
    busy = np.zeros(n, dtype=bool)
    conflicts: dict[int, tuple[int, int]] = {}
    margin = 2 * per_hour
    mean = max(float(truth.mean()), 1.0)

    def place(length: int, at: int | None = None) -> int | None:
        for _ in range(200):
            a = int(rng.integers(margin, n - length - margin)) if at is None else at
            if _free(busy, a, a + length, margin):
                busy[a : a + length] = True
                return a
            if at is not None:
                return None
        return None

    # gaps: one of days on a fifth of the channels, and one or two of 30 min … 12 h
    hours = [float(rng.choice([0.5, 1, 2, 3, 5, 8, 12])) for _ in range(int(rng.integers(1, 3)))]
    if rng.random() < 0.2:
        hours.append(float(rng.uniform(26, 96)))
    for h in hours:
        k = max(2, round(h * per_hour))
        a = place(k)
        if a is not None:
            present[a + 1 : a + k] = False
            label[a : a + k] = _CODE["gap"]
    # value faults
    if rng.random() < 0.5:
        m = int(rng.integers(1, 3 * per_hour))
        j = place(m + 1)
        if j is not None:
            reported[j + 1 : j + m + 1] += int(mean * rng.uniform(30, 300))
            label[[j, j + m]] = _CODE["spike"]
    if rng.random() < 0.5:
        m = int(rng.integers(1, 2 * per_hour))
        j = place(m + 1)
        if j is not None:
            reported[j + 1 : j + m + 1] -= int(truth[j] + mean * rng.uniform(2, 30))
            label[[j, j + m]] = _CODE["negative"]
    if rng.random() < 0.5:
        m = int(rng.integers(max(2, per_hour), 4 * per_hour + 1))  # 1–4 h (an hourly meter: 2–4 h)
        j = place(m + 1)
        if j is not None:
            reported[j + 1 : j + m + 1] = reported[j]
            wrong = np.flatnonzero(np.diff(reported[j : j + m + 2]) != truth[j : j + m + 1]) + j
            label[wrong] = _CODE["stuck"]  # a frozen slot whose true value was 0 anyway is not wrong
    for _ in range(int(rng.integers(0, 3))):
        j = place(2)
        if j is not None:
            b = j + 1
            other = int(cum[b] + rng.choice([-1, 1]) * max(1, int(mean * rng.uniform(0.3, 3.0))))
            conflicts[b] = (int(cum[b]), other) if rng.random() < 0.5 else (other, int(cum[b]))
            reported[b] = conflicts[b][0]
            label[[b - 1, b]] = _CODE["duplicate"]
    if rng.random() < 0.25:
        _clock_shift(truth, cum, reported, present, label, busy, conflicts, rng, per_hour, dst_slot, margin)
    return Injected(reported, present, label, [(b, kept, other) for b, (kept, other) in sorted(conflicts.items())])


def _clock_shift(
    truth: I64,
    cum: I64,
    reported: I64,
    present: npt.NDArray[np.bool_],
    label: npt.NDArray[np.int8],
    busy: npt.NDArray[np.bool_],
    conflicts: dict[int, tuple[int, int]],
    rng: np.random.Generator,
    per_hour: int,
    dst_slot: int,
    margin: int,
) -> None:
    """The meter's clock off by ``s`` = ± one hour over true slots [t0, t1): readings labelled ``b + s``."""
    n = truth.size
    missed_switch = rng.random() < 0.5
    s = -per_hour if missed_switch else int(rng.choice([-per_hour, per_hour]))
    length = int(rng.uniform(1, 4) * 24 * per_hour)
    t0 = dst_slot if missed_switch else int(rng.integers(margin + per_hour, max(margin + per_hour + 1, n - length)))
    t1 = min(t0 + length, n - margin - per_hour)
    first, end = min(t0, t0 + s), max(t1, t1 + s)  # the labels [first, end) are affected
    if t1 - t0 < 12 * per_hour or first - 1 < margin or busy[first - 1 : end + 1].any():
        return
    busy[first - 1 : end + 1] = True
    keep_window = rng.random() < 0.5  # which of the twice-read hour's readings the import keeps
    for b in range(t0, t1):  # true boundaries read with a shifted label
        lab = b + s
        if lab < t0 or lab >= t1:  # a label the unshifted readings also have: read twice
            mine, theirs = int(cum[b]), int(cum[lab])
            if mine != theirs:
                conflicts[lab] = (mine, theirs) if keep_window else (theirs, mine)
                reported[lab] = conflicts[lab][0]
        else:
            reported[lab] = cum[b]
    hole = np.arange(t1 + s, t1) if s < 0 else np.arange(t0, t0 + s)  # labels nobody reads
    present[hole] = False
    label[first - 1 : end] = _CODE["clock_shift"]


__all__ = ["KINDS", "Injected", "inject"]
