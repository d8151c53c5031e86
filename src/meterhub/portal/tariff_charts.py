"""The network-tariff page's charts (plotly, through :mod:`meterhub.portal.charts`' fragment form): each month's
highest quarter-hour against the reference power level, and when overruns happen — overrun quarter-hours by
local weekday and hour of day as a heatmap. Labels come translated from the page; each chart has its table on
the page."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go  # type: ignore[import-untyped]

from meterhub.portal.charts import _html

PEAK_COLOUR = "#1f5f9e"
LEVEL_COLOUR = "#b3261e"


def peaks_chart(
    months: Sequence[str], peaks_kw: Sequence[float], level_kw: int, *, title: str, peak_name: str, level_name: str,
    y_title: str,
) -> str:  # fmt: skip
    """Bars of each month's highest quarter-hour (kW), the level as a line across."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=list(months), y=[round(p, 2) for p in peaks_kw], name=peak_name, marker_color=PEAK_COLOUR,
               hovertemplate="%{x}<br>%{y:.2f} kW<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=list(months), y=[level_kw] * len(months), name=level_name, mode="lines",
                   line={"color": LEVEL_COLOUR, "width": 2, "dash": "dash"},
                   hovertemplate=f"{level_kw} kW<extra></extra>")
    )  # fmt: skip
    fig.update_layout(yaxis_title=y_title, xaxis={"type": "category"}, bargap=0.3)
    return _html(fig, title, height=340)


def overrun_heatmap(
    slots: npt.NDArray[np.int64], weekdays: Sequence[str], *, title: str, x_title: str, hover: str
) -> str:
    """Overrun quarter-hours (7 × 24: Monday first, hours 0…23) as a heatmap; ``hover`` names the count."""
    fig = go.Figure(
        go.Heatmap(
            z=slots.tolist(),
            x=[f"{h:02d}" for h in range(24)],
            y=list(weekdays),
            colorscale=[[0.0, "#f4f7fb"], [0.001, "#fde0c5"], [1.0, "#8c2d04"]],
            hovertemplate="%{y} %{x}h<br>%{z} " + hover + "<extra></extra>",
            xgap=1,
            ygap=1,
            colorbar={"thickness": 12},
        )
    )
    fig.update_layout(xaxis={"title": x_title, "type": "category"}, yaxis={"autorange": "reversed"})
    return _html(fig, title, height=300)


__all__ = ["overrun_heatmap", "peaks_chart"]
