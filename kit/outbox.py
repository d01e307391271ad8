"""The outbox relay: publishes pending outbox rows to JetStream, marking them sent only after the
PubAck. Safe with several replicas (rows are claimed with FOR UPDATE SKIP LOCKED); wakes on
LISTEN/NOTIFY and sweeps periodically; while NATS is down rows simply stay pending."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from nats.js import JetStreamContext

from kit.uow import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

CLAIM = """SELECT id, event_id, subject, payload, traceparent FROM outbox
           WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"""
MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])"


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        listen_connect: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        batch: int = 500,
        sweep_interval: float = 1.0,
        max_backoff: float = 10.0,
        ack_timeout: float = 5.0,
    ) -> None:
        self.pool, self.js, self.listen_connect = pool, js, listen_connect
        self.batch, self.sweep_interval, self.max_backoff, self.ack_timeout = batch, sweep_interval, max_backoff, ack_timeout
        self.published = 0
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        listener = await self._listen()
        backoff = 0.5
        try:
            while not self._stopping.is_set():
                try:
                    while await self.publish_batch() == self.batch:
                        pass  # a full batch: more may be waiting
                    backoff = 0.5
                    await self._idle(self.sweep_interval)
                except Exception as exc:  # noqa: BLE001
                    # NATS or PostgreSQL unavailable: the claimed rows were rolled back and stay pending
                    log.warning("outbox relay paused", extra={"error": repr(exc), "retry_in_s": backoff})
                    await self._idle(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    if listener.is_closed():
                        listener = await self._listen_quietly() or listener
        finally:
            if not listener.is_closed():
                await listener.close()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def publish_batch(self) -> int:
        """Claim up to `batch` pending rows, publish them, mark them sent; one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.batch)
            if not rows:
                return 0
            # Each publish awaits its own PubAck with a timeout. (publish_async was faster, but a
            # publish that fails while NATS reconnects leaves its ack future pending for good;
            # enough of those and it stalls every later publish.)
            await asyncio.gather(*(
                self.js.publish(r["subject"], r["payload"], timeout=self.ack_timeout, headers=_headers(r))
                for r in rows
            ))
            await conn.execute(MARK_SENT, [r["id"] for r in rows])
        self.published += len(rows)
        return len(rows)

    async def _idle(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    async def _listen(self) -> asyncpg.Connection:
        # a dedicated connection: a pooled one would be reset (UNLISTEN) when released
        listener = await self.listen_connect()
        await listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        return listener

    async def _listen_quietly(self) -> asyncpg.Connection | None:
        try:
            return await self._listen()
        except Exception:  # noqa: BLE001 - PostgreSQL still down; the sweep keeps things moving
            return None


def _headers(row: asyncpg.Record) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(row["event_id"]), "Content-Type": "application/cloudevents+json"}
    if row["traceparent"]:
        headers["traceparent"] = row["traceparent"]
    return headers

