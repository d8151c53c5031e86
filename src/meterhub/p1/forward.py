"""Opt-in forwarding of the household's readings to the platform (asyncio edge, httpx).

Off unless the household asks for it twice over: a destination URL *and* an explicit consent flag
(:class:`Forwarder` refuses to exist without ``consent=True``). Readings are batched and POSTed as JSON —
``{"meter": …, "system_title": …, "readings": [record, …]}`` with the records of
:func:`meterhub.p1.records.reading_record` — every ``every_s`` seconds or sooner when ``batch`` readings wait.
A failed POST keeps the batch for the next attempt; at most ``max_buffer`` readings are kept (the oldest are
dropped and counted). The platform's endpoint is ``POST /api/v1/metering-points/{id}/p1`` (the household's own
point, during its own occupancy; who may read the readings back is the customer's live-P1 consents): the reader
authenticates as the customer with the session token of their login (:func:`session_headers`: the ``mh_session``
cookie and its CSRF token). Any other HTTP endpoint that answers 2xx can receive as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any, Final

import httpx

from meterhub.p1.receiver import Reading
from meterhub.p1.records import meter_id, reading_record
from meterhub.security.tokens import csrf_token

__all__ = ["ConsentRequired", "Forwarder", "session_headers"]

log = logging.getLogger("meterhub.p1.forward")

MAX_BUFFER: Final = 8640  # a day of telegrams


SESSION_COOKIE: Final = "mh_session"
CSRF_HEADER: Final = "X-CSRF-Token"


def session_headers(session_token: str) -> dict[str, str]:
    """The headers that authenticate a POST to the platform as the customer whose login gave ``session_token``
    (the value of the ``mh_session`` cookie): the cookie and its CSRF token. ValueError for a token that cannot
    be a cookie value."""
    token = session_token.strip()
    if not token or any(c in token for c in ' ;,"\\') or not token.isascii() or not token.isprintable():
        raise ValueError("the session token is the value of the mh_session cookie your login set")
    return {"Cookie": f"{SESSION_COOKIE}={token}", CSRF_HEADER: csrf_token(token)}


class ConsentRequired(ValueError):
    """Forwarding was asked for without the household's explicit consent."""


class Forwarder:
    """Batches readings and POSTs them to ``url``; ``publish`` never blocks, ``run()`` is the sending task."""

    def __init__(
        self,
        url: str,
        *,
        consent: bool,
        every_s: float = 60.0,
        batch: int = 360,
        max_buffer: int = MAX_BUFFER,
        timeout_s: float = 10.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not consent:
            raise ConsentRequired("forwarding readings to the platform needs the household's explicit consent")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r}: the forwarding destination must be an http(s) URL")
        self.url = url
        self.every_s = every_s
        self.batch = batch
        self.timeout_s = timeout_s
        self.headers = headers or {}
        self._buffer: deque[dict[str, Any]] = deque(maxlen=max_buffer)
        self._meta: dict[str, str] = {}
        self._wake = asyncio.Event()
        self.sent = 0
        self.dropped = 0
        self.failures = 0

    def publish(self, reading: Reading) -> None:
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append(reading_record(reading))
        self._meta = {"meter": meter_id(reading), "system_title": reading.system_title.hex().upper()}
        if len(self._buffer) >= self.batch:
            self._wake.set()

    async def flush(self, client: httpx.AsyncClient) -> bool:
        """POST what waits (in batches); False when the destination did not take it."""
        while self._buffer:
            batch = [self._buffer[i] for i in range(min(self.batch, len(self._buffer)))]
            try:
                response = await client.post(self.url, json={**self._meta, "readings": batch}, headers=self.headers)
            except httpx.HTTPError as exc:
                self.failures += 1
                log.warning("forwarding to %s failed: %s (%d readings kept)", self.url, exc, len(self._buffer))
                return False
            if not response.is_success:
                self.failures += 1
                log.warning("forwarding to %s: HTTP %d (%d readings kept)", self.url, response.status_code,
                            len(self._buffer))  # fmt: skip
                return False
            for _ in batch:
                self._buffer.popleft()
            self.sent += len(batch)
        return True

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.every_s)
                self._wake.clear()
                await self.flush(client)

    async def close(self) -> None:
        """A last flush at shutdown (best effort)."""
        if self._buffer:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                await self.flush(client)
