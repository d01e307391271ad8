"""The relay is killed and stays down longer than JetStream's duplicate window: the rows it had
published but not yet marked sent go out a second time, JetStream no longer recognizes them, and
only the consumers' inboxes keep the effects exact."""

from __future__ import annotations

import asyncio
import signal

import nats
import pytest
from support.faults import CONSUMER, HOLDERS, applied_by, demands_of, raise_needs, raised_events
from support.private_stack import PrivateServers, Stopwatch, report
from support.stack import Stack
from support.waiting import eventually

from kit import db as kit_db
from kit.bus import ensure_streams

WINDOW_S = 3.0  # the streams' duplicate window here (production: 2 minutes)
UNMARKED = 50  # rows the killed relay had published without marking them sent


@pytest.fixture
def private(settings):
    servers = PrivateServers.start(settings)
    yield servers
    servers.close()


@pytest.mark.slow
async def test_relay_down_longer_than_the_duplicate_window_duplicates_no_effect(private, token):
    nc = await nats.connect(private.settings.nats_url)
    js = nc.jetstream()
    await ensure_streams(js, duplicate_window_s=WINDOW_S)
    stack = Stack(private.settings)
    stack.start("needs", WUSHE_RELAY_IN_PROCESS="false")
    stack.start("volunteers", "charity")
    needs_db, volunteers_db, charity_db = [
        await kit_db.connect(private.settings, s) for s in ("needs", "volunteers", "charity")
    ]
    relay = stack.spawn("relay", "needs", log_name="relay-outage-1")
    try:
        first = await raise_needs(stack.url("needs"), token(), 300)
        await eventually(lambda: _all_sent(needs_db), "the relay to publish the first needs", 60)
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        # What a crash between the PubAck and the commit leaves: published rows still pending.
        await needs_db.execute(
            """UPDATE outbox SET sent_at = NULL WHERE id IN (
                                      SELECT id FROM outbox WHERE subject LIKE 'evt.needs.need_raised.%'
                                      ORDER BY id DESC LIMIT $1)""",
            UNMARKED,
        )
        second = await raise_needs(stack.url("needs"), token(), 200)  # accepted while no relay runs
        await asyncio.sleep(WINDOW_S + 1)  # the outage outlasts the duplicate window
        relay = stack.spawn("relay", "needs", log_name="relay-outage-2")
        back = Stopwatch()
        created = first + second

        async def applied() -> int:
            return await demands_of(volunteers_db, created)

        await eventually(lambda: _equals(applied, len(created)), "every need in the volunteers service", 120)
        await eventually(lambda: _drained(js, CONSUMER), "the volunteers consumer to drain", 30)
        events = await raised_events(volunteers_db, created)
        copies = await _copies_on_stream(js, {str(e) for e in events})
        inbox, holders = (
            await applied_by(volunteers_db, CONSUMER, events),
            await applied_by(charity_db, HOLDERS, events),
        )
        twice_on_stream = sum(1 for n in copies.values() if n > 1)
        report(
            "relay_down_past_duplicate_window",
            needs_accepted=len(created),
            published_twice=twice_on_stream,
            applied_by_volunteers=inbox,
            applied_by_charity=holders,
            lost=len(created) - inbox,
            duplicated=inbox - len(set(events)),
            recovered_s=back.seconds(),
        )
        assert twice_on_stream >= UNMARKED  # JetStream kept the second copies: the window had passed
        assert inbox == holders == len(created) == len(set(events))
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(10)
        for conn in (needs_db, volunteers_db, charity_db):
            await conn.close()
        await nc.close()
        stack.stop_all()


async def _all_sent(needs_db) -> bool:
    return await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def _equals(count, n: int) -> bool:
    return await count() == n


async def _drained(js, durable: str) -> bool:
    info = await js.consumer_info("NEEDS", durable)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def _copies_on_stream(js, event_ids: set[str]) -> dict[str, int]:
    """How many times each event id is on the NEEDS stream."""
    copies: dict[str, int] = {}
    last = (await js.stream_info("NEEDS")).state.last_seq
    for seq in range(1, last + 1):
        msg_id = (await js.get_msg("NEEDS", seq)).headers.get("Nats-Msg-Id")
        if msg_id in event_ids:
            copies[msg_id] = copies.get(msg_id, 0) + 1
    return copies
