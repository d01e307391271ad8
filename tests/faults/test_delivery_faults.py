"""Fault tests of the need pipeline with real processes: 0 lost, 0 duplicated effects."""

from __future__ import annotations

import asyncio
import signal

import orjson
import pytest
from support.faults import CONSUMER, raise_needs
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.needs import NeedRaised
from contracts.subjects import event_subject

COMMUNITY = "130102001001"


@pytest.mark.slow
async def test_kill_9_relay_while_2000_needs_are_raised(stack, token, db):
    """The needs service runs without its in-process relay; a stand-alone relay is killed with
    SIGKILL mid-stream and restarted: every need reaches volunteers exactly once."""
    stack.start("needs", WUSHE_RELAY_IN_PROCESS="false")
    stack.start("volunteers")
    relay = stack.spawn("relay", "needs", log_name="relay-needs-1")
    needs_db, volunteers_db = await db("needs"), await db("volunteers")
    sent_before = await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
    posting = asyncio.create_task(raise_needs(stack.url("needs"), token(), 2000))

    async def relay_has_sent_some():
        return await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") - sent_before >= 300

    await eventually(relay_has_sent_some, "the relay to publish 300 events", 60)
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    killed_at = await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") - sent_before
    last_row = await needs_db.fetchval("SELECT coalesce(max(id), 0) FROM outbox")

    async def piled_up() -> bool:  # needs keep arriving while no relay runs: they wait in the outbox
        return posting.done() or await needs_db.fetchval("SELECT count(*) FROM outbox WHERE id > $1", last_row) >= 100

    await eventually(piled_up, "100 more needs raised while no relay runs", 60)
    relay = stack.spawn("relay", "needs", log_name="relay-needs-2")
    try:
        ids = await posting
        assert len(ids) == 2000 and killed_at < 2000

        async def all_recorded():
            return (
                await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE need_id = ANY($1::uuid[])", ids)
                == 2000
            )

        await eventually(all_recorded, "every need to reach the volunteers service", 120)
        event_ids = await volunteers_db.fetch("SELECT event_id FROM demands WHERE need_id = ANY($1::uuid[])", ids)
        inbox = await volunteers_db.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
            CONSUMER,
            [r["event_id"] for r in event_ids],
        )
        assert inbox == 2000  # one inbox entry per event: 0 lost, 0 duplicated
        assert await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(10)
        stack.stop_all()


async def test_poison_need_event_is_dead_lettered_and_the_rest_flow(stack, token, db, js):
    stack.start("needs", "volunteers", WUSHE_CONSUMER_MAX_DELIVER="3")
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    poison = wrap(
        NeedRaised(
            need_id=new_id(),
            area_code=COMMUNITY,
            category="meal_aid",
            urgency="routine",
            channel="portal_import",
            resident_ref="x",
            raised_by="portal",
            raised_at="2026-11-26T00:00:00Z",
        ),
        subject="poison",
        area_code=COMMUNITY,
    )
    bad = poison.model_dump(mode="json")
    bad["data"]["category"] = "not-a-category"  # what a broken portal might send
    await js.publish(event_subject(NeedRaised, COMMUNITY), orjson.dumps(bad), headers={"Nats-Msg-Id": str(poison.id)})
    ids = await raise_needs(stack.url("needs"), token(), 20, concurrency=4)
    volunteers_db = await db("volunteers")

    async def behind_processed():
        return await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE need_id = ANY($1::uuid[])", ids) == 20

    await eventually(behind_processed, "the needs behind the poison event", 30)

    async def dead_lettered():
        return (await js.stream_info("DLQ")).state.last_seq > dlq_before

    await eventually(dead_lettered, "the poison event in DLQ", 30)
    letter = await js.get_msg("DLQ", dlq_before + 1)
    assert letter.headers["Wushe-Dlq-Consumer"] == CONSUMER
    assert letter.headers["Wushe-Dlq-Deliveries"] == "3"
    assert "data.category" in letter.headers["Wushe-Dlq-Reason"]
    assert orjson.loads(letter.data)["id"] == str(poison.id)
    stack.stop_all()


async def test_same_need_event_published_twice_has_one_effect(stack, db, js):
    stack.start("volunteers")
    event = wrap(
        NeedRaised(
            need_id=new_id(),
            area_code=COMMUNITY,
            category="health_care",
            urgency="major",
            channel="portal_import",
            resident_ref="r",
            raised_by="portal",
            raised_at="2026-11-26T00:00:00Z",
        ),
        subject="twice",
        area_code=COMMUNITY,
    )
    payload = event.model_dump_json().encode()
    subject = event_subject(NeedRaised, COMMUNITY)
    await js.publish(subject, payload)  # no Nats-Msg-Id: JetStream keeps both copies
    await js.publish(subject, payload)
    volunteers_db = await db("volunteers")

    async def both_delivered():
        info = await js.consumer_info("NEEDS", CONSUMER)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(both_delivered, "both copies to be consumed", 30)
    assert await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE need_id = $1", event.data.need_id) == 1
    assert (
        await volunteers_db.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2", CONSUMER, event.id
        )
        == 1
    )
    stack.stop_all()
