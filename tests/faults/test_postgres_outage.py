"""PostgreSQL goes away for 90 s while residents keep raising needs: the consumers pause instead of
dead-lettering, /readyz says why, and once the database is back every need that was accepted
reaches every consumer exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import httpx
import nats
import pytest
from support.faults import CONSUMER, HOLDERS, applied_by, demands_of, raised_events
from support.private_stack import NeedLoad, PrivateServers, Stopwatch, report
from support.stack import Stack
from support.waiting import eventually

from kit import db as kit_db

OUTAGE_S = 90


@pytest.fixture
def private(settings):
    servers = PrivateServers.start(settings)
    yield servers
    servers.close()


async def readiness(url: str) -> tuple[int, str]:
    async with httpx.AsyncClient(timeout=5) as client:
        reply = await client.get(f"{url}/readyz")
        return reply.status_code, reply.text


@pytest.mark.slow
async def test_postgres_away_for_90_s_under_load_dead_letters_nothing(private, token):
    stack = Stack(private.settings)
    stack.start("needs", "volunteers", "charity")  # charity keeps the holders it learns from NeedRaised
    nc = await nats.connect(private.settings.nats_url)
    js = nc.jetstream()
    dlq_before = (await js.stream_info("DLQ")).state.messages
    load = NeedLoad(stack.url("needs"), token())
    loading = asyncio.create_task(load.run())
    conns = []
    try:
        await eventually(lambda: _at_least(load, 300), "300 needs raised before the outage", 60)
        # a backlog for the volunteers consumer when the database goes: it meets the outage mid-stream
        volunteers = stack.procs["volunteers"].pid
        os.kill(volunteers, signal.SIGSTOP)
        backlog = len(load.created) + 100
        await eventually(lambda: _at_least(load, backlog), "a backlog of 100 needs", 60)
        await asyncio.to_thread(private.stop_postgres)
        os.kill(volunteers, signal.SIGCONT)
        outage = Stopwatch()
        accepted_before = len(load.created)

        async def says_why():
            status, body = await readiness(stack.url("volunteers"))
            return status == 503 and "PostgreSQL" in body and f"{CONSUMER}: PostgreSQL" in body

        await eventually(says_why, "/readyz naming the database and the paused consumer", 30)
        await asyncio.sleep(OUTAGE_S - outage.seconds())  # the scenario: the database stays away for 90 s
        accepted_during = len(load.created) - accepted_before
        await asyncio.to_thread(private.start_postgres)
        back = Stopwatch()
        await eventually(lambda: _at_least(load, accepted_before + 200), "needs accepted again", 60)
        load.stop()
        await loading
        created = load.created

        conns += [await kit_db.connect(private.settings, s) for s in ("volunteers", "charity")]
        volunteers_db, charity_db = conns

        async def all_applied():
            return await demands_of(volunteers_db, created) == len(created)

        async def charity_applied():
            return await applied_by(charity_db, HOLDERS, await raised_events(volunteers_db, created)) == len(created)

        await eventually(all_applied, "every accepted need in the volunteers service", 180)
        await eventually(charity_applied, "every accepted need in the charity service", 120)
        recovered_s = back.seconds()
        events = await raised_events(volunteers_db, created)
        inbox, holders = (
            await applied_by(volunteers_db, CONSUMER, events),
            await applied_by(charity_db, HOLDERS, events),
        )
        dead = (await js.stream_info("DLQ")).state.messages - dlq_before
        await eventually(lambda: _ready(stack.url("volunteers")), "volunteers ready again", 30)
        report(
            "postgres_outage_90s",
            needs_accepted=len(created),
            accepted_during_outage=accepted_during,
            refused_while_away=load.failures,
            applied_by_volunteers=inbox,
            applied_by_charity=holders,
            dead_lettered=dead,
            lost=len(created) - inbox,
            duplicated=inbox - len(set(events)),
            outage_s=OUTAGE_S,
            recovered_s=recovered_s,
            internal_errors=_unhandled(private.settings),
        )
        assert accepted_during == 0  # nothing is accepted that cannot be stored
        assert load.failures > 0 and load.refusals == {503}  # the clients saw the outage and were told to retry
        assert inbox == holders == len(created) == len(set(created))
        assert dead == 0
    finally:
        load.stop()
        await loading
        for conn in conns:
            await conn.close()
        await nc.close()
        stack.stop_all()


async def _at_least(load: NeedLoad, n: int) -> bool:
    return len(load.created) >= n


async def _ready(url: str) -> bool:
    return (await readiness(url))[0] == 200


def _unhandled(settings) -> list[str]:
    """The last lines of the needs service's unhandled-error tracebacks (a 500's cause), for the report."""
    causes = []
    for log in settings.path("log").glob("needs-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "unhandled error" in line or "Exception in ASGI" in line:
                causes.append(_traceback_tail(line))
    return causes[:5]


def _traceback_tail(line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return line[-1500:]
    return "\n".join(record.get("exc", record.get("msg", "")).splitlines()[-12:])
