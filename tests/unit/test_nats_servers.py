"""nats-server from a generated config: JetStream fsyncs every write (`sync_interval: always`), on
one node and on a loopback cluster that elects a JetStream meta leader and leads R3 streams."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nats
import pytest

from deploy.provision import stream_replicas
from deploy.servers import NatsNode, free_port, loopback_urls, nats_config, nats_port, start_nats_cluster, stop_nats
from kit.bus import ensure_streams
from kit.settings import Settings


@pytest.fixture
def home():
    path = Path(tempfile.mkdtemp(prefix="wushe-nats-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def private(home: Path, **overrides) -> Settings:
    return Settings(home=home, nats_url=f"nats://127.0.0.1:{free_port()}", **overrides)


def test_a_single_node_syncs_every_write(home):
    settings = private(home)
    single = start_nats_cluster(settings, 1)  # what start_nats runs
    try:
        jetstream = single.nodes[0].monitor("/varz")[1]["jetstream"]["config"]
        assert jetstream["sync_always"] is True
        assert jetstream["store_dir"] == str(settings.path("nats", "jetstream"))  # the store `-sd` used: data kept
    finally:
        stop_nats(single)


async def test_a_cluster_elects_a_leader_and_replicates_streams_over_comma_joined_urls(home):
    cluster = start_nats_cluster(Settings(home=home, nats_url=loopback_urls(3)), size=3)
    try:
        for node in cluster.nodes:
            assert node.monitor("/varz")[1]["jetstream"]["config"]["sync_always"] is True
            meta = node.monitor("/jsz")[1]["meta_cluster"]
            assert meta["cluster_size"] == 3 and meta["leader"] in {n.name for n in cluster.nodes}
        assert cluster.url.count(",") == 2
        nc = await nats.connect(cluster.url.split(","))
        try:
            await ensure_streams(nc.jetstream(), replicas=3)
            await ensure_streams(nc.jetstream(), replicas=3)  # provisioning again updates, it does not fail
            info = await nc.jetstream().stream_info("NEEDS")
        finally:
            await nc.close()
        assert info.config.num_replicas == 3 and len(info.cluster.replicas) == 2
        assert cluster.nodes[cluster.leader_of("NEEDS")].name == info.cluster.leader
    finally:
        stop_nats(cluster)
    assert not any(node.running for node in cluster.nodes)


def test_streams_get_one_replica_per_node_three_at_most(home):
    assert [stream_replicas(private(home, nats_cluster_size=n)) for n in (1, 2, 3, 5)] == [1, 2, 3, 3]


async def test_a_home_from_before_the_accounts_keeps_its_streams(home):
    """Streams written by a node of one open account (`$G`) are the platform's after an upgrade."""
    settings = private(home)
    node = NatsNode("nats", nats_port(settings), free_port(), home / "old.conf", home / "old.log")
    store = settings.path("nats")
    node.conf.write_text(nats_config(name="nats", client_port=node.client_port, http_port=node.http_port, store=store))
    node.start()
    try:
        nc = await nats.connect(node.url)
        await nc.jetstream().add_stream(name="NEEDS", subjects=["evt.needs.>"])
        await nc.jetstream().publish("evt.needs.need_raised.v1.13.01.02", b"kept")
        await nc.close()
    finally:
        node.stop()
    upgraded = start_nats_cluster(settings, 1)
    try:
        nc = await nats.connect(upgraded.url)
        assert (await nc.jetstream().get_last_msg("NEEDS", "evt.needs.>")).data == b"kept"
        await nc.close()
    finally:
        stop_nats(upgraded)
