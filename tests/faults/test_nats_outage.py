"""NATS goes away while residents keep raising needs: nothing is lost, nothing is applied twice."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import nats
import pytest
from support.faults import CONSUMER, raise_needs
from support.stack import Stack
from support.waiting import eventually

from deploy.servers import free_port, start_nats, stop_process
from kit.bus import ensure_streams
from kit.settings import Settings

OUTAGE_S = 15


@pytest.fixture
async def private_nats(settings: Settings):
    """A nats-server of this test's own, so stopping it disturbs no other test."""
    home = Path(tempfile.mkdtemp(prefix="wushe-outage-", dir="/tmp"))
    private = Settings(home=home, nats_url=f"nats://127.0.0.1:{free_port()}")
    servers = [start_nats(private)]
    nc = await nats.connect(private.nats_url)
    await ensure_streams(nc.jetstream())
    await nc.close()
    yield private, servers
    for server in servers:
        stop_process(server)
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
async def test_needs_raised_during_a_nats_outage_arrive_once_it_is_back(settings, private_nats, token, db):
    private, servers = private_nats
    stack = Stack(settings.model_copy(update={"nats_url": private.nats_url}))
    stack.start("needs", "volunteers")
    needs_db, volunteers_db = await db("needs"), await db("volunteers")

    async def recorded(ids) -> bool:
        return await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE need_id = ANY($1::uuid[])", ids) == len(
            ids
        )

    try:
        before = await raise_needs(stack.url("needs"), token(), 50, concurrency=4)
        await eventually(lambda: recorded(before), "needs raised before the outage", 30)

        stop_process(servers.pop())
        during = await raise_needs(stack.url("needs"), token(), 100, concurrency=4)  # writes still succeed
        await asyncio.sleep(OUTAGE_S)  # the scenario: NATS stays away for OUTAGE_S while the relay keeps trying
        assert await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 100

        servers.append(start_nats(private))  # same port, same store
        everything = before + during
        await eventually(lambda: recorded(everything), "needs raised during the outage", 90)
        events = [
            r["event_id"]
            for r in await volunteers_db.fetch(
                "SELECT event_id FROM demands WHERE need_id = ANY($1::uuid[])", everything
            )
        ]
        assert (
            await volunteers_db.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", CONSUMER, events
            )
            == 150
        )
    finally:
        stack.stop_all()
