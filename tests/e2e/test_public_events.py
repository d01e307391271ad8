"""The public events (contracts/public) through the exchange service, with needs and exchange as real
processes: one public event per internal event a partner may see, in the order the internal stream
has them, on the subject that carries the jurisdiction, with nothing personal in it.

Everything happens in 灵寿县 (130126), which no other test uses."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from support.events import publish
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.volunteers import HoursVerified, TaskAccepted
from contracts.subjects import event_subject
from kit import db as kit_db
from services.exchange import handlers, store

COUNTY, COMMUNITY = "130126", "130126100001"  # 灵寿县, 灵寿镇001号社区
RESIDENT = {"name": "欧阳明月", "phone": "13912345678", "citizen_id": "11010519491231002X"}
PRIVATE_TEXT = ("帮助独居老人买菜做饭", "每日午餐送餐上门", "送餐不准时", "empty_nest_elderly", "做饭", "sw-lingshou")
VOLUNTEER_REF = "v-lingshou-1"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def needs_and_exchange(stack):
    stack.start("needs", "exchange", "gateway")
    return stack.url("needs")


@pytest.fixture
async def gateway(needs_and_exchange, stack):
    async with httpx.AsyncClient(base_url=stack.url("gateway") + "/api/v1", timeout=10) as c:
        yield c


@pytest.fixture
async def needs(needs_and_exchange):
    async with httpx.AsyncClient(base_url=needs_and_exchange, timeout=10) as c:
        yield c


@pytest.fixture
def worker(token):
    return {"Authorization": f"Bearer {token('social_worker', COUNTY, 'sw-lingshou')}"}


async def public_of(js, subject_filter: str) -> list[tuple[str, dict]]:
    """(subject, envelope) of every PUBLIC message on the filter, in stream order."""
    sub = await js.subscribe(subject_filter, stream="PUBLIC", ordered_consumer=True)
    found = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return found
            found.append((msg.subject, orjson.loads(msg.data)))
    finally:
        await sub.unsubscribe()


async def a_need_served_and_judged(needs, worker, js) -> str:
    """Raised, assessed and routed to volunteers, matched by a volunteer's hours (delivered twice),
    resolved and rated 2 (which reopens it): every step a partner may see."""
    body = {
        "area_code": COMMUNITY,
        "category": "daily_care",
        "urgency": "major",
        "description": PRIVATE_TEXT[0],
        "required_skills": [PRIVATE_TEXT[4]],
        "target_groups": [PRIVATE_TEXT[3]],
        "resident": RESIDENT,
    }
    created = await needs.post("/needs", json=body, headers=worker)
    assert created.status_code == 201, created.text
    need_id = created.json()["id"]
    plan = {"category": "meal_aid", "urgency": "urgent", "service_plan": PRIVATE_TEXT[1], "route": "volunteer_task"}
    assert (await needs.post(f"/needs/{need_id}/assessment", json=plan, headers=worker)).status_code == 200

    task_id = new_id()
    accepted = TaskAccepted(
        task_id=task_id, need_id=need_id, area_code=COMMUNITY, volunteer_ref=VOLUNTEER_REF, accepted_at=NOW
    )
    await publish(js, wrap(accepted, subject=str(task_id), area_code=COMMUNITY))
    hours = wrap(
        HoursVerified(
            log_id=new_id(),
            task_id=task_id,
            need_id=need_id,
            area_code=COMMUNITY,
            volunteer_ref=VOLUNTEER_REF,
            minutes=90,
            verified_by="sw-lingshou",
            verified_at=NOW,
        ),
        subject=str(task_id),
        area_code=COMMUNITY,
    )
    await publish(js, hours)
    # the same event again past JetStream's dedupe (no Nats-Msg-Id): only the inbox stops it now
    await js.publish(event_subject(HoursVerified, COMMUNITY), hours.model_dump_json().encode())

    async def matched():
        return (await needs.get(f"/needs/{need_id}", headers=worker)).json()["status"] == "matched"

    await eventually(matched, f"need {need_id} matched")
    resolve = {"on_behalf_of_resident": True}
    assert (await needs.post(f"/needs/{need_id}/resolution", json=resolve, headers=worker)).status_code == 200
    rating = {"satisfaction": 2, "comment": PRIVATE_TEXT[2]}
    assert (await needs.post(f"/needs/{need_id}/feedback", json=rating, headers=worker)).status_code == 200
    return need_id


async def test_a_needs_life_is_public_once_each_in_order_and_redacted(needs, worker, js):
    need_id = await a_need_served_and_judged(needs, worker, js)
    another_id = await a_need_served_and_judged(needs, worker, js)

    async def published() -> list[tuple[str, dict]] | None:
        found = await public_of(js, "pub.*.*.v1.13.01.26")
        rated = [e for _, e in found if e["data"].get("need_id") == another_id and "satisfaction" in e["data"]]
        return found if rated else None

    found = await eventually(published, "both needs' public events on PUBLIC", 20)
    for need in (need_id, another_id):
        steps = [(subject, e["type"]) for subject, e in found if e["data"].get("need_id") == need]
        # one stream's events keep their order; the hours come from another stream, in their own time
        needs_only = [t for s, t in steps if s.startswith("pub.needs.")]
        assert needs_only == [
            "cn.wushe.pub.needs.need_raised.v1",
            "cn.wushe.pub.needs.need_routed.v1",
            "cn.wushe.pub.needs.need_matched.v1",
            "cn.wushe.pub.needs.need_resolved.v1",
            "cn.wushe.pub.needs.need_feedback_given.v1",
        ]
        assert [t for s, t in steps if s.startswith("pub.volunteers.")] == ["cn.wushe.pub.volunteers.hours_verified.v1"]

    # by type, not position: the hours (another stream) may land on PUBLIC before the need is raised there
    raised = next(e for _, e in found if e["data"].get("need_id") == need_id and e["type"].endswith(".need_raised.v1"))
    assert set(raised["data"]) == {
        "need_id",
        "area_code",
        "category",
        "urgency",
        "channel",
        "window_start",
        "window_end",
        "raised_at",
    }
    assert (raised["data"]["area_code"], raised["data"]["category"], raised["data"]["urgency"]) == (
        COMMUNITY,
        "daily_care",
        "major",
    )
    rated = next(e for _, e in found if e["data"].get("need_id") == need_id and "satisfaction" in e["data"])
    assert (rated["data"]["satisfaction"], rated["data"]["reopened"]) == (2, True)
    [hours, other_hours] = [e for s, e in found if s.startswith("pub.volunteers.")]
    # one pseudonym per volunteer, and not the platform's ref
    assert hours["data"]["volunteer"] == other_hours["data"]["volunteer"] != VOLUNTEER_REF
    assert hours["data"]["minutes"] == 90 and "verified_by" not in hours["data"]

    text = orjson.dumps([e for _, e in found]).decode()
    for private in (*RESIDENT.values(), *PRIVATE_TEXT, VOLUNTEER_REF):
        assert private not in text


# --- the events API -------------------------------------------------------------------------------


async def pages(gateway, headers, **params) -> tuple[list[dict], str]:
    """Every event the API gives from the start, two a page: (events, the last page's cursor)."""
    events, cursor = [], None
    for _ in range(100):
        reply = await gateway.get(
            "/events", params={**params, "limit": 2, **({"after": cursor} if cursor else {})}, headers=headers
        )
        assert reply.status_code == 200, reply.text
        page = reply.json()
        events += page["events"]
        cursor = page["next"]
        if not page["has_more"]:
            return events, cursor
    raise AssertionError("more than 100 pages")


async def test_a_partner_pages_the_public_events_of_its_area_and_types(gateway, needs, worker, js, db, token, settings):
    conn = await db("exchange")
    await store.add_partner(conn, "lingshou-hotline", "灵寿县12345热线", COUNTY, ["needs.*"])
    await store.add_partner(conn, "county-next-door", "邻县", "130125", ["*"])
    partner = {"Authorization": f"Bearer {token('partner', COUNTY, 'lingshou-hotline')}"}
    need_id = await a_need_served_and_judged(needs, worker, js)

    async def all_published():
        events, _ = await pages(gateway, partner)
        return events if any(e["data"]["need_id"] == need_id and "satisfaction" in e["data"] for e in events) else None

    events = await eventually(all_published, "the need's public events in the events API", 20)
    on_stream = [e for _, e in await public_of(js, "pub.needs.*.v1.13.01.26")]
    assert [e["id"] for e in events] == [e["id"] for e in on_stream]  # the same events, in the same order
    assert {e["type"].split(".")[3] for e in events} == {"needs"} and all(
        e["area_code"].startswith(COUNTY) for e in events
    )
    neighbour = {"Authorization": f"Bearer {token('partner', '130125', 'county-next-door')}"}
    assert need_id not in orjson.dumps((await pages(gateway, neighbour))[0]).decode()

    _, cursor = await pages(gateway, partner)
    later = await a_need_served_and_judged(needs, worker, js)

    async def after_cursor():
        events, _ = await pages(gateway, partner, after=cursor)
        return events if any("satisfaction" in e["data"] for e in events) else None

    assert {e["data"]["need_id"] for e in await eventually(after_cursor, "the later need after the cursor")} == {later}
    raised = await pages(gateway, partner, types="needs.need_raised")
    assert {e["type"] for e in raised[0]} == {"cn.wushe.pub.needs.need_raised.v1"}


async def test_the_events_api_refuses_what_a_partner_may_not_ask(gateway, db, token):
    conn = await db("exchange")
    await store.add_partner(conn, "lingshou-charity", "灵寿县慈善会", COUNTY, ["charity.*"])
    partner = {"Authorization": f"Bearer {token('partner', COUNTY, 'lingshou-charity')}"}

    async def refused(params, headers=partner):
        reply = await gateway.get("/events", params=params, headers=headers)
        body = reply.json()
        return reply.status_code, (body.get("errors") or [{}])[0].get("field")

    assert await refused({"types": "needs.need_raised"}) == (403, "types")
    assert await refused({"types": "needs.need_eaten"}) == (422, "types")
    assert await refused({"area": "130102"}) == (403, "area_code")
    assert await refused({"area": "999999"}) == (422, "area")
    assert await refused({"after": "page-two"}) == (422, "after")
    assert await refused({"limit": "0"}) == (422, "limit")
    stranger = {"Authorization": f"Bearer {token('partner', COUNTY, 'nobody-registered')}"}
    assert await refused({}, stranger) == (403, "sub")
    worker = {"Authorization": f"Bearer {token('social_worker', COUNTY)}"}
    assert (await refused({}, worker))[0] == 403
    assert (await gateway.get("/events")).status_code == 401

    await store.revoke_partner(conn, "lingshou-charity")
    assert await refused({}) == (403, "sub")


async def test_a_cursor_past_retention_is_gone_with_a_clear_problem(gateway, needs, worker, js, db, token, settings):
    conn = await db("exchange")
    await store.add_partner(conn, "lingshou-archive", "灵寿县档案馆", COUNTY, ["needs.need_raised"])
    partner = {"Authorization": f"Bearer {token('partner', COUNTY, 'lingshou-archive')}"}
    first = await a_need_served_and_judged(needs, worker, js)
    second = await a_need_served_and_judged(needs, worker, js)

    async def both_raised():
        events, _ = await pages(gateway, partner)
        ids = [e["data"]["need_id"] for e in events]
        return events if first in ids and second in ids else None

    await eventually(both_raised, "both needs raised in the events API")
    old_cursor = (await gateway.get("/events", params={"limit": 1}, headers=partner)).json()["next"]
    # every public event up to the first need's is 200 days old: past the 180 days kept
    first_seq = await conn.fetchval(
        "SELECT seq FROM public_events WHERE envelope->'data'->>'need_id' = $1 AND type LIKE '%need_raised%'", first
    )
    await conn.execute("UPDATE public_events SET occurred_at = now() - interval '200 days' WHERE seq <= $1", first_seq)
    pool = await kit_db.create_pool(settings, "exchange", size=2)
    try:
        assert await handlers.prune_expired(pool, batch=3) == first_seq
    finally:
        await pool.close()

    gone = await gateway.get("/events", params={"after": old_cursor}, headers=partner)
    assert gone.status_code == 410 and gone.json()["errors"][0]["field"] == "after", gone.text
    assert "180 天" in gone.json()["detail"]
    kept, _ = await pages(gateway, partner)
    assert first not in [e["data"]["need_id"] for e in kept] and second in [e["data"]["need_id"] for e in kept]


def partner_cli(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "partner", *args], env=dict(os.environ), capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr


async def test_wushe_partner_add_list_revoke(gateway):
    refused = partner_cli("add", "lingshou-media", "--area", "999999", "--events", "needs.*")
    assert refused[0] == 2 and "area" in refused[1] and "999999" in refused[1]
    assert partner_cli("add", "lingshou-media", "--area", COUNTY, "--events", "needs.need_eaten")[0] == 2
    code, out = partner_cli("add", "lingshou-media", "--area", COUNTY, "--events", "needs.*", "--label", "灵寿融媒体")
    assert code == 0 and "灵寿县" in out and "cn.wushe.pub.needs.need_raised.v1" in out, out
    token = out.strip().splitlines()[-1]
    partner = {"Authorization": f"Bearer {token}"}
    assert (await gateway.get("/events", headers=partner)).status_code == 200
    code, out = partner_cli("list")
    assert code == 0 and "lingshou-media  灵寿融媒体  灵寿县 130126  needs.*  有效" in out, out
    assert partner_cli("revoke", "lingshou-media")[0] == 0
    assert (await gateway.get("/events", headers=partner)).status_code == 403
    assert partner_cli("revoke", "lingshou-media")[0] == 1
