"""Provisioning a cluster whose streams are still R1 (as a single node left them) makes them R3 and
returns only once the new copies hold the data, so losing the node that held the only copy right
afterwards loses nothing; provisioning again changes nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
import pytest
from support.waiting import eventually

from deploy.provision import provision_streams
from deploy.servers import loopback_urls, start_nats_cluster
from kit.settings import Settings

MESSAGES = 2_000  # enough that new copies are still catching up when ensure_streams returns
SUBJECT = "evt.needs.provision_probe.v1.13.07.32"


@pytest.fixture
def cluster():
    home = Path(tempfile.mkdtemp(prefix="wushe-provision-", dir="/tmp"))
    cluster = start_nats_cluster(Settings(home=home, nats_url=loopback_urls(3)), 3)
    yield cluster
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
async def test_r1_streams_reprovisioned_r3_survive_losing_their_old_node(cluster):
    settings = Settings(nats_url=cluster.url, nats_cluster_size=1)  # streams as one node leaves them: R1
    await provision_streams(settings, log=lambda *_: None)
    nc = await nats.connect(settings.nats_servers, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        js = nc.jetstream()
        for _ in range(MESSAGES):
            await js.publish(SUBJECT, b"x" * 512)
        only_copy = cluster.leader_of("NEEDS")
        assert (await js.stream_info("NEEDS")).config.num_replicas == 1

        three = settings.model_copy(update={"nats_cluster_size": 3})
        await provision_streams(three, log=lambda *_: None)
        info = await js.stream_info("NEEDS")
        assert info.config.num_replicas == 3 and all(peer.current for peer in info.cluster.replicas)
        await provision_streams(three, log=lambda *_: None)  # again: same streams, nothing fails
        assert (await js.stream_info("NEEDS")).config == info.config

        cluster.kill(only_copy)

        async def served_whole() -> bool:
            try:
                now = await js.stream_info("NEEDS")
            except (nats.errors.TimeoutError, nats.js.errors.Error):  # electing a leader
                return False
            return now.state.messages == MESSAGES and now.cluster.leader != cluster.nodes[only_copy].name

        await eventually(served_whole, "NEEDS served whole by a new leader", 30)
    finally:
        await nc.close()


@pytest.mark.slow
async def test_a_whole_cluster_restarted_is_provisioned_again(cluster):
    """`wushe up` a second time: every node comes back on its store, and provisioning finds its
    streams led again rather than timing out on them."""
    settings = Settings(nats_url=cluster.url, nats_cluster_size=3)
    await provision_streams(settings, log=lambda *_: None)
    cluster.stop()
    cluster.start()
    said = []
    await provision_streams(settings, log=said.append)
    assert said == ["streams ready (R3): NEEDS, VOLUNTEERS, PROJECTS, CHARITY, PARTY, EXCHANGE, PUBLIC, AUDIT, DLQ"]
