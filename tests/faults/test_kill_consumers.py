"""kill -9 of every consuming service, five times each, while 10,000 needs flow and volunteers serve
some of them (assessment → task → acceptance → check-in/out → verified hours → time credits).

Clients retry what failed with the same Idempotency-Key, as a portal or the console would. At the
end every effect is there exactly once — counted where a duplicate would show: the time-bank
balances, each need's timeline steps, the NeedMatched events — and nothing is in
DLQ. This module's area: 涿鹿县 (130731), where no other test lives."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.faults import HOLDERS, NEED, applied_by, demands_of, raised_events
from support.private_stack import NeedLoad, Stopwatch, report
from support.waiting import eventually

from contracts.areas import subject_tokens
from contracts.values import citizen_id_check_char
from kit import db as kit_db

COUNTY, COMMUNITY = "130731", "130731100001"
CONSUMING = ("needs", "volunteers", "projects", "charity", "party")
KILLS_EACH, NEEDS, SERVED = 5, 10_000, 30
SHANGHAI = ZoneInfo("Asia/Shanghai")


def last_monday_9() -> datetime:
    today = datetime.now(SHANGHAI).date()
    return datetime.combine(today - timedelta(days=today.weekday() or 7), time(9), SHANGHAI)


MONDAY_9 = last_monday_9()
WINDOW = {"start": MONDAY_9.isoformat(), "end": (MONDAY_9 + timedelta(hours=2)).isoformat()}


def citizen_id(serial: int, born: str) -> str:
    first17 = f"{COUNTY}{born}{serial:03d}"
    return first17 + citizen_id_check_char(first17)


class Client:
    """Calls a service until it answers (the service may be dead for a few seconds): a write keeps
    its Idempotency-Key across retries, so it is applied once however often it is sent."""

    def __init__(self, stack, token: str) -> None:
        self.stack, self.auth = stack, {"Authorization": f"Bearer {token}"}
        self.http = httpx.AsyncClient(timeout=10)

    async def call(self, service: str, method: str, path: str, *, auth: dict | None = None, **kw) -> httpx.Response:
        headers = {**(auth or self.auth)}
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())

        async def answered() -> httpx.Response | None:
            try:
                reply = await self.http.request(method, self.stack.url(service) + path, headers=headers, **kw)
            except httpx.TransportError:
                return None
            return reply if reply.status_code < 500 else None

        return await eventually(answered, f"an answer to {method} {path} (the service may be restarting)", 120)

    async def ok(self, service: str, method: str, path: str, *, answer_needed: bool = False, **kw) -> dict | None:
        """The answer, or None for a write that was applied but whose answer was lost (the service
        was killed between its commit and storing the answer: 409 idempotency_applied), unless the
        caller cannot do without it."""
        reply = await self.call(service, method, path, **kw)
        if not answer_needed and reply.status_code == 409 and reply.json().get("rule") == "idempotency_applied":
            return None
        assert reply.status_code in (200, 201), (path, reply.status_code, reply.text)
        return reply.json()


async def serve_one(c: Client, token, i: int) -> dict:
    """A volunteer serves one resident's need for an hour; returns what the checks need."""
    volunteer = await c.ok(
        "volunteers",
        "POST",
        "/volunteers",
        answer_needed=True,
        json={
            "name": "赵志愿",
            "citizen_id": citizen_id(i, "19900101"),
            "phone": f"139{i:08d}",
            "area_code": COMMUNITY,
            "skills": ["送餐"],
            "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
        },
    )
    need = await c.ok(
        "needs",
        "POST",
        "/needs",
        answer_needed=True,
        json={
            "area_code": COMMUNITY,
            "category": "meal_aid",
            "description": "独居老人需要送午餐",
            "required_skills": ["送餐"],
            "time_window": WINDOW,
            "resident": {"name": "钱奶奶", "phone": f"137{i:08d}", "citizen_id": citizen_id(i, "19400101")},
        },
    )
    await c.ok(
        "needs",
        "POST",
        f"/needs/{need['id']}/assessment",
        json={"category": "meal_aid", "urgency": "major", "service_plan": "每周一上午送餐", "route": "volunteer_task"},
    )

    async def task_created():
        reply = await c.call("volunteers", "GET", f"/tasks/by-need/{need['id']}")
        return reply.json() if reply.status_code == 200 else None

    task = await eventually(task_created, f"the task of need {i}", 120)
    vid, me = volunteer["id"], {"Authorization": f"Bearer {token('volunteer', COMMUNITY, volunteer['volunteer_ref'])}"}
    await c.ok("volunteers", "POST", f"/tasks/{task['id']}/invitations", json={"volunteer_ids": [vid]})
    await c.ok("volunteers", "POST", f"/tasks/{task['id']}/invitations/{vid}/response", auth=me, json={"accept": True})
    start = (MONDAY_9 + timedelta(minutes=5)).astimezone(UTC)
    await c.ok(
        "volunteers", "POST", f"/tasks/{task['id']}/volunteers/{vid}/check-in", auth=me, json={"at": start.isoformat()}
    )
    out = await c.ok(
        "volunteers",
        "POST",
        f"/tasks/{task['id']}/volunteers/{vid}/check-out",
        auth=me,
        json={"at": (start + timedelta(minutes=60)).isoformat()},
    )
    log_id = out["log_id"] if out else await _logged_hours_of(c, task["id"])
    await c.ok("volunteers", "POST", f"/hours/{log_id}/verification", json={"approve": True})
    return {"need_id": need["id"], "volunteer_id": vid, "me": me}


async def _logged_hours_of(c: Client, task_id: str) -> str:
    """The hours record a check-out made, when its answer was lost."""
    reply = await c.call("volunteers", "GET", "/hours", params={"area": COMMUNITY, "status": "logged", "limit": 200})
    return next(item["log_id"] for item in reply.json()["items"] if item["task_id"] == task_id)


async def kill_and_restart(stack, rounds: int) -> list[float]:
    """Every consuming service killed with SIGKILL `rounds` times, round-robin; returns how long
    each took to be ready again."""
    downtimes = []
    for _ in range(rounds):
        for name in CONSUMING:
            await asyncio.sleep(1.0)  # the scenario's pace: a kill a second while the load flows
            stack.stop(name, signal.SIGKILL)
            watch = Stopwatch()
            await asyncio.to_thread(stack.start, name)
            downtimes.append(watch.seconds())
    return downtimes


@pytest.mark.slow
async def test_kill_9_of_every_consumer_five_times_while_10000_needs_flow(stack, settings, token, js):
    stack.start(*CONSUMING)
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    worker = token("social_worker", COUNTY, "sw-faults")
    client = Client(stack, worker)
    load = NeedLoad(stack.url("needs"), worker, concurrency=8, limit=NEEDS, body={**NEED, "area_code": COMMUNITY})
    watch = Stopwatch()
    loading = asyncio.create_task(load.run())
    try:
        await eventually(lambda: _at_least(load, 500), "the first needs", 60)
        served, downtimes = await asyncio.gather(_serve_all(client, token), kill_and_restart(stack, KILLS_EACH))
        await loading
        created = load.created
        raised_s, catching_up = watch.seconds(), Stopwatch()
        conns = {s: await kit_db.connect(settings, s) for s in ("needs", "volunteers", "charity")}
        try:
            await eventually(lambda: _demands(conns["volunteers"], created), "every need in volunteers", 300)
            await eventually(lambda: _area_demands(conns["volunteers"], NEEDS + SERVED), "the area's needs", 60)
            await eventually(lambda: _holders_applied(conns, created), "every need in charity", 120)
            caught_up_s = catching_up.seconds()  # from the last need raised to every need applied everywhere
            figures = await _effects(conns, client, served, created)
        finally:
            for conn in conns.values():
                await conn.close()
        dead = await _dead_letters_since(js, dlq_before)
        report(
            "kill_9_consumers",
            kills=len(downtimes),
            needs_raised=len(created),
            needs_served=len(served),
            raised_in_s=raised_s,
            caught_up_s=caught_up_s,
            refused_attempts=load.failures,
            applied_unanswered=load.applied_unanswered,
            dead_lettered=len(dead),
            dead_letter_reasons=dead,
            median_restart_s=sorted(downtimes)[len(downtimes) // 2],
            **figures,
        )
        assert len(created) == len(set(created)) == NEEDS - load.applied_unanswered
        # every need accepted exists once, in the needs service and in volunteers (none lost, none twice)
        assert figures["needs_in_area"] == figures["demands_in_area"] == NEEDS + SERVED
        assert figures["volunteers_demands"] == figures["charity_holders_applied"] == len(created)
        assert figures["time_bank_units"] == [100] * SERVED  # one hour at 1 credit an hour, never twice
        assert figures["timeline_steps"] == [["hours_verified", "task_accepted"]] * SERVED
        assert figures["matched_events"] == [1] * SERVED
        assert dead == []
    finally:
        load.stop()
        await loading
        await client.http.aclose()
        stack.stop_all()


async def _dead_letters_since(js, last_seq: int) -> list[str]:
    """The consumer and reason of each letter DLQ took since `last_seq` for this module's area. Other
    areas' letters are earlier tests' poison events, which a consumer started here meets in its backlog."""
    letters = []
    for seq in range(last_seq + 1, (await js.stream_info("DLQ")).state.last_seq + 1):
        headers = (await js.get_msg("DLQ", seq)).headers or {}
        if headers.get("Wushe-Dlq-Subject", "").endswith("." + ".".join(subject_tokens(COMMUNITY))):
            letters.append(f"{headers.get('Wushe-Dlq-Consumer')}: {headers.get('Wushe-Dlq-Reason')}")
    return letters


async def _serve_all(client: Client, token) -> list[dict]:
    served = []
    for i in range(SERVED):  # one after another: the kills land in the middle of the flows
        served.append(await serve_one(client, token, i))
    return served


async def _at_least(load: NeedLoad, n: int) -> bool:
    return len(load.created) >= n


async def _demands(volunteers_db, created: list[str]) -> bool:
    return await demands_of(volunteers_db, created) == len(created)


async def _holders_applied(conns: dict, created: list[str]) -> bool:
    return await applied_by(conns["charity"], HOLDERS, await raised_events(conns["volunteers"], created)) == len(
        created
    )


async def _area_demands(volunteers_db, n: int) -> bool:
    return await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE area_code = $1", COMMUNITY) >= n


async def _effects(conns: dict, client: Client, served: list[dict], created: list[str]) -> dict:
    """What a duplicate would double, once every consumer has caught up."""
    needs_db, volunteers_db, charity_db = conns["needs"], conns["volunteers"], conns["charity"]
    served_needs = [s["need_id"] for s in served]

    async def timelines_complete():
        rows = await needs_db.fetch(
            """SELECT need_id, array_agg(kind ORDER BY kind) AS kinds FROM need_timeline
                                       WHERE need_id = ANY($1::uuid[]) AND actor = 'volunteers'
                                       GROUP BY need_id""",
            served_needs,
        )
        return rows if len(rows) == len(served) and all("hours_verified" in r["kinds"] for r in rows) else None

    timelines = {str(r["need_id"]): list(r["kinds"]) for r in await eventually(timelines_complete, "timelines", 120)}
    events = await raised_events(volunteers_db, created)
    balances = [
        (
            await client.ok(
                "volunteers", "GET", f"/timebank/volunteers/{s['volunteer_id']}", answer_needed=True, auth=s["me"]
            )
        )["balance_units"]
        for s in served
    ]
    matched = await needs_db.fetch("""SELECT convert_from(payload, 'UTF8')::jsonb->'data'->>'need_id' AS need_id,
                                             count(*) AS n FROM outbox WHERE subject LIKE 'evt.needs.need_matched.%'
                                      GROUP BY 1""")
    return {
        "needs_in_area": await needs_db.fetchval("SELECT count(*) FROM needs WHERE area_code = $1", COMMUNITY),
        "demands_in_area": await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE area_code = $1", COMMUNITY),
        "volunteers_demands": len(set(events)),
        "charity_holders_applied": await applied_by(charity_db, HOLDERS, events),
        "time_bank_units": balances,
        "timeline_steps": [timelines[n] for n in served_needs],
        "matched_events": [{r["need_id"]: r["n"] for r in matched}.get(n, 0) for n in served_needs],
    }
