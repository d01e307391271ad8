"""Group commit: concurrent writes of one kind share one transaction.

Alone, a write in a unit of work pays its own BEGIN, idempotency claim, statements, outbox row and
COMMIT (a WAL flush): six round trips for a need's intake. Under load, `GroupCommit` writes the
requests that arrived while the groups in flight (`WRITERS` at a time) were being written together:
their keys claimed in one statement, each kind of row in one statement, their events in one outbox
statement, one COMMIT.

Every request still gets exactly what a unit of work gives it: its effect, its events and its
idempotency claim commit together, or it gets its own error. A key another request committed first
fails only its own write (KeyTaken, answered by kit.idempotency); a group that fails is written again
one write at a time, so one bad write never fails its neighbours."""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import asyncpg

from contracts.envelope import Envelope
from kit import idempotency
from kit.db import AnyConnection
from kit.uow import UnitOfWork

T = TypeVar("T")
WRITERS = 2  # groups in flight at once: one is built and sent while the other waits on PostgreSQL
MAX_GROUP = 128  # writes in one transaction: bounds its statements' size and a failed group's rewrite


@dataclass
class Write(Generic[T]):
    item: T
    envelopes: list[Envelope[Any]]
    claim: idempotency.Claim | None
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, error: BaseException | None = None) -> None:
        if self.done.done():  # its caller went away
            return
        if error is None:
            idempotency.committed(self.claim)
            self.done.set_result(None)
        elif isinstance(error, asyncio.CancelledError):
            self.done.cancel()
        else:
            self.done.set_exception(error)


class GroupCommit(Generic[T]):
    """`await intake.submit(item, envelopes)` returns once the item's rows (written by `write_rows`,
    one call for a whole group) and its events have committed, with the calling request's key."""

    def __init__(self, pool: asyncpg.Pool, write_rows: Callable[[AnyConnection, list[T]], Awaitable[None]]) -> None:
        self.pool = pool
        self.write_rows = write_rows
        self.queue: deque[Write[T]] = deque()
        self.writers: set[asyncio.Task[None]] = set()  # held here: the loop keeps only weak references

    async def submit(self, item: T, envelopes: list[Envelope[Any]]) -> None:
        write = Write(item, envelopes, idempotency.pending())
        self.queue.append(write)
        if len(self.writers) < WRITERS:  # a context of its own: no request's trace or key travels into it
            writer = asyncio.create_task(self._write_all(), context=contextvars.Context())
            self.writers.add(writer)
        await write.done

    async def _write_all(self) -> None:
        try:
            while self.queue:
                await self._commit(self._next_group())
        finally:  # at once, not in a done callback: a write queued meanwhile must find a writer to start
            self.writers.discard(cast("asyncio.Task[None]", asyncio.current_task()))
            if not self.writers:  # a write still queued means the writers were cancelled (shutdown)
                for write in self.queue:
                    write.settle(asyncio.CancelledError())

    def _next_group(self) -> list[Write[T]]:
        """The waiting writes, oldest first, one per key (a second write with a key waits for the next
        group, where it finds the first one's claim committed)."""
        group: list[Write[T]] = []
        later: list[Write[T]] = []
        keys: set[tuple[str, str, str]] = set()
        while self.queue and len(group) < MAX_GROUP:
            write = self.queue.popleft()
            if write.done.done():  # cancelled before it was written
                continue
            if write.claim is not None and write.claim.identity in keys:
                later.append(write)
                continue
            if write.claim is not None:
                keys.add(write.claim.identity)
            group.append(write)
        self.queue.extendleft(reversed(later))
        return group

    async def _commit(self, group: list[Write[T]]) -> None:
        try:
            taken = await self._write(group)
        except asyncio.CancelledError as exc:
            for write in group:
                write.settle(exc)
            raise
        except Exception as exc:  # noqa: BLE001 - the group's failure may be one write's: each alone
            if len(group) == 1:
                return group[0].settle(exc)
            for write in group:
                await self._commit([write])
            return
        for write in group:
            if write.claim is not None and write.claim in taken:
                write.claim.taken = True
                write.settle(idempotency.KeyTaken())
            else:
                write.settle()

    async def _write(self, group: list[Write[T]]) -> list[idempotency.Claim]:
        """One transaction; the claims other requests committed first, whose writes were left out."""
        async with self.pool.acquire() as conn, conn.transaction():
            taken = await idempotency.claim_all(conn, [w.claim for w in group if w.claim is not None])
            fresh = [w for w in group if w.claim not in taken]
            if fresh:
                await self.write_rows(conn, [w.item for w in fresh])
                events = UnitOfWork.joining(conn)
                events.add(e for w in fresh for e in w.envelopes)
                await events.flush()
        return taken
