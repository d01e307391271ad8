"""Unit of work and outbox relay against real PostgreSQL and nats-server."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import nats
import pytest
from probe import ProbeHappened

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
    await emit_probes(pool, range(1000))
    for _ in range(200):
        if not await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
            break
        await asyncio.sleep(0.05)
    for r in relays:
        r.stop()
    await asyncio.gather(*tasks)
    assert sum(r.published for r in relays) == 1000  # claimed rows are never published twice
    assert len(set(await stream_ids(js, start))) == 1000
    assert all(r.published > 0 for r in relays), "both replicas should have taken a share"


async def test_relay_wakes_on_notify_not_only_on_sweep(pool, js, settings):
    relay = OutboxRelay(pool, js, lambda: kit_db.connect(settings, SERVICE), sweep_interval=60)
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.3)  # the relay is now idle, waiting up to a minute
    await emit_probes(pool, [42])
    for _ in range(100):
        if relay.published:
            break
        await asyncio.sleep(0.05)
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
    relay = OutboxRelay(pool, broker.connection.jetstream(), lambda: kit_db.connect(settings, SERVICE),
                        sweep_interval=0.2, max_backoff=1.0, ack_timeout=1.0)
    task = asyncio.create_task(relay.run())
    try:
        await emit_probes(pool, range(5))
        await _until(lambda: pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 0)
        stop_process(server)  # outage
        await emit_probes(pool, range(5, 25))
        await asyncio.sleep(3)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 20
        server = start_nats(private)  # same port, same store
        await _until(lambda: pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 0, timeout=30)
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
    for _ in range(int(timeout / 0.05)):
        if await fetch() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {await fetch()} after {timeout}s, expected {expected}")
