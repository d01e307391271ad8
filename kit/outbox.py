"""The outbox relay: publishes pending outbox rows to JetStream, marking them sent only after the
PubAck. Safe with several replicas (rows are claimed with FOR UPDATE SKIP LOCKED); wakes on
LISTEN/NOTIFY and sweeps periodically.

While NATS is away rows simply stay pending and nothing is counted (kit.failures). A row that
fails on its own is retried with back-off and, after `max_attempts`, parked (`wushe outbox list`,
`wushe outbox retry`), so the rows behind it keep flowing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from nats.js import JetStreamContext

from kit import db
from kit.failures import describe, is_transient
from kit.settings import Settings
from kit.uow import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

CLAIM = """SELECT id, event_id, subject, payload, traceparent FROM outbox
           WHERE sent_at IS NULL AND parked_at IS NULL AND (retry_at IS NULL OR retry_at <= now())
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"""
MARK_SENT = "UPDATE outbox SET sent_at = now(), retry_at = NULL WHERE id = ANY($1::bigint[])"
# the n-th failure waits retry_base_s · 2^(n-1), at most 5 minutes; the last one parks the row
RECORD_FAILURES = """
    UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.reason,
           retry_at = now() + make_interval(secs => least($3 * power(2, o.attempts), 300)),
           parked_at = CASE WHEN o.attempts + 1 >= $4 THEN now() END
    FROM unnest($1::bigint[], $2::text[]) AS f(id, reason) WHERE o.id = f.id"""


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
        max_attempts: int = 10,
        retry_base_s: float = 1.0,
    ) -> None:
        self.pool, self.js, self.listen_connect = pool, js, listen_connect
        self.batch, self.sweep_interval, self.max_backoff, self.ack_timeout = (
            batch,
            sweep_interval,
            max_backoff,
            ack_timeout,
        )
        self.max_attempts, self.retry_base_s = max_attempts, retry_base_s
        self.name = "outbox-relay"
        self.paused: str | None = None
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
                    backoff, self.paused = 0.5, None
                    await self._idle(self.sweep_interval)
                except Exception as exc:
                    if not is_transient(exc):
                        raise  # a bug of ours: the supervisor restarts the relay
                    # NATS or PostgreSQL away: unpublished rows stay pending, no attempt is counted
                    self.paused = describe(exc)
                    log.warning("outbox relay paused", extra={"error": self.paused, "retry_in_s": backoff})
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
        """Claim up to `batch` pending rows, publish them, mark the acknowledged ones sent and count
        the failures of the others; one transaction. Raises the first infrastructure failure after
        committing, so that the relay backs off."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.batch)
            if not rows:
                return 0
            # Each publish awaits its own PubAck with a timeout. (publish_async was faster, but a
            # publish that fails while NATS reconnects leaves its ack future pending for good;
            # enough of those and it stalls every later publish.)
            outcomes = await asyncio.gather(
                *(
                    self.js.publish(r["subject"], r["payload"], timeout=self.ack_timeout, headers=_headers(r))
                    for r in rows
                ),
                return_exceptions=True,
            )
            failed = [(r, exc) for r, exc in zip(rows, outcomes, strict=True) if isinstance(exc, BaseException)]
            away = [exc for _, exc in failed if is_transient(exc)]
            own = [(r["id"], describe(exc)) for r, exc in failed if not is_transient(exc)]
            sent = [
                r["id"] for r, outcome in zip(rows, outcomes, strict=True) if not isinstance(outcome, BaseException)
            ]
            if sent:
                await conn.execute(MARK_SENT, sent)
            if own:
                await conn.execute(
                    RECORD_FAILURES, [i for i, _ in own], [why for _, why in own], self.retry_base_s, self.max_attempts
                )
                log.warning("outbox rows not published", extra={"rows": len(own), "reason": own[0][1]})
        self.published += len(sent)
        if away:
            raise away[0]
        return len(rows)

    async def _idle(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
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


def relay_of(service: str, settings: Settings, pool: asyncpg.Pool, js: JetStreamContext) -> OutboxRelay:
    """The relay of `service`'s outbox as the settings configure it (in the service or on its own)."""
    return OutboxRelay(
        pool,
        js,
        lambda: db.connect(settings, service),
        max_attempts=settings.outbox_max_attempts,
        retry_base_s=settings.outbox_retry_base_s,
    )
