"""The weather CSV (``meterhub import weather``): good files parsed, every bad line reported with its line number
and the whole file refused (nothing stored), and property tests — a written file reads back the same, and any
text either parses or is refused with a line inside the file, never another exception."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.mdm.weather import WeatherCsvError, import_weather, parse_weather_csv
from meterhub.store import Store


def test_a_good_file_with_and_without_irradiance() -> None:
    text = "date,temperature_c,irradiance_wm2\n2025-01-02,-1.25,\n# a comment\n\n2025-01-01,3.4,21\n"
    days = parse_weather_csv(text, source="csv:x")
    assert [(d.day, d.temperature_c, d.irradiance_wm2, d.source, d.area) for d in days] == [
        (date(2025, 1, 1), 3.4, 21.0, "csv:x", "LU"), (date(2025, 1, 2), -1.25, None, "csv:x", "LU"),
    ]  # fmt: skip
    assert [d.temperature_c for d in parse_weather_csv("2025-03-01,7\r\n2025-03-02,8.5\r\n")] == [7.0, 8.5]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("date,temperature_c\n2025-01-01,3\n2025-01-02,abc\n", 3, "not a number"),
        ("date,temperature_c\n2025-01-01,3\n2025-01-01,4\n", 3, "given twice (first at line 2)"),
        ("date,temperature_c\n2025-02-30,3\n", 2, "not a day"),
        ("date,temperature_c\n01.02.2025,3\n", 2, "not a day"),
        ("date,temperature_c\n2025-01-01,3,1,2\n", 2, "at most 3 columns"),
        ("date,temperature_c\n2025-01-01\n", 2, "a column is missing"),
        ("date,temperature_c\n2025-01-01,75\n", 2, "outside -60 … 60"),
        ("date,temperature_c\n2025-01-01,nan\n", 2, "not a finite number"),
        ("date,temperature_c,irradiance_wm2\n2025-01-01,3,-5\n", 2, "irradiance_wm2 -5 is outside 0 … 1400"),
        ("date,temp\n2025-01-01,3\n", 1, "the header must be"),
        ("", 1, "holds no day"),
        ('date,temperature_c\n2025-01-01,"3\n', 2, "not readable as CSV"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(text: str, line: int, words: str) -> None:
    with pytest.raises(WeatherCsvError) as caught:
        parse_weather_csv(text)
    first = caught.value.problems[0]
    assert first.line == line and words in first.message, caught.value.problems


def test_every_problem_is_counted_and_the_first_twenty_listed() -> None:
    text = "date,temperature_c\n" + "".join(f"2025-01-{d:02d},x\n" for d in range(1, 31))
    with pytest.raises(WeatherCsvError) as caught:
        parse_weather_csv(text)
    assert caught.value.total == 30 and len(caught.value.problems) == 20
    assert [p.line for p in caught.value.problems] == list(range(2, 22))


def test_an_import_stores_all_or_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as store:
        good = tmp_path / "good.csv"
        good.write_text("date,temperature_c\n2025-01-01,3\n2025-01-02,4\n")
        report = import_weather(store, good)
        assert (report.days, report.first, report.last, report.replaced) == (2, date(2025, 1, 1), date(2025, 1, 2), 0)
        bad = tmp_path / "bad.csv"
        bad.write_text("date,temperature_c\n2025-01-02,9\n2025-01-03,9\n2025-01-04,warm\n")
        with pytest.raises(WeatherCsvError) as caught:
            import_weather(store, bad)
        assert caught.value.problems[0].line == 4
        stored = store.weather_days(date(2025, 1, 1), date(2025, 1, 31))
        assert [(d.day, d.temperature_c, d.source) for d in stored] == [
            (date(2025, 1, 1), 3.0, "csv:good.csv"), (date(2025, 1, 2), 4.0, "csv:good.csv"),
        ]  # fmt: skip
        again = tmp_path / "again.csv"
        again.write_text("2025-01-02,5.5,100\n")
        assert import_weather(store, again).replaced == 1
        assert store.weather_days(date(2025, 1, 2), date(2025, 1, 2))[0].irradiance_wm2 == 100.0
        latin = tmp_path / "latin.csv"
        latin.write_bytes(b"date,temperature_c\n2025-01-05,3\n# \xe9t\xe9\n")
        with pytest.raises(WeatherCsvError) as caught:
            import_weather(store, latin)
        assert caught.value.problems[0].line == 3 and "UTF-8" in caught.value.problems[0].message


_days = st.lists(
    st.tuples(
        st.integers(0, 3000),
        st.floats(-60, 60, allow_nan=False).map(lambda x: round(x, 3)),
        st.none() | st.floats(0, 1400, allow_nan=False).map(lambda x: round(x, 2)),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda r: r[0],
)


@given(_days, st.booleans())
def test_a_written_file_reads_back(rows: list[tuple[int, float, float | None]], header: bool) -> None:
    base = date(2023, 1, 1)
    lines = ["date,temperature_c,irradiance_wm2"] if header else []
    lines += [f"{(base + timedelta(days=d)).isoformat()},{t!r},{'' if i is None else repr(i)}" for d, t, i in rows]
    days = parse_weather_csv("\n".join(lines) + "\n")
    expected = sorted((base + timedelta(days=d), t, i) for d, t, i in rows)
    assert [(w.day, w.temperature_c, w.irradiance_wm2) for w in days] == expected


_cell = st.sampled_from(["2025-01-01", "2025-01-02", "3.5", "-70", "", "x", "nan", "1e3", '"', "date", "#"])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(st.lists(_cell, max_size=5).map(",".join), max_size=12) | st.text(max_size=200))
def test_any_text_parses_or_is_refused_with_a_line_inside_the_file(lines: list[str] | str) -> None:
    text = lines if isinstance(lines, str) else "\n".join(lines)
    try:
        days = parse_weather_csv(text)
    except WeatherCsvError as exc:
        count = max(1, text.count("\n") + text.count("\r") + 1)
        assert exc.total >= len(exc.problems) >= 1
        assert all(1 <= p.line <= count for p in exc.problems), (text, exc.problems)
    else:
        assert days and len({d.day for d in days}) == len(days)
