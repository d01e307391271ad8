"""`wushe rebuild SERVICE PROJECTION`: a read model rebuilt from its stream, from the first sequence,
while the service runs.

A rebuildable projection is a pure one (kit.wiring.WholeBatch: it writes its tables and emits
nothing), named in its service's subscribers module (PROJECTIONS). Its own handler is replayed
unchanged into copies of its tables in a schema of their own (`rebuild`, ahead of `public` on the
search path of each batch's transaction), fed by an ephemeral push consumer acknowledged once a
batch. Once it has caught up, the live tables are locked against writes (reads go on), the events
that came meanwhile are applied, and the copies replace the tables' rows in the same transaction;
the live consumer, held at the lock, then goes on from where it was: its projection ignores what the
rebuild already applied (each handler here is idempotent by the event's key). Progress on stderr."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from contracts.subjects import event_filter
from kit import db
from kit.bus import Subscription, change_announcer
from kit.settings import Settings
from kit.wiring import Projection, WholeBatch, subscription

SCHEMA = "rebuild"
BATCH = 1000
IN_FLIGHT = 4 * BATCH


@dataclass
class Report:
    applied: int = 0
    skipped: list[str] = field(default_factory=list)  # sequences that are none of the consumer's events
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # seconds: replay (to caught up), swap (under the lock)

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


def projections_of(service: str) -> dict[str, Projection]:
    module = importlib.import_module(f"services.{service}.subscribers")
    return dict(getattr(module, "PROJECTIONS", {}))


def handler_of(service: str, projection: Projection) -> Subscription:
    module = importlib.import_module(f"services.{service}.subscribers")
    offered = module.HANDLERS[projection.durable]
    if not isinstance(offered, WholeBatch):
        raise ValueError(f"{projection.durable} emits events: only a pure projection can be replayed")
    return subscription(projection.durable, offered, max_deliver=1)


class Progress:
    """One line on stderr, redrawn at most every half second: applied / to do, share, rate."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.started, self.shown = label, max(total, 1), time.monotonic(), 0.0

    def show(self, done: int, *, final: bool = False) -> None:
        at = time.monotonic()
        if not final and at - self.shown < 0.5:
            return
        self.shown = at
        rate = done / (at - self.started) if at > self.started else 0.0
        share = min(done / self.total, 1.0)
        bar = "#" * int(share * 30)
        sys.stderr.write(
            f"\r重建 / rebuilding {self.label} [{bar:<30}] {done:,}/{self.total:,} ({share:.0%}) {rate:,.0f} 条/s"
            + ("\n" if final else "")
        )
        sys.stderr.flush()


async def _shadow(conn: asyncpg.Connection, tables: tuple[str, ...]) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    await conn.execute(f"CREATE SCHEMA {SCHEMA}")
    for table in tables:
        await conn.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)")


class Replay:
    """The projection's events from the first sequence, delivered by an ephemeral push consumer (a
    callback per message, where nats-py's pull fetch spends a task and a timeout on each: 10 against
    50 µs of client CPU a message, measured on 100,000) and applied in batches of BATCH into the
    copies. The callback runs in the subscription's own task, one message after the other; `conn` is
    shared with the swap, so each use of it holds `using`."""

    def __init__(self, conn: asyncpg.Connection, handler: Subscription, report: Report, progress: Progress) -> None:
        self.conn, self.handler, self.report, self.progress = conn, handler, report, progress
        self.batch: list[Any] = []
        self.received_seq = 0  # the stream sequence of the last message received
        self.applying = False
        self.caught_up = asyncio.Event()  # the last message received said none is left after it
        self.using = asyncio.Lock()
        self.failed: BaseException | None = None
        self.stopped = False  # the copies are in place (or the rebuild ended): later messages are not needed
        self.sub: Any = None  # the subscription, once it exists: how many messages wait in its queue

    async def on_message(self, msg) -> None:
        if self.failed or self.stopped:
            return
        try:
            self.batch.append(msg)
            if self.sub is not None and self.sub.pending_msgs and len(self.batch) < BATCH:
                return  # more are here already: this one is not the last (its metadata costs a seventh of the CPU)
            meta = msg.metadata
            if not self.received_seq:  # the first says how many there are
                self.progress.total = max(meta.num_pending + meta.sequence.consumer, 1)
            self.received_seq = meta.sequence.stream
            if meta.num_pending == 0 or len(self.batch) >= BATCH:
                await self.flush()
            if meta.num_pending == 0:
                self.caught_up.set()
        except Exception as exc:  # noqa: BLE001 - raised again by the rebuild, not lost in the client's task
            self.failed = exc
            self.caught_up.set()

    async def flush(self) -> None:
        """The messages received so far into the copies: the handler's unqualified table names
        resolve to them. (Validating a batch as one JSON array was measured slower than one message
        at a time: 30 against 12 µs.)"""
        msgs, self.batch, self.applying = self.batch, [], True
        envelopes = []
        for msg in msgs:
            try:
                envelopes.append(self.handler.parse(msg.data))
            except ValidationError:
                self.report.skipped.append(str(msg.metadata.sequence.stream))  # the live consumer sent it to DLQ
        try:
            if envelopes:
                async with self.using, self.conn.transaction():
                    await self.conn.execute(f"SET LOCAL search_path = {SCHEMA}, public")
                    await self.handler.handle(self.conn, envelopes)
        finally:
            self.applying = False
        await msgs[-1].ack()
        self.report.applied += len(envelopes)
        self.progress.show(self.report.applied + len(self.report.skipped))

    async def until_caught_up(self) -> None:
        await self.caught_up.wait()
        if self.failed:
            raise self.failed

    async def until_received(self, sub, *, poll_s: float = 0.02) -> None:
        """Everything the stream holds for the consumer now is received and applied: the server has
        nothing left to deliver, and the last message it delivered has reached the callback (it may
        be on its way yet when the server already counts it delivered)."""
        while True:
            info = await sub.consumer_info()
            received = self.received_seq >= info.delivered.stream_seq
            if info.num_pending == 0 and received and not (self.batch or self.applying):
                return
            if self.failed:
                raise self.failed
            await asyncio.sleep(poll_s)


async def _swap(conn: asyncpg.Connection, tables: tuple[str, ...]) -> dict[str, int]:
    rows = {}
    for table in tables:
        await conn.execute(f"DELETE FROM public.{table}")
        await conn.execute(f"INSERT INTO public.{table} SELECT * FROM {SCHEMA}.{table}")
        rows[table] = int(await conn.fetchval(f"SELECT count(*) FROM public.{table}"))
    return rows


async def rebuild(settings: Settings, service: str, name: str) -> Report:
    projection = projections_of(service)[name]
    handler = handler_of(service, projection)
    conn = await db.connect(settings, service)
    nc = await nats.connect(settings.nats_url)
    report, started = Report(), time.monotonic()
    replay = Replay(conn, handler, report, Progress(f"{service}.{name}", 1))
    js, sub = nc.jetstream(), None
    try:
        await _shadow(conn, projection.tables)
        sub = await _subscribe(js, handler, replay)
        await replay.until_caught_up()
        report.phases["replay"] = round(time.monotonic() - started, 3)
        report.rows = await _cut_over(conn, replay, sub, projection.tables)
        await change_announcer(nc, service)()  # the rebuilt rows replace what views may have kept
        await nc.flush()
        report.phases["swap"] = round(time.monotonic() - started - report.phases["replay"], 3)
        replay.progress.show(report.applied + len(report.skipped), final=True)
    finally:
        try:
            replay.stopped = True
            if sub is not None:  # the stream keeps exactly the flow map's consumers
                consumer = (await sub.consumer_info()).name
                await sub.unsubscribe()
                with contextlib.suppress(nats.js.errors.NotFoundError):  # the server may have dropped it already
                    await js.delete_consumer(handler.stream, consumer)
            async with replay.using:
                await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        finally:
            await conn.close()
            await nc.close()
    report.seconds = time.monotonic() - started
    return report


async def _subscribe(js, handler: Subscription, replay: Replay):
    [event] = handler.events
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL,
        # one acknowledgement a batch (its last message's, which covers those before it); the server
        # stops at IN_FLIGHT unacknowledged, so the client never holds more than that
        ack_policy=AckPolicy.ALL,
        max_ack_pending=IN_FLIGHT,
        inactive_threshold=60.0,  # gone a minute after a rebuild that was killed
    )
    sub = replay.sub = await js.subscribe(
        event_filter(event), stream=handler.stream, config=config, cb=replay.on_message, manual_ack=True
    )
    info = await sub.consumer_info()
    if info.num_pending == 0 and info.delivered.consumer_seq == 0:
        replay.caught_up.set()  # nothing to replay: no message will come to say so
    return sub


async def _cut_over(conn: asyncpg.Connection, replay: Replay, sub, tables: tuple[str, ...]) -> dict[str, int]:
    """In one transaction: the live tables locked against writes (the live consumer waits here;
    reads go on), what came meanwhile applied, and the copies put in place of the tables' rows."""
    transaction = conn.transaction()
    async with replay.using:
        await transaction.start()
        for table in tables:
            await conn.execute(f"LOCK TABLE public.{table} IN SHARE ROW EXCLUSIVE MODE")
    try:
        await replay.until_received(sub)
        async with replay.using:
            replay.stopped = True
            await conn.execute("SET LOCAL search_path = public")
            rows = await _swap(conn, tables)
            await transaction.commit()
        return rows
    except BaseException:
        async with replay.using:
            with contextlib.suppress(asyncpg.InterfaceError):  # already ended, e.g. by a failed commit
                await transaction.rollback()
        raise


def run(settings: Settings, service: str, name: str) -> int:
    known = projections_of(service)
    if name not in known:
        choices = "、".join(known) or "（无 / none）"
        print(f"{service} 没有可重建的读模型 {name} / no projection {name}: {choices}", file=sys.stderr)
        return 2
    report = asyncio.run(rebuild(settings, service, name))
    rows = ", ".join(f"{t} {n:,} 行" for t, n in report.rows.items())
    print(
        f"已重建 / rebuilt {service}.{name}: {report.applied:,} 个事件 / events in {report.seconds:.1f} s "
        f"({report.rate:,.0f}/s); {rows}"
        + (
            f"; 跳过 / skipped {len(report.skipped)} (stream seq {', '.join(report.skipped[:5])})"
            if report.skipped
            else ""
        )
    )
    return 0
