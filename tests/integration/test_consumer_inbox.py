"""The event consumer: inbox de-duplication, batching, retries, dead letters and replay."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest
from probe import ProbeHappened
from support.waiting import eventually

from contracts.envelope import wrap
from contracts.subjects import changed_subject, event_subject
from deploy import dlq
from kit import db as kit_db
from kit.bus import EventConsumer, Subscription, change_announcer

AREA = "130102001001"
SERVICE = "projects"


@pytest.fixture
async def pool(settings, js):
    await js.purge_stream("PROJECTS")  # each test starts with only its own probes
    pool = await kit_db.create_pool(settings, SERVICE, size=4)
    await pool.execute("CREATE TABLE IF NOT EXISTS probe_effects (n int NOT NULL, event_id uuid NOT NULL)")
    await pool.execute("TRUNCATE probe_effects")
    yield pool
    await pool.close()


class Recorder:
    """A handler that records each applied probe; it raises on poison probes while `refuse` is set."""

    def __init__(self) -> None:
        self.refuse = True
        self.batches: list[int] = []
        self.transactions: set[int] = set()

    async def __call__(self, conn, envelopes) -> None:
        if self.refuse and any(e.data.poison for e in envelopes):
            raise ValueError("poison probe refused")
        self.batches.append(len(envelopes))
        self.transactions.add(await conn.fetchval("SELECT txid_current()"))
        await conn.executemany(
            "INSERT INTO probe_effects (n, event_id) VALUES ($1, $2)", [(e.data.n, e.id) for e in envelopes]
        )


async def run_consumer(
    durable, pool, js, handler, until, what: str, timeout=20.0, announce=None, **kw
) -> EventConsumer:
    """Run the consumer until `until()` holds (`what` names it in a timeout)."""
    subscription = Subscription(durable=durable, event=ProbeHappened, handle=handler, **kw)
    consumer = EventConsumer(subscription, pool, js, *([announce] if announce else []))
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(until, f"consumer {durable}: {what}", timeout)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 5)
    return consumer


async def publish(js, probe: ProbeHappened, *, msg_id: bool = True, envelope=None):
    env = envelope or wrap(probe, subject=str(probe.n), area_code=AREA)
    headers = {"Nats-Msg-Id": str(env.id)} if msg_id else None
    await js.publish(event_subject(ProbeHappened, AREA), env.model_dump_json().encode(), headers=headers)
    return env


async def effects(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM probe_effects")


async def test_same_event_twice_has_one_effect(pool, js):
    await js.add_consumer("PROJECTS", Subscription("probe-dup", ProbeHappened, Recorder()).consumer_config())
    env = await publish(js, ProbeHappened(n=1), msg_id=False)
    await publish(js, ProbeHappened(n=1), msg_id=False, envelope=env)  # bypasses JetStream dedupe
    consumer = await run_consumer(
        "probe-dup", pool, js, Recorder(), until=lambda: _acked(js, "probe-dup", 2), what="both copies acked"
    )
    assert await effects(pool) == 1
    assert consumer.applied == 1
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'probe-dup' AND event_id = $1", env.id) == 1


async def test_a_consumer_says_its_service_changed_once_its_batch_has_committed(pool, js, settings):
    """The notice the gateway's view cache listens for (`changed.<service>`): sent after the commit,
    so whoever hears it reads the effect; a batch of duplicates changed nothing and says nothing."""
    import nats

    await js.add_consumer("PROJECTS", Subscription("probe-notice", ProbeHappened, Recorder()).consumer_config())
    envs = [await publish(js, ProbeHappened(n=i), msg_id=False) for i in range(3)]
    listener = await nats.connect(settings.nats_url)
    seen: list[int] = []  # the effects committed when each notice arrived

    async def heard(msg) -> None:
        seen.append(await effects(pool))

    await listener.subscribe(changed_subject(SERVICE), cb=heard)
    await listener.flush()
    announcer = await nats.connect(settings.nats_url)
    announce = change_announcer(announcer, SERVICE)
    try:
        await run_consumer(
            "probe-notice", pool, js, Recorder(), until=lambda: _count_is(pool, 3), what="3 effects", announce=announce
        )
        await eventually(lambda: _notices_add_up(seen, 3), "notices after the batches committed")
        assert all(n > 0 for n in seen), seen
        for env in envs:  # the same events again (no Nats-Msg-Id, so JetStream keeps them): no effect
            await publish(js, ProbeHappened(n=env.data.n), msg_id=False, envelope=env)
        heard_before = len(seen)
        await run_consumer(
            "probe-notice",
            pool,
            js,
            Recorder(),
            until=lambda: _acked(js, "probe-notice", 6),
            what="6 acked",
            announce=announce,
        )
        await announcer.flush()
        await listener.flush()
        assert len(seen) == heard_before and await effects(pool) == 3
    finally:
        await announcer.close()
        await listener.close()


async def _notices_add_up(seen: list[int], n: int) -> bool:
    return bool(seen) and seen[-1] == n


async def test_duplicate_publish_with_same_id_is_absorbed_by_jetstream(js):
    before = (await js.stream_info("PROJECTS")).state.messages
    env = await publish(js, ProbeHappened(n=2))
    await publish(js, ProbeHappened(n=2), envelope=env)
    assert (await js.stream_info("PROJECTS")).state.messages == before + 1


async def test_batch_is_applied_in_one_transaction(pool, js):
    """One envelope per handler call (its span current), but one transaction for the batch."""
    await js.add_consumer("PROJECTS", Subscription("probe-batch", ProbeHappened, Recorder()).consumer_config())
    await asyncio.gather(*(publish(js, ProbeHappened(n=i)) for i in range(100)))
    recorder = Recorder()
    await run_consumer("probe-batch", pool, js, recorder, until=lambda: _count_is(pool, 100), what="100 effects")
    assert recorder.batches == [1] * 100
    assert len(recorder.transactions) < 100


async def test_whole_batch_handler_gets_the_batch_at_once(pool, js):
    await js.add_consumer("PROJECTS", Subscription("probe-whole", ProbeHappened, Recorder()).consumer_config())
    await asyncio.gather(*(publish(js, ProbeHappened(n=i)) for i in range(100)))
    recorder = Recorder()
    await run_consumer(
        "probe-whole", pool, js, recorder, whole_batch=True, until=lambda: _count_is(pool, 100), what="100 effects"
    )
    assert sum(recorder.batches) == 100
    assert max(recorder.batches) > 1


async def test_poison_goes_to_dlq_with_reason_and_the_rest_flows(pool, js, settings):
    durable = "probe-poison"
    await js.add_consumer("PROJECTS", Subscription(durable, ProbeHappened, Recorder()).consumer_config())
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    poison = await publish(js, ProbeHappened(n=0, poison=True))
    for i in range(1, 6):
        await publish(js, ProbeHappened(n=i))
    recorder = Recorder()
    consumer = await run_consumer(
        durable,
        pool,
        js,
        recorder,
        max_deliver=3,
        backoff_s=(0.1,),
        until=lambda: _dlq_grew(js, dlq_before),
        what="the poison probe in DLQ",
    )
    assert await effects(pool) == 5  # the messages behind the poison were processed
    assert consumer.dead_lettered == 1
    letter = await js.get_msg("DLQ", dlq_before + 1)
    assert letter.headers["Wushe-Dlq-Consumer"] == durable
    assert letter.headers["Wushe-Dlq-Deliveries"] == "3"
    assert "poison probe refused" in letter.headers["Wushe-Dlq-Reason"]
    assert letter.data == poison.model_dump_json().encode()

    # ops fix the cause and replay: the event is applied once, and leaves the DLQ
    assert await dlq.replay(settings, [letter.seq]) == 0
    recorder.refuse = False
    await run_consumer(durable, pool, js, recorder, until=lambda: _count_is(pool, 6), what="the replayed probe applied")
    assert await pool.fetchval("SELECT count(*) FROM probe_effects WHERE event_id = $1", poison.id) == 1


async def test_malformed_event_is_dead_lettered_naming_the_field(pool, js):
    durable = "probe-malformed"
    await js.add_consumer("PROJECTS", Subscription(durable, ProbeHappened, Recorder()).consumer_config())
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    env = wrap(ProbeHappened(n=9), subject="9", area_code=AREA).model_dump(mode="json")
    del env["data"]["n"]
    import orjson

    await js.publish(event_subject(ProbeHappened, AREA), orjson.dumps(env))
    await run_consumer(
        durable,
        pool,
        js,
        Recorder(),
        max_deliver=2,
        backoff_s=(0.1,),
        until=lambda: _dlq_grew(js, dlq_before),
        what="the malformed event in DLQ",
    )
    letter = await js.get_msg("DLQ", dlq_before + 1)
    assert "data.n" in letter.headers["Wushe-Dlq-Reason"]


async def _acked(js, durable: str, n: int) -> bool:
    info = await js.consumer_info("PROJECTS", durable)
    return info.ack_floor.consumer_seq >= n and info.num_ack_pending == 0


async def _count_is(pool, n: int) -> bool:
    return await effects(pool) == n


async def _dlq_grew(js, before: int) -> bool:
    return (await js.stream_info("DLQ")).state.last_seq > before


async def test_consumer_continues_the_producers_trace(pool, js):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the global provider can be set only once
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    durable = "probe-trace"
    await js.add_consumer("PROJECTS", Subscription(durable, ProbeHappened, Recorder()).consumer_config())
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    env = wrap(ProbeHappened(n=5), subject="5", area_code=AREA, traceparent=f"00-{trace_id}-b7ad6b7169203331-01")
    await publish(js, ProbeHappened(n=5), envelope=env)
    await run_consumer(durable, pool, js, Recorder(), until=lambda: _count_is(pool, 1), what="the traced probe applied")
    spans = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CONSUMER]
    assert [f"{s.context.trace_id:032x}" for s in spans] == [trace_id]
    assert spans[0].parent.span_id == 0xB7AD6B7169203331


class Emitter(Recorder):
    """Handles a probe by emitting the next one, as a service's consumer emits its own events."""

    async def __call__(self, conn, envelopes) -> None:
        from kit.uow import UnitOfWork

        await super().__call__(conn, envelopes)
        events = UnitOfWork.joining(conn)
        for e in envelopes:
            self.emitted = events.emit(
                ProbeHappened(n=e.data.n + 1000), subject="next", area_code=AREA, causation_id=e.id
            )
        await events.flush()


async def test_events_a_consumer_emits_continue_the_trace_of_the_event_it_handles(pool, js):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    durable = "probe-trace-emit"
    await js.add_consumer("PROJECTS", Subscription(durable, ProbeHappened, Recorder()).consumer_config())
    trace_ids = ["1af7651916cd43dd8448eb211c80319c", "2af7651916cd43dd8448eb211c80319c"]
    for n, trace_id in enumerate(trace_ids):  # two events of two requests, in one batch
        env = wrap(ProbeHappened(n=n), subject=str(n), area_code=AREA, traceparent=f"00-{trace_id}-b7ad6b7169203331-01")
        await publish(js, ProbeHappened(n=n), envelope=env)
    await run_consumer(durable, pool, js, Emitter(), until=lambda: _count_is(pool, 2), what="both probes applied")
    rows = await pool.fetch(
        "SELECT payload FROM outbox WHERE convert_from(payload, 'UTF8')::jsonb->>'subject' = 'next'"
        " ORDER BY id DESC LIMIT 2"
    )
    import orjson

    emitted = sorted(orjson.loads(r["payload"])["traceparent"] for r in rows)
    assert [tp.split("-")[1] for tp in emitted] == trace_ids  # each continues its own request's trace
    assert all(tp.split("-")[2] != "b7ad6b7169203331" for tp in emitted)  # under the consumer's span


class FlakyDatabase(Recorder):
    """Fails the way a restarting PostgreSQL does, `times` times, then works."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.left = times

    async def __call__(self, conn, envelopes) -> None:
        import asyncpg

        if self.left:
            self.left -= 1
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
        await super().__call__(conn, envelopes)


async def test_an_infrastructure_failure_pauses_and_counts_no_delivery(pool, js):
    """With max_deliver=1 a counted failure would dead-letter at once: a database that is away
    for several attempts must cost the event nothing."""
    durable = "probe-flaky-db"
    await js.add_consumer("PROJECTS", Subscription(durable, ProbeHappened, Recorder()).consumer_config())
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    await publish(js, ProbeHappened(n=3))
    seen_paused = []

    async def applied():
        seen_paused.append(consumer_ref[0].paused if consumer_ref else None)
        return await _count_is(pool, 1)

    consumer_ref = []
    flaky = FlakyDatabase(times=3)
    task_consumer = EventConsumer(Subscription(durable, ProbeHappened, flaky, max_deliver=1), pool, js)
    consumer_ref.append(task_consumer)
    task = asyncio.create_task(task_consumer.run())
    try:
        await eventually(applied, "the probe applied once the database is back", 10)
    finally:
        task_consumer.stop()
        await asyncio.wait_for(task, 5)
    assert await effects(pool) == 1 and flaky.left == 0
    assert any(p and "CannotConnectNow" in p for p in seen_paused)  # /readyz said why meanwhile
    assert task_consumer.paused is None
    assert (await js.stream_info("DLQ")).state.last_seq == dlq_before
    assert (await js.consumer_info("PROJECTS", durable)).num_redelivered == 0


async def test_dlq_replay_skips_letters_older_than_the_inbox_retention(js, settings, capsys):
    from datetime import datetime, timedelta

    from contracts.subjects import dlq_subject

    old = wrap(ProbeHappened(n=77), subject="77", area_code=AREA).model_copy(
        update={"time": datetime.now(UTC) - timedelta(days=settings.retention_days + 1)}
    )
    ack = await js.publish(
        dlq_subject("probe-old"),
        old.model_dump_json().encode(),
        headers={"Wushe-Dlq-Subject": event_subject(ProbeHappened, AREA)},
    )
    assert await dlq.replay(settings, [ack.seq]) == 0
    assert "保留期限" in capsys.readouterr().out
    assert (await js.get_msg("DLQ", ack.seq)).data  # still there
    last = (await js.stream_info("PROJECTS")).state.last_seq
    assert await dlq.replay(settings, [ack.seq], force=True) == 0
    assert (await js.stream_info("PROJECTS")).state.last_seq == last + 1


class FailsOnce(Recorder):
    """Refuses the first time, as a handler does when it meets an event ahead of the one it needs."""

    async def __call__(self, conn, envelopes) -> None:
        if self.refuse:
            self.refuse = False
            raise ValueError("not yet")
        await super().__call__(conn, envelopes)


async def test_deliveries_that_a_kill_interrupted_do_not_count_towards_dlq(pool, js):
    """An event delivered three times to consumers that died before answering (here: nak'ed by a
    bare client) and then failing once must be retried, not dead-lettered as a fourth delivery."""
    durable = "probe-interrupted"
    subscription = Subscription(durable, ProbeHappened, Recorder(), max_deliver=2)
    await js.add_consumer("PROJECTS", subscription.consumer_config())
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    await publish(js, ProbeHappened(n=8))
    bare = await js.pull_subscribe_bind(durable, "PROJECTS")
    for _ in range(3):
        for msg in await bare.fetch(1, timeout=5):
            await msg.nak()  # delivered, never handled
    await bare.unsubscribe()
    await run_consumer(
        durable, pool, js, FailsOnce(), lambda: _count_is(pool, 1), "the probe applied at its retry", max_deliver=2
    )
    assert await effects(pool) == 1
    assert (await js.stream_info("DLQ")).state.last_seq == dlq_before
