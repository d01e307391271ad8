"""Supervision of background workers, and the rule that tells the infrastructure's failures from
the work's own (kit.failures)."""

from __future__ import annotations

import asyncio

import asyncpg
import nats.errors
import nats.js.errors
import pytest
from support.waiting import eventually

from kit.failures import is_transient
from kit.workers import Supervised, not_ready


class Crashing:
    """Raises on its first `crashes` runs, then runs until stopped."""

    def __init__(self, crashes: int) -> None:
        self.name, self.paused = "probe-worker", None
        self.crashes, self.runs = crashes, 0
        self.running = asyncio.Event()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= self.crashes:
            raise RuntimeError(f"crash {self.runs}")
        self.running.set()
        await self._stop.wait()

    def stop(self) -> None:
        self._stop.set()


async def test_a_crashed_worker_is_restarted_and_reported_until_it_runs():
    worker = Crashing(crashes=2)
    supervised = Supervised(worker, max_backoff_s=0.01)
    reports = []
    task = asyncio.create_task(supervised.run())

    async def running() -> bool:
        reports.append(tuple(not_ready([supervised])))
        return worker.running.is_set()

    # sampled every 5 ms: each restart's back-off, when /readyz names the crash, lasts only 10 ms
    await eventually(running, "the worker running after its two crashes", 1, interval=0.005)
    assert worker.runs == 3 and supervised.restarts == 2
    assert any(r and "probe-worker: RuntimeError: crash" in r[0] for r in reports)
    assert not_ready([supervised]) == []
    supervised.stop()
    await asyncio.wait_for(task, 1)


async def test_a_worker_that_returns_by_itself_is_restarted_too():
    class Quitter(Crashing):
        async def run(self) -> None:
            self.runs += 1
            if self.runs == 1:
                return
            self.running.set()
            await self._stop.wait()

    worker = Quitter(crashes=0)
    supervised = Supervised(worker, max_backoff_s=0.01)
    task = asyncio.create_task(supervised.run())
    await asyncio.wait_for(worker.running.wait(), 2)
    assert worker.runs == 2 and supervised.restarts == 1
    supervised.stop()
    await asyncio.wait_for(task, 1)


async def test_a_paused_worker_is_not_ready_naming_why():
    worker = Crashing(crashes=0)
    supervised = Supervised(worker)
    task = asyncio.create_task(supervised.run())
    await asyncio.wait_for(worker.running.wait(), 1)
    worker.paused = "PostgreSQL ConnectionRefusedError"
    assert not_ready([supervised]) == ["probe-worker: PostgreSQL ConnectionRefusedError"]
    supervised.stop()
    await asyncio.wait_for(task, 1)


@pytest.mark.parametrize(
    "exc",
    [
        FileNotFoundError(2, "No such file or directory"),  # PostgreSQL's socket while it is stopped
        ConnectionRefusedError(),
        TimeoutError(),
        nats.errors.TimeoutError(),
        asyncpg.exceptions.CannotConnectNowError("starting up"),
        asyncpg.exceptions.AdminShutdownError("shutdown"),
        asyncpg.exceptions.ConnectionDoesNotExistError("closed"),
        asyncpg.exceptions.TooManyConnectionsError("full"),
        asyncpg.exceptions.SerializationError("retry"),
        asyncpg.exceptions.DeadlockDetectedError("retry"),
        asyncpg.InterfaceError("connection is closed"),
        nats.errors.ConnectionClosedError(),
        nats.errors.NoServersError(),
        nats.js.errors.ServiceUnavailableError(),
        # a pooled connection whose server went away mid-error (seen as 500s in the PostgreSQL outage test)
        asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    ],
)
def test_infrastructure_failures_are_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad"),
        KeyError("x"),
        asyncpg.exceptions.UniqueViolationError("dup"),
        asyncpg.exceptions.CheckViolationError("check"),
        asyncpg.exceptions.DataError("bad argument"),
        asyncpg.exceptions.UndefinedTableError("no table"),
        nats.js.errors.NoStreamResponseError(),
        nats.js.errors.BadRequestError(),
        nats.errors.MaxPayloadError(),
        asyncpg.exceptions.InternalClientError("PoolConnectionHolder.release() called on a free connection holder"),
    ],
)
def test_failures_of_the_work_itself_are_not(exc):
    assert not is_transient(exc)
