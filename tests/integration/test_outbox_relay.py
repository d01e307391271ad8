"""Unit of work and outbox relay against real PostgreSQL and nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path

import nats
import pytest
from probe import ProbeHappened
from support.waiting import eventually

from contracts.subjects import event_filter
from deploy.servers import free_port, start_nats, stop_process
from kit import db as kit_db
from kit.bus import create_broker
from kit.outbox import OutboxRelay
from kit.settings import Settings
from kit.uow import UnitOfWork

AREA = "130102001001"
SERVICE = "projects"  # its database is unused by the slice: these tests own its outbox


@pytest.fixture
async def pool(settings: Settings):
    pool = await kit_db.create_pool(settings, SERVICE, size=4)
    await pool.execute("CREATE TABLE IF NOT EXISTS probe_state (n int PRIMARY KEY)")
    await pool.execute("TRUNCATE probe_state; DELETE FROM outbox")
    yield pool
    await pool.close()


async def emit_probes(pool, numbers) -> None:
    async with UnitOfWork(pool) as uow:
        for n in numbers:
            await uow.conn.execute("INSERT INTO probe_state (n) VALUES ($1)", n)
            uow.emit(ProbeHappened(n=n), subject=str(n), area_code=AREA)


async def stream_ids(js, start_seq: int) -> list[str]:
    """Nats-Msg-Id headers of the PROJECTS messages after start_seq."""
    info = await js.stream_info("PROJECTS")
    ids = []
    for seq in range(start_seq + 1, info.state.last_seq + 1):
        msg = await js.get_msg("PROJECTS", seq)
        ids.append(msg.headers["Nats-Msg-Id"])
    return ids


async def pending(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")


def count_passes(relay: OutboxRelay) -> dict[str, int]:
    """Counts the relay's publish passes as they end, and those that raised (NATS away): the sign
    that the relay has looked at the outbox since, where a test would otherwise sleep."""
    counts = {"passes": 0, "failed": 0}
    publish_batch = relay.publish_batch

    async def counted() -> int:
        try:
            return await publish_batch()
        except Exception:
            counts["failed"] += 1
            raise
        finally:
            counts["passes"] += 1

    relay.publish_batch = counted
    return counts


async def test_commit_writes_state_and_outbox_together(pool):
    await emit_probes(pool, [1, 2])
    assert await pool.fetchval("SELECT count(*) FROM probe_state") == 2
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 2


async def test_failure_writes_neither_state_nor_events(pool):
    with pytest.raises(RuntimeError):
        async with UnitOfWork(pool) as uow:
            await uow.conn.execute("INSERT INTO probe_state (n) VALUES (7)")
            uow.emit(ProbeHappened(n=7), subject="7", area_code=AREA)
            raise RuntimeError("business rule refused")
    assert await pool.fetchval("SELECT count(*) FROM probe_state") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_relay_publishes_with_event_id_and_marks_sent_after_puback(pool, js, settings):
    start = (await js.stream_info("PROJECTS")).state.last_seq
    await emit_probes(pool, range(10))
    relay = OutboxRelay(pool, js, lambda: kit_db.connect(settings, SERVICE))
    assert await relay.publish_batch() == 10
    rows = await pool.fetch("SELECT event_id, subject, sent_at FROM outbox ORDER BY id")
    assert all(r["sent_at"] is not None for r in rows)
    assert await stream_ids(js, start) == [str(r["event_id"]) for r in rows]
    assert rows[0]["subject"] == event_filter(ProbeHappened, AREA)


async def test_two_relay_replicas_publish_each_event_once(pool, js, settings):
    start = (await js.stream_info("PROJECTS")).state.last_seq
    relays = [OutboxRelay(pool, js, lambda: kit_db.connect(settings, SERVICE), batch=50) for _ in range(2)]
    tasks = [asyncio.create_task(r.run()) for r in relays]

    async def all_sent() -> bool:
        return not await pending(pool)

    try:
        await emit_probes(pool, range(1000))
        await eventually(all_sent, "the two relays to publish the 1000 rows", 10)
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)
    assert sum(r.published for r in relays) == 1000  # claimed rows are never published twice
    assert len(set(await stream_ids(js, start))) == 1000
    assert all(r.published > 0 for r in relays), "both replicas should have taken a share"


async def test_relay_wakes_on_notify_not_only_on_sweep(pool, js, settings):
    relay = OutboxRelay(pool, js, lambda: kit_db.connect(settings, SERVICE), sweep_interval=60)
    counts = count_passes(relay)
    task = asyncio.create_task(relay.run())

    async def idle() -> bool:  # it listens from before its first pass, which found nothing
        return counts["passes"] >= 1

    async def published() -> int:
        return relay.published

    try:
        await eventually(idle, "the relay's first pass (then it idles, waiting up to a minute)", 10)
        await emit_probes(pool, [42])
        await eventually(published, "a NOTIFY at commit to wake the idle relay (its sweep is a minute away)", 5)
    finally:
        relay.stop()
        await task
    assert relay.published == 1, "a NOTIFY at commit must wake the idle relay"


async def test_relay_survives_nats_outage(pool, settings):
    """NATS down: rows stay pending, nothing is lost; NATS back: everything goes out."""
    home = Path(tempfile.mkdtemp(prefix="wushe-nats-", dir="/tmp"))
    private = Settings(home=home, nats_url=f"nats://127.0.0.1:{free_port()}")
    server = start_nats(private)
    nc = await nats.connect(private.nats_url)
    from kit.bus import ensure_streams

    await ensure_streams(nc.jetstream())
    await nc.close()
    broker = create_broker(private.nats_url, "test-relay")
    await broker.connect()
    relay = OutboxRelay(
        pool,
        broker.connection.jetstream(),
        lambda: kit_db.connect(settings, SERVICE),
        sweep_interval=0.2,
        max_backoff=1.0,
        ack_timeout=1.0,
    )
    counts = count_passes(relay)
    task = asyncio.create_task(relay.run())
    try:
        await emit_probes(pool, range(5))
        await _until(lambda: pending(pool), 0)
        stop_process(server)  # outage
        await emit_probes(pool, range(5, 25))

        async def tried_twice() -> bool:  # a pass fails only on rows it could not publish: these 20
            return counts["failed"] >= 2

        await eventually(tried_twice, "two failed passes of the relay over the 20 rows", 15)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 20
        server = start_nats(private)  # same port, same store
        await _until(lambda: pending(pool), 0, timeout=30)
        check = await nats.connect(private.nats_url)
        info = await check.jetstream().stream_info("PROJECTS")
        await check.close()
        assert info.state.messages == 25  # dedupe by Nats-Msg-Id absorbs any re-publish
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await broker.stop()
        stop_process(server)
        shutil.rmtree(home, ignore_errors=True)


async def _until(fetch, expected, timeout: float = 10.0) -> None:
    async def reached() -> bool:
        return await fetch() == expected

    await eventually(reached, f"{expected} pending rows", timeout)


async def insert_unpublishable(pool, subject: str = "nowhere.no_stream.v1") -> int:
    """A row no stream takes (what a renamed subject or a hand-made row would leave behind)."""
    return await pool.fetchval(
        """INSERT INTO outbox (event_id, subject, payload) VALUES (gen_random_uuid(), $1, '{}') RETURNING id""", subject
    )


async def test_an_unpublishable_row_is_parked_and_the_rows_behind_it_flow(pool, js, settings, capsys):
    from deploy import outbox as outbox_cli

    start = (await js.stream_info("PROJECTS")).state.last_seq
    stuck = await insert_unpublishable(pool)  # claimed first on every pass: it must hold nothing back
    await emit_probes(pool, range(5))
    relay = OutboxRelay(pool, js, lambda: kit_db.connect(settings, SERVICE), max_attempts=3, retry_base_s=0.05)

    async def parked_after_a_pass() -> bool:
        await relay.publish_batch()
        return await pool.fetchval("SELECT parked_at IS NOT NULL FROM outbox WHERE id = $1", stuck)

    await eventually(parked_after_a_pass, "the unpublishable row to be parked after 3 attempts", 4)
    row = await pool.fetchrow("SELECT attempts, last_error, parked_at, sent_at FROM outbox WHERE id = $1", stuck)
    assert row["attempts"] == 3 and row["parked_at"] is not None and row["sent_at"] is None
    assert "NoStreamResponse" in row["last_error"]
    assert len(await stream_ids(js, start)) == 5  # every row behind it was published, once
    assert await relay.publish_batch() == 0  # a parked row is no longer claimed

    assert await outbox_cli.list_(settings, [SERVICE]) == 0
    listed = capsys.readouterr().out
    assert "搁置 1 条" in listed and f"#{stuck}" in listed and "NoStreamResponse" in listed

    # the operator fixes the cause (here: the row's subject) and re-queues it: it is published once
    await pool.execute("UPDATE outbox SET subject = $1 WHERE id = $2", event_filter(ProbeHappened, AREA), stuck)
    assert await outbox_cli.retry(settings, SERVICE, []) == 0
    assert await relay.publish_batch() == 1
    assert len(await stream_ids(js, start)) == 6
    assert await pool.fetchval("SELECT sent_at IS NOT NULL FROM outbox WHERE id = $1", stuck)


async def test_a_nats_outage_counts_no_attempt(pool, settings):
    """Publishes that fail because NATS is away leave the rows pending with no attempt counted."""
    from kit.bus import ensure_streams
    from kit.failures import is_transient

    home = Path(tempfile.mkdtemp(prefix="wushe-attempts-", dir="/tmp"))
    private = Settings(home=home, nats_url=f"nats://127.0.0.1:{free_port()}")
    server = start_nats(private)
    nc = await nats.connect(private.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        await ensure_streams(nc.jetstream())
        stop_process(server)
        await emit_probes(pool, range(3))
        relay = OutboxRelay(
            pool, nc.jetstream(), lambda: kit_db.connect(settings, SERVICE), max_attempts=1, ack_timeout=0.5
        )
        for _ in range(3):
            with pytest.raises(Exception) as raised:
                await relay.publish_batch()
            assert is_transient(raised.value), raised.value
        rows = await pool.fetch("SELECT attempts, parked_at, sent_at FROM outbox")
        assert [(r["attempts"], r["parked_at"], r["sent_at"]) for r in rows] == [(0, None, None)] * 3
    finally:
        with contextlib.suppress(OSError):  # closing while it reconnects to a server that is gone
            await nc.close()
        if server.poll() is None:
            stop_process(server)
        shutil.rmtree(home, ignore_errors=True)


async def test_retention_prunes_only_what_is_older_than_the_horizon(pool):
    from datetime import timedelta

    from kit.retention import prune

    await pool.execute("DELETE FROM inbox WHERE consumer LIKE 'retention-%'")
    await pool.execute("DELETE FROM idempotency_keys WHERE caller LIKE 'retention-%'")
    await emit_probes(pool, range(7))
    await pool.execute(
        "UPDATE outbox SET sent_at = now() - interval '40 days' WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 5)"
    )
    await pool.execute("""INSERT INTO inbox (consumer, event_id, processed_at)
                          SELECT 'retention-' || (g % 2), gen_random_uuid(),
                                 now() - make_interval(days => CASE WHEN g <= 25 THEN 40 ELSE 1 END)
                          FROM generate_series(1, 30) g""")
    await pool.execute("""INSERT INTO idempotency_keys (caller, key, request_hash, created_at)
                          SELECT 'retention-c', 'k' || g, 'h', now() - make_interval(days => 40 - g)
                          FROM generate_series(1, 20) g""")  # 10 older than 30 days
    deleted = await prune(pool, timedelta(days=30), batch=4)  # several batches per table
    assert deleted["outbox"] == 5 and deleted["idempotency_keys"] == 10
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer LIKE 'retention-%'") == 5
    # pending rows are never pruned, however old
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 2
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE caller = 'retention-c'") == 10
