"""Half-open time spans [start, end) and their algebra, for the policy layer's visible windows.

A set of instants is a list of :class:`Span` in normal form: sorted, each non-empty, no two overlapping or touching
(``[a, b)`` and ``[b, c)`` become ``[a, c)``). :func:`union`, :func:`intersection` and :func:`difference` take and
give normal forms; :func:`normalize` makes one from any spans. A :class:`Window` is a span with the *right* that
makes it visible (``own``, ``dso``, ``consent:42`` …); :func:`layer` turns candidate rights, in order of precedence,
into disjoint windows that name one right each (the first right that covers an instant), and :func:`clip_windows`
cuts windows to a requested period. Open ends are :data:`BEGINNING` and :data:`FOREVER`. All datetimes are
timezone-aware; nothing here knows about roles or the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

BEGINNING: Final = datetime.min.replace(tzinfo=UTC)
"""The start of a span open to the past (0001-01-01T00:00Z)."""

FOREVER: Final = datetime.max.replace(tzinfo=UTC)
"""The end of a span open to the future (9999-12-31T23:59:59.999999Z)."""


def require_aware(name: str, value: datetime) -> None:
    """Raise ValueError unless ``value`` is timezone-aware."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC), got a naive one")


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """The instants t with ``start <= t < end``; never empty."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        if not self.start < self.end:
            raise ValueError(f"a span must end after it starts: [{self.start.isoformat()}, {self.end.isoformat()})")

    def __contains__(self, t: datetime) -> bool:
        return self.start <= t < self.end


def span(start: datetime, end: datetime | None = None) -> list[Span]:
    """[start, end) as a normal form: ``[Span]``, or ``[]`` if it is empty; ``end=None`` is open (:data:`FOREVER`)."""
    stop = FOREVER if end is None else end
    return [Span(start, stop)] if start < stop else []


ALL_TIME: Final = (Span(BEGINNING, FOREVER),)
"""Every instant."""


def normalize(spans: Iterable[Span]) -> list[Span]:
    """The normal form of the union of ``spans``."""
    out: list[Span] = []
    for s in sorted(spans):
        if out and s.start <= out[-1].end:
            if s.end > out[-1].end:
                out[-1] = Span(out[-1].start, s.end)
        else:
            out.append(s)
    return out


def union(*sets: Iterable[Span]) -> list[Span]:
    """The instants in any of ``sets``."""
    return normalize(s for spans in sets for s in spans)


def intersection(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The instants in both ``a`` and ``b`` (normal forms)."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            out.append(Span(start, end))
        if a[i].end <= b[j].end:
            i += 1
        else:
            j += 1
    return out


def difference(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The instants in ``a`` and not in ``b`` (normal forms)."""
    out: list[Span] = []
    j = 0
    for s in a:
        start = s.start
        while j < len(b) and b[j].end <= start:
            j += 1
        k = j
        while k < len(b) and b[k].start < s.end:
            if b[k].start > start:
                out.append(Span(start, b[k].start))
            start = max(start, b[k].end)
            k += 1
        if start < s.end:
            out.append(Span(start, s.end))
    return out


def contains(spans: Iterable[Span], t: datetime) -> bool:
    """True if instant ``t`` is in ``spans``."""
    return any(t in s for s in spans)


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A visible window: [start, end) of a metering point's data, visible under ``right``."""

    start: datetime
    end: datetime
    right: str

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


def layer(candidates: Iterable[tuple[str, Iterable[Span]]]) -> list[Window]:
    """Disjoint windows, sorted by start, from ``(right, spans)`` candidates in order of precedence: each instant
    covered by any candidate is attributed to the first right that covers it. Windows of one right that touch are
    merged; windows of different rights that touch are kept apart (the access log names each)."""
    covered: list[Span] = []
    windows: list[Window] = []
    for right, spans in candidates:
        fresh = difference(normalize(spans), covered)
        windows.extend(Window(s.start, s.end, right) for s in fresh)
        covered = union(covered, fresh)
    return sorted(windows)


def clip_windows(windows: Iterable[Window], start: datetime, end: datetime) -> list[Window]:
    """The parts of ``windows`` inside [start, end), sorted by start."""
    out = [
        Window(max(w.start, start), min(w.end, end), w.right) for w in windows if max(w.start, start) < min(w.end, end)
    ]
    return sorted(out)


def spans_of(windows: Iterable[Window]) -> list[Span]:
    """The instants covered by ``windows``, whatever the right."""
    return normalize(w.span for w in windows)


__all__ = [
    "ALL_TIME",
    "BEGINNING",
    "FOREVER",
    "Span",
    "Window",
    "clip_windows",
    "contains",
    "difference",
    "intersection",
    "layer",
    "normalize",
    "require_aware",
    "span",
    "spans_of",
    "union",
]
