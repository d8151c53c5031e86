"""Property tests of the span algebra: membership, set laws, normal form, layering and clipping never leak."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.api.spans import (
    BEGINNING,
    FOREVER,
    Span,
    Window,
    clip_windows,
    contains,
    difference,
    intersection,
    layer,
    normalize,
    span,
    spans_of,
    union,
)

BASE = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(h: int) -> datetime:
    return BASE + h * HOUR


raw_spans = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 12)).map(lambda t: Span(at(t[0]), at(t[0] + t[1]))), max_size=8
)
span_sets = raw_spans.map(normalize)
rights = st.sampled_from(["own", "dso", "supplier_of_record", "consent:1", "consent:2"])
candidates = st.lists(st.tuples(rights, raw_spans), max_size=5)
instants = st.integers(-1, 54).map(at)


def is_normal(spans: list[Span]) -> bool:
    return all(a.end < b.start for a, b in itertools.pairwise(spans)) and all(s.start < s.end for s in spans)


def probes(*sets: list[Span]) -> list[datetime]:
    """Every endpoint of the sets and the instants just around it: where membership can change."""
    ends = {t for spans in sets for s in spans for t in (s.start, s.end)}
    eps = timedelta(microseconds=1)
    return sorted({t + d for t in ends for d in (-eps, timedelta(0), eps)} | {at(-1), at(60)})


@given(raw_spans)
def test_normalize_is_normal_and_keeps_membership(spans: list[Span]) -> None:
    n = normalize(spans)
    assert is_normal(n)
    assert normalize(n) == n
    for t in probes(spans):
        assert contains(n, t) == contains(spans, t)


@given(span_sets, span_sets)
def test_membership(a: list[Span], b: list[Span]) -> None:
    u, i, d = union(a, b), intersection(a, b), difference(a, b)
    assert is_normal(u) and is_normal(i) and is_normal(d)
    for t in probes(a, b):
        assert contains(u, t) == (contains(a, t) or contains(b, t))
        assert contains(i, t) == (contains(a, t) and contains(b, t))
        assert contains(d, t) == (contains(a, t) and not contains(b, t))


@given(span_sets, span_sets, span_sets)
def test_set_laws(a: list[Span], b: list[Span], c: list[Span]) -> None:
    assert union(a, b) == union(b, a)
    assert intersection(a, b) == intersection(b, a)
    assert union(a, union(b, c)) == union(union(a, b), c)
    assert intersection(a, intersection(b, c)) == intersection(intersection(a, b), c)
    assert union(a, a) == a == intersection(a, a)
    assert intersection(a, union(b, c)) == union(intersection(a, b), intersection(a, c))
    assert union(a, intersection(b, c)) == intersection(union(a, b), union(a, c))
    assert union(a, intersection(a, b)) == a == intersection(a, union(a, b))  # absorption
    assert union(intersection(a, b), difference(a, b)) == a
    assert intersection(difference(a, b), b) == []
    assert difference(a, union(b, c)) == intersection(difference(a, b), difference(a, c))  # De Morgan
    assert union(a, []) == a and intersection(a, []) == [] and difference(a, []) == a and difference([], a) == []


@given(candidates)
def test_layer_attributes_each_instant_to_the_first_right(cands: list[tuple[str, list[Span]]]) -> None:
    windows = layer(cands)
    assert windows == sorted(windows)
    assert all(a.end <= b.start for a, b in itertools.pairwise(windows))  # disjoint
    assert spans_of(windows) == union(*(spans for _, spans in cands))
    for t in probes(*(spans for _, spans in cands)):
        first = next((right for right, spans in cands if contains(spans, t)), None)
        got = [w.right for w in windows if t in w.span]
        assert got == ([] if first is None else [first])


@given(candidates, instants, instants)
def test_clipping_never_leaks(cands: list[tuple[str, list[Span]]], start: datetime, end: datetime) -> None:
    windows = layer(cands)
    clipped = clip_windows(windows, start, end)
    for w in clipped:
        assert start <= w.start < w.end <= end
        assert any(v.right == w.right and v.start <= w.start and w.end <= v.end for v in windows)
    assert spans_of(clipped) == intersection(spans_of(windows), span(start, end))


def test_span_refuses_empty_and_naive() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        Span(at(2), at(2))
    with pytest.raises(ValueError, match="timezone-aware"):
        Span(datetime(2024, 1, 1), at(2))
    assert span(at(2), at(2)) == [] and span(at(3), at(2)) == []
    assert span(at(2)) == [Span(at(2), FOREVER)]


def test_touching_spans_merge_but_touching_windows_of_other_rights_do_not() -> None:
    assert normalize([Span(at(0), at(2)), Span(at(2), at(4))]) == [Span(at(0), at(4))]
    windows = layer([("a", [Span(at(0), at(2))]), ("b", [Span(at(2), at(4))]), ("a", [Span(at(4), at(5))])])
    assert windows == [Window(at(0), at(2), "a"), Window(at(2), at(4), "b"), Window(at(4), at(5), "a")]
    assert layer([("a", [Span(at(0), at(2)), Span(at(2), at(3))])]) == [Window(at(0), at(3), "a")]


def test_open_ends() -> None:
    every = [Span(BEGINNING, FOREVER)]
    assert intersection(every, [Span(at(1), at(2))]) == [Span(at(1), at(2))]
    assert difference(every, [Span(at(1), at(2))]) == [Span(BEGINNING, at(1)), Span(at(2), FOREVER)]
    assert clip_windows([Window(BEGINNING, FOREVER, "operator")], at(0), at(24)) == [Window(at(0), at(24), "operator")]
