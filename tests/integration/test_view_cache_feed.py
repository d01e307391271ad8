"""The gateway's change feed (services/gateway/cache.py) on a nats-server of its own: it hears each
service's events and change notices, and while NATS is away it says it is not listening (so the
views keep nothing), until it is back and its subscriptions with it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nats
import pytest
from support.waiting import eventually

from deploy.servers import free_port, start_nats, stop_process
from kit.settings import Settings
from services.gateway.cache import ChangeFeed, Generations
from services.gateway.upstream import UPSTREAMS


@pytest.fixture
def private_nats():
    home = Path(tempfile.mkdtemp(prefix="wushe-feed-", dir="/tmp"))
    private = Settings(home=home, nats_url=f"nats://127.0.0.1:{free_port()}")
    servers = [start_nats(private)]
    yield private, servers
    for server in servers:
        stop_process(server)
    shutil.rmtree(home, ignore_errors=True)


async def publish(url: str, *subjects: str) -> None:
    nc = await nats.connect(url)
    for subject in subjects:
        await nc.publish(subject, b"{}")
    await nc.flush()
    await nc.close()


async def test_the_feed_hears_each_service_and_stops_listening_while_nats_is_away(private_nats):
    private, servers = private_nats
    generations = Generations(UPSTREAMS)
    feed = ChangeFeed(private.nats_servers, generations)
    feed.start()

    async def listening() -> bool:
        return generations.listening

    async def deaf() -> bool:
        return not generations.listening

    try:
        await eventually(listening, "the feed listening")
        before = generations.now()
        await publish(private.nats_url, "changed.volunteers", "evt.party.whistle_blown.v1.13.01.02")

        async def heard() -> bool:
            now = generations.now()
            return now["volunteers"] > before["volunteers"] and now["party"] > before["party"]

        await eventually(heard, "a consumer's notice and an event, each of its service")
        assert generations.of["needs"] == before["needs"] and generations.of["charity"] == before["charity"]

        stop_process(servers.pop())
        await eventually(deaf, "the feed saying it cannot hear while NATS is away")
        assert generations.now() is None
        servers.append(start_nats(private))  # same port
        await eventually(listening, "the feed listening again once NATS is back")
        again = generations.now()
        await publish(private.nats_url, "changed.needs")

        async def heard_again() -> bool:
            return generations.of["needs"] > again["needs"]

        await eventually(heard_again, "a notice after the reconnection (the subscriptions came back)")
    finally:
        await feed.stop()
