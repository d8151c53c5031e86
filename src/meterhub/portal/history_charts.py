"""The History page's plotly charts: a metering point's consumption over a period, each value marked by its
quality, and heating against heating degree days (gas and heat).

A value's category (:data:`CATEGORIES`) decides its look, the same in the chart's legend and the table: measured
(or validated) values solid blue; estimated ones orange with a slanted hatch; edited ones purple with a cross
hatch; suspect ones red dotted; incomplete periods (some slots missing: the sum of those known) grey striped.
Missing values are gaps, never zeros. Quarter-hours and hours are a line (gaps break it) with the marked values
as symbols on it; days, months and years are bars. The x axis has plotly's zoom and a range slider.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any, Final

import plotly.io as pio  # type: ignore[import-untyped]

from meterhub.portal.i18n import N_

Gettext = Callable[..., str]


@dataclass(frozen=True, slots=True)
class Style:
    label: str
    colour: str
    pattern: str  # plotly bar pattern shape ("" solid)
    symbol: str  # plotly marker symbol on a line


CATEGORIES: Final = {
    "measured": Style(N_("Measured"), "#1f6fb2", "", "circle"),
    "estimated": Style(N_("Estimated"), "#c25e00", "/", "diamond"),
    "edited": Style(N_("Edited"), "#7b3fa0", "x", "square"),
    "suspect": Style(N_("Suspect"), "#b3261e", ".", "x"),
    "incomplete": Style(N_("Incomplete (some values missing)"), "#6b7380", "-", "triangle-down"),
}
"""Look of each category of value (missing values are gaps and have no style)."""
MARKED: Final = ("estimated", "edited", "suspect", "incomplete")


@dataclass(frozen=True, slots=True)
class Point:
    """One value of the chart: its x (local ISO text), label, value in display units (None: missing), category."""

    x: str
    label: str
    value: float | None
    category: str


_PERIODS: Final[dict[str, Any]] = {"day": 86_400_000, "month": "M1", "year": "M12"}
_LAYOUT: Final[dict[str, Any]] = {
    "margin": {"l": 56, "r": 12, "t": 24, "b": 12},
    "template": "plotly_white",
    "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0},
    "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1d2430"},
}
_CONFIG: Final = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    """plotly's ``plotly_white`` template as plotly.js takes it (the figures are plain dicts, not validated by
    plotly.py's graph objects: ten times faster for a month of quarter-hours)."""
    template: dict[str, Any] = pio.templates["plotly_white"].to_plotly_json()
    return template


def _html(traces: list[dict[str, Any]], layout: dict[str, Any], div_id: str, height: int) -> str:
    full = {**_LAYOUT, **layout, "height": height, "template": _template()}
    full["xaxis"] = {"automargin": True, **layout.get("xaxis", {})}
    full["yaxis"] = {"automargin": True, "rangemode": "tozero", **layout.get("yaxis", {})}
    html: str = pio.to_html(
        {"data": traces, "layout": full}, validate=False, full_html=False, include_plotlyjs=False, config=_CONFIG,
        div_id=div_id, default_height=f"{height}px", default_width="100%",
    )  # fmt: skip
    return html


BAR_WIDTH_MS: Final = {"day": 0.8 * 86_400_000, "month": 24 * 86_400_000, "year": 290 * 86_400_000}
"""Each bar's width on the date axis (each category is its own trace: plotly would widen a sparse one's bars)."""


def consumption_chart(points: Sequence[Point], resolution: str, unit: str, y_title: str, _: Gettext) -> str:
    """The period's values (see the module docstring); ``y_title`` already translated."""
    sub_daily = resolution in ("15min", "hour")
    traces: list[dict[str, Any]] = []
    hover = f"%{{customdata}}<br>%{{y:,.3f}} {escape(unit)}<extra>%{{fullData.name}}</extra>"
    if sub_daily:
        traces.append({
            "type": "scatter", "x": [p.x for p in points], "y": [p.value for p in points],
            "customdata": [p.label for p in points], "mode": "lines", "name": _("Consumption"), "connectgaps": False,
            "hovertemplate": hover, "line": {"color": CATEGORIES["measured"].colour, "width": 1.5, "shape": "hv"},
        })  # fmt: skip
        for key in MARKED:
            mine = [p for p in points if p.category == key]
            if mine:
                style = CATEGORIES[key]
                traces.append({
                    "type": "scatter", "x": [p.x for p in mine], "y": [p.value for p in mine],
                    "customdata": [p.label for p in mine], "mode": "markers", "name": _(style.label),
                    "hovertemplate": hover, "marker": {"color": style.colour, "symbol": style.symbol, "size": 7},
                })  # fmt: skip
    else:
        for key, style in CATEGORIES.items():
            mine = [p for p in points if p.category == key]
            if mine:
                traces.append({
                    "type": "bar", "x": [p.x for p in mine], "y": [p.value for p in mine],
                    "customdata": [p.label for p in mine], "name": _(style.label), "hovertemplate": hover,
                    "width": BAR_WIDTH_MS[resolution], "xperiod": _PERIODS[resolution], "xperiodalignment": "middle",
                    "marker": {"color": style.colour, "line": {"color": style.colour, "width": 1},
                               "pattern": {"shape": style.pattern, "fgcolor": "#ffffff", "size": 6, "solidity": 0.3}},
                })  # fmt: skip
    layout = {
        "yaxis": {"title": {"text": y_title}}, "showlegend": True, "barmode": "overlay", "bargap": 0.15,
        "xaxis": {"type": "date", "rangeslider": {"visible": True, "thickness": 0.08}},
    }  # fmt: skip
    return _html(traces, layout, "history-chart", 440)


@dataclass(frozen=True, slots=True)
class HeatingPoint:
    """A period of the heating chart: degree days and use per day, its label and category."""

    degree_days: float
    use: float
    label: str
    category: str


def heating_chart(
    points: Sequence[HeatingPoint], line: tuple[float, float] | None, unit: str, titles: tuple[str, str], _: Gettext
) -> str:
    """Use per day against degree days per day, marked like the consumption chart, with the fitted line
    ``(base per day, use per degree day)`` from 0 to the coldest period and the base use."""
    traces: list[dict[str, Any]] = []
    hover = f"%{{customdata}}<br>%{{x:.1f}} · %{{y:,.2f}} {escape(unit)}<extra>%{{fullData.name}}</extra>"
    for key, style in CATEGORIES.items():
        mine = [p for p in points if p.category == key]
        if mine:
            traces.append({
                "type": "scatter", "x": [p.degree_days for p in mine], "y": [p.use for p in mine],
                "customdata": [p.label for p in mine], "mode": "markers", "name": _(style.label),
                "hovertemplate": hover,
                "marker": {"color": style.colour, "symbol": style.symbol, "size": 7, "opacity": 0.85},
            })  # fmt: skip
    if line is not None and points:
        base, slope = line
        top = max(p.degree_days for p in points)
        traces.append({
            "type": "scatter", "x": [0.0, top], "y": [base, base + slope * top], "mode": "lines",
            "name": _("Fitted line"), "line": {"color": "#16324f", "width": 2, "dash": "dash"}, "hoverinfo": "skip",
        })  # fmt: skip
        traces.append({
            "type": "scatter", "x": [0.0, top], "y": [base, base], "mode": "lines",
            "name": _("Base use (hot water, cooking)"), "line": {"color": "#2e7d32", "width": 1.5, "dash": "dot"},
            "hoverinfo": "skip",
        })  # fmt: skip
    layout = {"xaxis": {"title": {"text": titles[0]}, "rangemode": "tozero"}, "yaxis": {"title": {"text": titles[1]}}}
    return _html(traces, layout, "heating-chart", 400)


__all__ = ["CATEGORIES", "MARKED", "HeatingPoint", "Point", "Style", "consumption_chart", "heating_chart"]
