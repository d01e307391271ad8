"""The bus: the FastStream NATS broker that owns each process's connection, the stream layout,
and the event consumer (inbox + batched transactions + retries with back-off + dead letters).

Why the consumer is the kit's own pull loop and not a FastStream subscriber: FastStream 0.7.8's
pull loop suppresses only `nats.errors.TimeoutError`, while nats-py's `fetch()` also raises a
bare `asyncio.TimeoutError`, which ends the loop silently; its batch subscriber waits for a
full batch or the timeout, which costs latency at low rates. The broker still owns the
connection, and any FastStream subscriber added later gets NACK_ON_ERROR, not REJECT_ON_ERROR.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import nats.errors
import nats.js.errors
from faststream import AckPolicy
from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from opentelemetry import trace
from pydantic import ValidationError

from contracts.envelope import Envelope, Event
from contracts.subjects import STREAMS, dlq_subject, event_filter, stream_of
from kit.telemetry import context_from, tracer

log = logging.getLogger(__name__)

FETCH_TIMEOUTS = (nats.errors.TimeoutError, asyncio.TimeoutError)
CONNECTION_ERRORS = (nats.errors.ConnectionClosedError, nats.errors.NoServersError, nats.js.errors.ServiceUnavailableError)


def create_broker(nats_url: str, name: str) -> NatsBroker:
    """One broker per process. Reconnects forever: a NATS outage pauses work, it never ends it."""
    return NatsBroker(
        nats_url,
        name=f"wushe-{name}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        drain_timeout=5,
        logger=logging.getLogger(f"wushe.{name}.broker"),
    )


async def ensure_streams(js: JetStreamContext) -> list[str]:
    """Create or update every stream (provisioning, not service start-up)."""
    done = []
    for name, subjects in STREAMS.items():
        config = StreamConfig(name=name, subjects=subjects, storage=StorageType.FILE, duplicate_window=120.0)
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.update_stream(config)
        done.append(name)
    return done


Handler = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]


@dataclass
class Subscription:
    """A durable consumer of one event type. `handle` applies a list of envelopes that this
    consumer has not seen before, inside the transaction that records them in the inbox."""

    durable: str
    event: type[Event]
    handle: Handler
    max_deliver: int = 5
    backoff_s: tuple[float, ...] = (0.5, 2.0, 10.0, 30.0)
    batch: int = 256
    ack_wait_s: float = 30.0
    envelope: type[Envelope] = field(init=False)

    def __post_init__(self) -> None:
        self.envelope = Envelope[self.event]

    def consumer_config(self) -> ConsumerConfig:
        # One spare server-side delivery: if the process dies during the last attempt, the
        # message comes back once more and is then dead-lettered by `_fail`.
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=event_filter(self.event),
            ack_policy=JsAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver + 1,
            ack_wait=self.ack_wait_s,
            max_ack_pending=10_000,
        )


class EventConsumer:
    """Pull loop for one Subscription: fetch a batch, apply it in one transaction (inbox + effects),
    commit, then ack. If the batch fails, each message is retried alone so one poison message
    does not hold back the rest; a failing message is nak'ed with back-off and, once it has been
    delivered `max_deliver` times, copied to the DLQ stream with the reason and acked."""

    def __init__(self, sub: Subscription, pool: asyncpg.Pool, js: JetStreamContext) -> None:
        self.sub, self.pool, self.js = sub, pool, js
        self.tracer = tracer(f"wushe.consumer.{sub.durable}")
        self.applied = 0
        self.dead_lettered = 0
        self._running = True

    async def run(self) -> None:
        stream = stream_of(self.sub.event)
        await self.js.add_consumer(stream, self.sub.consumer_config())
        psub = await self.js.pull_subscribe_bind(durable=self.sub.durable, stream=stream)
        try:
            await self._loop(psub)
        finally:
            # an open pull subscription makes the connection's drain wait for its full timeout
            await psub.unsubscribe()

    async def _loop(self, psub) -> None:
        while self._running:
            try:
                msgs = await psub.fetch(batch=self.sub.batch, timeout=1.0)
            except FETCH_TIMEOUTS:
                continue
            except CONNECTION_ERRORS as exc:
                log.warning("consumer waiting for NATS", extra={"consumer": self.sub.durable, "error": repr(exc)})
                await asyncio.sleep(1.0)
                continue
            try:
                await self.process(msgs)
            except Exception as exc:  # noqa: BLE001 - e.g. PostgreSQL down: unacked messages come back
                log.warning("consumer paused", extra={"consumer": self.sub.durable, "error": repr(exc)})
                await asyncio.sleep(1.0)

    def stop(self) -> None:
        self._running = False

    async def process(self, msgs: list[Msg]) -> None:
        parsed: list[tuple[Msg, Envelope]] = []
        for msg in msgs:
            try:
                parsed.append((msg, self.sub.envelope.model_validate_json(msg.data)))
            except ValidationError as exc:
                await self._fail(msg, f"invalid event: {_validation_reason(exc)}")
        if not parsed:
            return
        try:
            await self._apply([env for _, env in parsed])
        except Exception:  # noqa: BLE001 - find the culprit one by one
            for msg, env in parsed:
                try:
                    await self._apply([env])
                except Exception as exc:  # noqa: BLE001
                    await self._fail(msg, f"{type(exc).__name__}: {exc}")
                else:
                    await msg.ack()
            return
        for msg, _ in parsed:
            await msg.ack()

    async def _apply(self, envelopes: list[Envelope]) -> None:
        spans = [
            self.tracer.start_span(f"consume {e.type}", context=context_from(e.traceparent), kind=trace.SpanKind.CONSUMER)
            for e in envelopes
        ]
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                fresh_ids = {r["event_id"] for r in await conn.fetch(
                    """INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
                       ON CONFLICT DO NOTHING RETURNING event_id""",
                    self.sub.durable, [e.id for e in envelopes])}
                # a redelivery can sit in the same batch as the original: the first one wins
                fresh = list({e.id: e for e in reversed(envelopes) if e.id in fresh_ids}.values())[::-1]
                if fresh:
                    await self.sub.handle(conn, fresh)
            self.applied += len(fresh)
        finally:
            for span in spans:
                span.end()

    async def _fail(self, msg: Msg, reason: str) -> None:
        delivered = msg.metadata.num_delivered
        if delivered < self.sub.max_deliver:
            delay = self.sub.backoff_s[min(delivered, len(self.sub.backoff_s)) - 1]
            log.warning("event failed, will retry", extra={"consumer": self.sub.durable, "delivered": delivered,
                                                           "retry_in_s": delay, "reason": reason})
            await msg.nak(delay=delay)
            return
        await self.js.publish(
            dlq_subject(self.sub.durable),
            msg.data,
            headers={
                "Wushe-Dlq-Reason": reason[:1000],
                "Wushe-Dlq-Consumer": self.sub.durable,
                "Wushe-Dlq-Subject": msg.subject,
                "Wushe-Dlq-Stream-Seq": str(msg.metadata.sequence.stream),
                "Wushe-Dlq-Deliveries": str(delivered),
                **({"traceparent": msg.headers["traceparent"]} if msg.headers and "traceparent" in msg.headers else {}),
            },
        )
        await msg.term()
        self.dead_lettered += 1
        log.error("event dead-lettered", extra={"consumer": self.sub.durable, "reason": reason})


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
