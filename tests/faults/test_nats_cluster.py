"""A 3-node NATS cluster (streams R3, every write fsynced) loses the NEEDS stream's leader to
kill -9 while residents keep raising needs, gets it back, then restarts the other two nodes one by
one: every accepted need reaches the volunteers service exactly once, the stream holds each need's
NeedRaised once, and nothing is dead-lettered. This module's area: 赤城县 (130732), no other test's."""

from __future__ import annotations

import asyncio
import json

import nats.errors
import nats.js.errors
import pytest
from support.cluster import PrivateCluster
from support.faults import CONSUMER, NEED, applied_by, demands_of, raised_events
from support.private_stack import NeedLoad, Stopwatch, report
from support.stack import Stack
from support.waiting import eventually

from contracts.events.needs import NeedRaised
from contracts.subjects import event_filter
from kit import db as kit_db

COUNTY, AREA = "130732", "130732100001"  # 张家口 赤城县 赤城镇
MAX_NEEDS = 4_000  # the load stops once the last node is back; this bounds it if the faults run slow


@pytest.fixture
def private(settings):
    servers = PrivateCluster.start(settings)
    yield servers
    servers.close()


@pytest.mark.slow
async def test_losing_the_stream_leader_and_rolling_restarts_lose_and_duplicate_nothing(private, token):
    cluster = private.cluster
    stack = Stack(private.settings)  # WUSHE_NATS_URL: every node, comma-joined
    stack.start("needs", "volunteers")
    nc = await private.connect()
    js = nc.jetstream()
    dlq_before = (await js.stream_info("DLQ")).state.messages
    load = NeedLoad(
        stack.url("needs"), token(area=COUNTY), concurrency=4, limit=MAX_NEEDS, body={**NEED, "area_code": AREA}
    )
    loading = asyncio.create_task(load.run())
    volunteers_db = None
    try:
        await eventually(lambda: _at_least(load, 300), "300 needs raised before the leader is lost", 60)
        leader = cluster.leader_of("NEEDS")
        stored_at_loss, accepted_at_loss = await _stored(js), len(load.created)
        cluster.kill(leader)
        lost = Stopwatch()
        await eventually(lambda: _new_leader(cluster, leader), "a new NEEDS leader", 30)
        elected_s = lost.seconds()
        # writes never waited for NATS (the outbox keeps them); what the loss stops is publishing
        await eventually(lambda: _stored_more_than(js, stored_at_loss), "events published to the new leader", 60)
        publishing_again_s = lost.seconds()
        await asyncio.to_thread(cluster.start, leader)  # back with its store; catches up before it counts
        for i in (i for i in range(len(cluster.nodes)) if i != leader):
            await asyncio.to_thread(cluster.stop_node, i)
            await asyncio.to_thread(cluster.start, i)
        restarted, accepted_after_restarts = Stopwatch(), len(load.created)
        load.stop()  # every fault fell mid-load
        await loading
        created = load.created

        volunteers_db = await kit_db.connect(private.settings, "volunteers")

        async def all_applied():
            return await demands_of(volunteers_db, created) == len(created)

        await eventually(all_applied, "every accepted need in the volunteers service", 90)
        recovered_s = restarted.seconds()
        events = await raised_events(volunteers_db, created)
        inbox = await applied_by(volunteers_db, CONSUMER, events)
        in_stream = await _raised_in_stream(js)
        dead = (await js.stream_info("DLQ")).state.messages - dlq_before
        report(
            "nats_cluster_leader_kill",
            needs_accepted=len(created),
            applied_unanswered=load.applied_unanswered,
            refused_attempts=load.failures,
            applied_by_volunteers=inbox,
            need_raised_in_stream=len(in_stream),
            distinct_in_stream=len(set(in_stream)),
            dead_lettered=dead,
            lost=len(created) - inbox,
            duplicated=len(in_stream) - len(set(in_stream)),
            leader_elected_s=elected_s,
            publishing_again_s=publishing_again_s,
            accepted_at_leader_loss=accepted_at_loss,
            accepted_when_restarts_done=accepted_after_restarts,
            recovered_after_restarts_s=recovered_s,
        )
        assert len(set(created)) == len(created) and inbox == len(events) == len(created)
        assert set(created) <= set(in_stream)  # every accepted need's NeedRaised is in the stream …
        assert len(in_stream) == len(set(in_stream)) == len(created) + load.applied_unanswered  # … once
        assert dead == 0
    finally:
        load.stop()
        await loading
        if volunteers_db is not None:
            await volunteers_db.close()
        await nc.close()
        stack.stop_all()


async def _at_least(load: NeedLoad, n: int) -> bool:
    return len(load.created) >= n


async def _stored(js) -> int:
    return (await js.stream_info("NEEDS")).state.messages


async def _stored_more_than(js, count: int) -> bool:
    try:
        return await _stored(js) > count
    except (nats.errors.TimeoutError, nats.js.errors.Error):  # no leader to answer yet
        return False


async def _new_leader(cluster, old: int) -> bool:
    leader = await asyncio.to_thread(cluster.leader_of, "NEEDS")
    return leader is not None and leader != old


async def _raised_in_stream(js) -> list[str]:
    """The need ids of every NeedRaised the NEEDS stream holds for this module's county."""
    subject = event_filter(NeedRaised, AREA)
    expected = sum((await js.stream_info("NEEDS", subjects_filter=subject)).state.subjects.values())
    sub = await js.pull_subscribe(subject, stream="NEEDS")  # ephemeral: gone when unsubscribed
    ids: list[str] = []
    try:
        while len(ids) < expected:
            for msg in await sub.fetch(min(500, expected - len(ids)), timeout=10):
                ids.append(json.loads(msg.data)["data"]["need_id"])
                await msg.ack()
    finally:
        await sub.unsubscribe()
    return ids
