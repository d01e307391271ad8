"""A periodic job inside a service (e.g. the SLA check). Its state lives in the database, so a
restart loses nothing; running it in several replicas is safe when the job claims its rows
with SKIP LOCKED."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kit.failures import describe

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval_s: float, job: Callable[[], Awaitable[object]]) -> None:
        self.name, self.interval_s, self.job = name, interval_s, job
        self.paused: str | None = None  # why the last round failed (shown by /readyz)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.job()
                self.paused = None
            except Exception as exc:  # noqa: BLE001 - e.g. PostgreSQL restarting: try again next round
                self.paused = describe(exc)
                log.warning("periodic job failed", extra={"job": self.name, "error": self.paused})
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopping.set()
