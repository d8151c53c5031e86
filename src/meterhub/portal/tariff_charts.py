"""The network-tariff page's charts: each month's highest quarter-hour against the reference power level, and
when overruns happen — overrun quarter-hours by local weekday and hour of day as a heatmap. Labels come
translated from the page; each chart has its table on the page.

The figures are written as plotly.js JSON directly (the look of :mod:`meterhub.portal.charts`: its layout, the
``plotly_white`` template resolved once, its config) rather than through ``plotly.graph_objects``, whose
validation costs some 75 ms a figure — most of the page's time budget."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.io as pio  # type: ignore[import-untyped]

from meterhub.portal.charts import _CONFIG, _LAYOUT

PEAK_COLOUR = "#1f5f9e"
LEVEL_COLOUR = "#b3261e"


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    template: dict[str, Any] = pio.templates[_LAYOUT["template"]].to_plotly_json()
    return template


def _json(x: Any) -> str:
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def _fragment(data: list[dict[str, Any]], layout: dict[str, Any], title: str, height: int) -> str:
    """The figure as an HTML fragment like :func:`meterhub.portal.charts._html`'s: a heading, then the plot."""
    full = {**_LAYOUT, "template": _template(), "height": height, **layout}
    for axis in ("xaxis", "yaxis"):
        full[axis] = {"automargin": True, **full.get(axis, {})}
    div = f"chart-{uuid.uuid4().hex}"
    return (
        f'<h3 class="chart-title">{escape(title)}</h3>\n<div><div id="{div}" class="plotly-graph-div" '
        f'style="height:{height}px; width:100%;"></div><script type="text/javascript">'
        f'if (document.getElementById("{div}")) {{Plotly.newPlot("{div}", {_json(data)}, {_json(full)}, '
        f"{_json(_CONFIG)})}};</script></div>"
    )


def peaks_chart(
    months: Sequence[str], peaks_kw: Sequence[float], level_kw: int, *, title: str, peak_name: str, level_name: str,
    y_title: str,
) -> str:  # fmt: skip
    """Bars of each month's highest quarter-hour (kW), the level as a line across."""
    x = list(months)
    data = [
        {"type": "bar", "x": x, "y": [round(p, 2) for p in peaks_kw], "name": peak_name,
         "marker": {"color": PEAK_COLOUR}, "hovertemplate": "%{x}<br>%{y:.2f} kW<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": x, "y": [level_kw] * len(x), "name": level_name,
         "line": {"color": LEVEL_COLOUR, "width": 2, "dash": "dash"}, "hovertemplate": f"{level_kw} kW<extra></extra>"},
    ]  # fmt: skip
    layout = {"yaxis": {"title": {"text": y_title}}, "xaxis": {"type": "category"}, "bargap": 0.3}
    return _fragment(data, layout, title, 340)


def overrun_heatmap(
    slots: npt.NDArray[np.int64], weekdays: Sequence[str], *, title: str, x_title: str, hover: str
) -> str:
    """Overrun quarter-hours (7 × 24: Monday first, hours 0…23) as a heatmap; ``hover`` names the count."""
    data = [
        {"type": "heatmap", "z": slots.tolist(), "x": [f"{h:02d}" for h in range(24)], "y": list(weekdays),
         "colorscale": [[0.0, "#f4f7fb"], [0.001, "#fde0c5"], [1.0, "#8c2d04"]],
         "hovertemplate": "%{y} %{x}h<br>%{z} " + hover + "<extra></extra>", "xgap": 1, "ygap": 1,
         "colorbar": {"thickness": 12}},
    ]  # fmt: skip
    layout = {"xaxis": {"title": {"text": x_title}, "type": "category"}, "yaxis": {"autorange": "reversed"}}
    return _fragment(data, layout, title, 300)


__all__ = ["overrun_heatmap", "peaks_chart"]
