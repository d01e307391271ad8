"""Supervision of a process's background workers (event consumers, the outbox relay, periodic jobs).

A worker that ends or raises is restarted with back-off instead of dying silently, and /readyz
names every worker that is down or paused (waiting for PostgreSQL or NATS), so an orchestrator
stops sending traffic to a replica that is not doing its whole job."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from kit.failures import describe

log = logging.getLogger(__name__)


class Worker(Protocol):
    name: str
    paused: str | None  # why the worker waits (e.g. PostgreSQL unavailable), None while it works

    async def run(self) -> None: ...

    def stop(self) -> None: ...


class Supervised:
    """Runs one worker until stopped, restarting it after a crash: 1 s, 2 s, 4 s … at most
    `max_backoff_s`; the back-off starts again once a run has lasted `healthy_after_s`."""

    def __init__(self, worker: Worker, *, max_backoff_s: float = 30.0, healthy_after_s: float = 60.0) -> None:
        self.worker = worker
        self.max_backoff_s, self.healthy_after_s = max_backoff_s, healthy_after_s
        self.restarts = 0
        self.down: str | None = "starting"
        self._stopping = asyncio.Event()

    @property
    def name(self) -> str:
        return self.worker.name

    def problem(self) -> str | None:
        """Why this worker is not doing its job right now, or None."""
        return self.down or self.worker.paused

    async def run(self) -> None:
        first_backoff = backoff = min(1.0, self.max_backoff_s)
        while not self._stopping.is_set():
            started = time.monotonic()
            self.down = None
            try:
                await self.worker.run()
                if self._stopping.is_set():
                    return
                self.down = "ended"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.down = describe(exc)
                log.error("background worker crashed", exc_info=exc, extra={"worker": self.name})
            if time.monotonic() - started >= self.healthy_after_s:
                backoff = first_backoff
            self.restarts += 1
            log.warning(
                "restarting background worker",
                extra={"worker": self.name, "reason": self.down, "retry_in_s": backoff, "restarts": self.restarts},
            )
            await self._sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)

    def stop(self) -> None:
        self._stopping.set()
        self.worker.stop()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass


def not_ready(workers: list[Supervised]) -> list[str]:
    """`name: reason` of each worker that is down or paused."""
    return [f"{w.name}: {problem}" for w in workers if (problem := w.problem())]
