"""The in-home display (asyncio edge): a small FastAPI app with a live page fed by server-sent events.

``GET /`` is the page (Jinja2; plotly.js served from the installed plotly package, no CDN): current import and
export power, tariff, voltages, today's power curve and the gas meter with what was used today. ``GET /events``
is the server-sent event stream, one ``reading`` event per telegram (the record of
:func:`meterhub.p1.records.reading_record` plus the reader's counters), ``GET /api/state`` the current state as
JSON (the page draws from it on load, then follows the stream). Today's curve is kept in memory, one point per
telegram of the current Europe/Luxembourg day (at most 8 640).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import plotly.offline  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from meterhub.p1.receiver import Reading, ReceiverStats
from meterhub.p1.records import meter_id, reading_record
from meterhub.p1.telegram import LUX, MBUS_GAS

__all__ = ["LiveHub", "create_live_app"]

HERE: Final = Path(__file__).resolve().parent
SUBSCRIBER_QUEUE: Final = 100
KEEPALIVE_S: Final = 15.0


class LiveHub:
    """The live state and the SSE subscribers: ``publish(reading)`` from the reader, never blocking."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] | None = None
        self.meter: str | None = None
        self._stats = ReceiverStats()
        self._day: dt.date | None = None
        self.curve: list[tuple[str, int | None, int | None]] = []
        self.gas_first_today: tuple[str, int] | None = None
        self._subscribers: set[asyncio.Queue[str | None]] = set()
        self.closed = False

    def update_stats(self, stats: ReceiverStats) -> None:
        """Follow the reader's counters (the object itself: every event then shows the current counts)."""
        self._stats = stats

    @property
    def stats(self) -> dict[str, int]:
        return self._stats.as_dict()

    def publish(self, reading: Reading) -> None:
        record = reading_record(reading)
        t = reading.telegram
        when = t.timestamp
        if when is not None:
            day = when.astimezone(LUX).date()
            if day != self._day:
                self._day, self.curve, self.gas_first_today = day, [], None
            local = when.astimezone(LUX).strftime("%Y-%m-%d %H:%M:%S")  # plotly draws wall-clock time
            record["local_time"] = local
            self.curve.append((local, t.power_import_w, t.power_export_w))
        gas = t.mbus_channel(MBUS_GAS)
        if gas is not None and gas.value is not None and gas.captured_at is not None:
            if self.gas_first_today is None:
                self.gas_first_today = (gas.captured_at.isoformat(), gas.value)
            record["gas"] = {
                "value_l": gas.value,
                "captured_at": gas.captured_at.isoformat(),
                "today_l": gas.value - self.gas_first_today[1],
                "today_since": self.gas_first_today[0],
            }
        record["stats"] = self.stats
        self.latest = record
        self.meter = meter_id(reading)
        message = f"id: {reading.frame_counter}\nevent: reading\ndata: {json.dumps(record, separators=(',', ':'))}\n\n"
        for queue in list(self._subscribers):
            if queue.full():  # a slow client loses its oldest events, never the reader's time
                queue.get_nowait()
            queue.put_nowait(message)

    def state(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "latest": self.latest,
            "day": self._day.isoformat() if self._day else None,
            "curve": {
                "t": [p[0] for p in self.curve],
                "import_w": [p[1] for p in self.curve],
                "export_w": [p[2] for p in self.curve],
            },
            "stats": self.stats,
        }

    def subscribe(self) -> asyncio.Queue[str | None]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str | None]) -> None:
        self._subscribers.discard(queue)

    def close(self) -> None:
        """End every event stream (at shutdown, so that the web server can stop)."""
        self.closed = True
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    js: str = plotly.offline.get_plotlyjs()
    return js.encode()


def create_live_app(hub: LiveHub, *, title: str = "meterhub — my meter, live") -> FastAPI:
    """The live page app over ``hub``."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> Response:
        return templates.TemplateResponse(request, "live.html", {"title": title})

    @app.get("/api/state")
    def state() -> JSONResponse:
        return JSONResponse(hub.state())

    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        queue = hub.subscribe()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n: connected\n\n"
                while not hub.closed:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": keep-alive\n\n"
                        continue
                    if message is None:
                        return
                    yield message
            finally:
                hub.unsubscribe(queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(), media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    return app
