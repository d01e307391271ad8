"""The bus: the FastStream NATS broker that owns each process's connection, the stream layout,
and the event consumer (inbox + batched transactions + retries with back-off + dead letters).

Why the consumer is the kit's own pull loop and not a FastStream subscriber: one inbox transaction
spans a whole batch, the failure rule of kit.failures decides between pausing and counting a
delivery, and a dead letter carries its reason; a FastStream subscriber acks or naks each message
on its own. The broker still owns the connection, and any FastStream subscriber added later gets
NACK_ON_ERROR, not REJECT_ON_ERROR.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import asyncpg
import nats.errors
import nats.js.errors
from faststream import AckPolicy
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from opentelemetry import trace
from pydantic import BaseModel, ValidationError, create_model

from contracts.envelope import Envelope, Event
from contracts.subjects import STREAMS, Takes, changed_subject, dlq_subject, event_filter, events_of, stream_of_all
from kit import metrics
from kit.db import AnyConnection
from kit.failures import describe, is_transient
from kit.telemetry import context_from, tracer

log = logging.getLogger(__name__)

FETCH_TIMEOUTS = (nats.errors.TimeoutError, asyncio.TimeoutError)
PAUSE_S = 1.0  # how long a consumer waits before trying PostgreSQL or NATS again
ACK_TIMEOUT_S = 5.0


def create_broker(servers: list[str] | str, name: str) -> NatsBroker:
    """One broker per process (`servers`: Settings.nats_servers, every node of a cluster). Reconnects
    forever: a NATS outage pauses work, it never ends it."""
    return NatsBroker(
        servers,
        name=f"wushe-{name}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        drain_timeout=5,
        logger=logging.getLogger(f"wushe.{name}.broker"),
    )


async def ensure_streams(js: JetStreamContext, *, replicas: int = 1, duplicate_window_s: float = 120.0) -> list[str]:
    """Create or update every stream (provisioning, not service start-up); `replicas` is R1 on one
    node, R3 on a cluster."""
    done = []
    for name, subjects in STREAMS.items():
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window_s,
        )
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.update_stream(config)
        done.append(name)
    return done


Handler = Callable[[AnyConnection, list[Envelope[Any]]], Awaitable[None]]


@dataclass
class Subscription:
    """A durable consumer of one event type, or of several of one stream (contracts.flow.Consumer).
    `handle` applies envelopes that this consumer has not seen before, inside the transaction that
    records them in the inbox: one envelope per call, with its span current, so the events it emits
    continue the same trace. A pure projection that emits nothing may set `whole_batch` to be
    handed the whole batch in one call."""

    durable: str
    event: Takes
    handle: Handler
    max_deliver: int = 5
    backoff_s: tuple[float, ...] = (0.5, 2.0, 10.0, 30.0)
    batch: int = 256
    ack_wait_s: float = 30.0
    whole_batch: bool = False
    envelopes: dict[str, type[Envelope[Any]]] = field(init=False)
    typed: type[BaseModel] = field(init=False)  # reads only an envelope's `type`, one of the events'

    def __post_init__(self) -> None:
        # classes built at run time per event: mypy cannot follow them
        self.envelopes = {e.type_name(): Envelope[e] for e in self.events}  # type: ignore[valid-type]
        self.typed = create_model("Typed", type=(Literal[tuple(self.envelopes)], ...))  # type: ignore[arg-type]

    @property
    def events(self) -> tuple[type[Event], ...]:
        return events_of(self.event)

    @property
    def stream(self) -> str:
        return stream_of_all(self.events)

    def parse(self, data: bytes) -> Envelope[Any]:
        """The envelope of one of this consumer's events (ValidationError if it is none of them)."""
        if len(self.envelopes) == 1:  # the common case: one parse
            [envelope] = self.envelopes.values()
            return envelope.model_validate_json(data)
        kind = self.typed.model_validate_json(data).type  # type: ignore[attr-defined]
        return self.envelopes[kind].model_validate_json(data)

    def consumer_config(self) -> ConsumerConfig:
        filters = [event_filter(e) for e in self.events]
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=filters[0] if len(filters) == 1 else None,
            filter_subjects=filters if len(filters) > 1 else None,
            ack_policy=JsAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            # No server-side limit: a server that stops redelivering drops the message without a
            # trace. `_fail` dead-letters an event at `max_deliver` attempts, with the reason; a
            # process killed mid-batch only delays its messages.
            max_deliver=-1,
            ack_wait=self.ack_wait_s,
            max_ack_pending=10_000,
        )


Parsed = list[tuple[Msg, Envelope[Any]]]
Announce = Callable[[], Awaitable[None]]


def change_announcer(nc: NATS, service: str) -> Announce:
    """Says on `changed.<service>` (core NATS, after the commit) that the service's state changed, for
    whoever keeps its answers (the gateway's view cache). A notice lost with a broken connection
    costs a listener at most its cache's time-to-live: it forgets everything when its own breaks."""
    subject = changed_subject(service)

    async def announce() -> None:
        try:
            await nc.publish(subject)
        except nats.errors.Error as exc:
            log.warning("change notice not sent", extra={"subject": subject, "error": describe(exc)})

    return announce


async def _nothing() -> None:
    return None


class EventConsumer:
    """Pull loop for one Subscription: fetch a batch, apply it in one transaction (inbox + effects),
    commit, then ack each message synchronously (double ack).

    Two kinds of failure, told apart by kit.failures: while PostgreSQL or NATS is away the consumer
    pauses, holds its batch (telling the server it is still in progress) and retries it, so no
    delivery is counted; an event whose own handling fails is rolled back alone (a savepoint), the
    rest of the batch commits, and it is nak'ed with back-off until, at `max_deliver`, it is copied
    to DLQ with the reason and acked."""

    def __init__(
        self, sub: Subscription, pool: asyncpg.Pool, js: JetStreamContext, announce: Announce = _nothing
    ) -> None:
        self.sub, self.pool, self.js, self.announce = sub, pool, js, announce
        self.name = sub.durable
        self.tracer = tracer(f"wushe.consumer.{sub.durable}")
        self.applied = 0
        self.dead_lettered = 0
        self.paused: str | None = None
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        stream = self.sub.stream
        await self.js.add_consumer(stream, self.sub.consumer_config())
        psub = await self.js.pull_subscribe_bind(durable=self.sub.durable, stream=stream)
        try:
            await self._loop(psub)
        finally:
            # an open pull subscription makes the connection's drain wait for its full timeout
            await psub.unsubscribe()

    def stop(self) -> None:
        self._stopping.set()

    async def _loop(self, psub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                msgs = await psub.fetch(batch=self.sub.batch, timeout=1.0)
            except FETCH_TIMEOUTS:
                self.paused = None
                continue
            except Exception as exc:
                if not is_transient(exc):
                    raise  # the supervisor restarts the consumer
                await self._pause(f"NATS {describe(exc)}", [])
                continue
            self.paused = None
            await self.process(msgs)

    async def process(self, msgs: list[Msg]) -> None:
        parsed: Parsed = []
        for msg in msgs:
            try:
                parsed.append((msg, self.sub.parse(msg.data)))
            except ValidationError as exc:
                await self._settle_failed(msg, f"invalid event: {_validation_reason(exc)}")
        if not parsed:
            return
        failed = await self._apply_until_done(parsed)
        if failed is None:
            return  # stopping while paused: the server redelivers the batch to the next consumer
        await asyncio.gather(
            *(
                self._settle_failed(msg, failed[env.id], env.id) if env.id in failed else self._ack(msg)
                for msg, env in parsed
            )
        )

    async def _apply_until_done(self, parsed: Parsed) -> dict[UUID, str] | None:
        """The batch's event failures ({event id: reason}) once it has committed, or None when asked to
        stop while PostgreSQL is still away."""
        while True:
            try:
                failed = await self._apply(parsed)
                self.paused = None
                return failed
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if not await self._pause(f"PostgreSQL {describe(exc)}", [m for m, _ in parsed]):
                    return None

    async def _apply(self, parsed: Parsed) -> dict[UUID, str]:
        async with self.pool.acquire() as conn, conn.transaction():
            fresh_ids = {
                r["event_id"]
                for r in await conn.fetch(
                    """INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
                   ON CONFLICT DO NOTHING RETURNING event_id""",
                    self.sub.durable,
                    [e.id for _, e in parsed],
                )
            }
            # a redelivery can sit in the same batch as the original: the first one wins
            fresh = list({e.id: (m, e) for m, e in reversed(parsed) if e.id in fresh_ids}.values())[::-1]
            failed = await self._handle(conn, fresh) if fresh else {}
            if failed:  # so that their redelivery is applied
                await conn.execute(
                    "DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
                    self.sub.durable,
                    list(failed),
                )
        self.applied += len(fresh) - len(failed)
        if len(fresh) > len(failed):
            await self.announce()
        self._count("applied", len(fresh) - len(failed))
        self._count("duplicate", len(parsed) - len(fresh))
        return failed

    def _count(self, outcome: str, n: int = 1) -> None:
        if n:
            metrics.consumer_events.add(n, {"consumer": self.sub.durable, "outcome": outcome})

    async def _handle(self, conn: AnyConnection, fresh: Parsed) -> dict[UUID, str]:
        if self.sub.whole_batch:
            spans = [self._span(e) for _, e in fresh]
            try:
                async with conn.transaction():
                    await self.sub.handle(conn, [e for _, e in fresh])
                return {}
            except Exception as exc:
                if is_transient(exc):
                    raise
            finally:
                for span in spans:
                    span.end()
        failed = {}
        for _, envelope in fresh:  # each alone in a savepoint, so one poison event spoils nothing else
            with trace.use_span(self._span(envelope), end_on_exit=True):
                try:
                    async with conn.transaction():
                        await self.sub.handle(conn, [envelope])
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    failed[envelope.id] = describe(exc)
        return failed

    def _span(self, envelope: Envelope[Any]) -> trace.Span:
        return self.tracer.start_span(
            f"consume {envelope.type}",
            context=context_from(envelope.traceparent),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.consumer.group.name": self.sub.durable, "messaging.message.id": str(envelope.id)},
        )

    async def _pause(self, reason: str, held: list[Msg]) -> bool:
        """Wait a little while the infrastructure is away, keeping `held` from being redelivered.
        False when the consumer is asked to stop meanwhile."""
        if self.paused is None:
            log.warning("consumer paused", extra={"consumer": self.sub.durable, "reason": reason})
        self.paused = reason
        await asyncio.gather(*(msg.in_progress() for msg in held), return_exceptions=True)
        try:
            await asyncio.wait_for(self._stopping.wait(), PAUSE_S)
        except TimeoutError:
            return True
        return False

    async def _ack(self, msg: Msg) -> None:
        try:
            await msg.ack_sync(timeout=ACK_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - redelivered later; the inbox makes it a no-op
            log.warning("ack not confirmed", extra={"consumer": self.sub.durable, "error": describe(exc)})

    async def _count_failure(self, env_id: UUID) -> int:
        """This event's failures so far, this one included. NATS's num_delivered would also count the
        deliveries that a kill or a pause interrupted, which say nothing about the event."""
        failures: int = await self.pool.fetchval(
            """INSERT INTO event_failures (consumer, event_id, failures) VALUES ($1, $2, 1)
               ON CONFLICT (consumer, event_id) DO UPDATE
               SET failures = event_failures.failures + 1, last_failed_at = now() RETURNING failures""",
            self.sub.durable,
            env_id,
        )
        return failures

    async def _settle_failed(self, msg: Msg, reason: str, env_id: UUID | None = None) -> None:
        try:
            await self._fail(msg, env_id, reason)
        except Exception as exc:  # noqa: BLE001 - NATS away: the message comes back and fails again
            log.warning("failed event not settled", extra={"consumer": self.sub.durable, "error": describe(exc)})

    async def _fail(self, msg: Msg, env_id: UUID | None, reason: str) -> None:
        """Retry with back-off, or dead-letter after `max_deliver` failures of the event itself."""
        # an event that does not parse has no id to count by: NATS's deliveries stand in
        failures = await self._count_failure(env_id) if env_id else msg.metadata.num_delivered
        if failures < self.sub.max_deliver:
            delay = self.sub.backoff_s[min(failures, len(self.sub.backoff_s)) - 1]
            log.warning(
                "event failed, will retry",
                extra={"consumer": self.sub.durable, "failures": failures, "retry_in_s": delay, "reason": reason},
            )
            await msg.nak(delay=delay)
            self._count("retried")
            return
        delivered = msg.metadata.num_delivered
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
        await msg.ack_sync(timeout=ACK_TIMEOUT_S)
        if env_id:
            await self.pool.execute(
                "DELETE FROM event_failures WHERE consumer = $1 AND event_id = $2", self.sub.durable, env_id
            )  # a replay starts afresh
        self.dead_lettered += 1
        self._count("dead_lettered")
        log.error("event dead-lettered", extra={"consumer": self.sub.durable, "reason": reason})


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
