"""社区吹哨、党员报到 and 微心愿 through the gateway: a whistle goes to the community's party members
whose skills fit and to the responsible units of its category; a member reports (接单) for themself
and MemberReported reaches the PARTY stream; a responder who was not dispatched is refused; a whistle
is closed with an evaluation; a NeedEscalated, delivered twice, blows one whistle and puts the need
on the joint-meeting agenda; a whistle nobody answers goes up to the township once; a small wish is
claimed by one member and fulfilled. Then role × jurisdiction of every route, as one table.

Everything lives in 育才街道 (130102004) of 长安区, which no other module writes to: the members and
units in its community 001, a member of community 002 (and the whistles that show a deadline check
ran again), community 003 for the escalation. Callers out of area are of 桥西区 (130104). Citizen IDs
are of people born in 1958 (this module's range)."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import nats.js.errors
import pytest
from support.authz import Case, Table, fill, uncovered_routes
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id, wrap
from contracts.events.needs import NeedEscalated
from contracts.events.party import MemberReported
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

COUNTY, QIAOXI, TOWNSHIP = "130102", "130104", "130102004"
COMMUNITY, NEIGHBOURS, QUIET = "130102004001", "130102004002", "130102004003"
RUN = uuid.uuid4().hex[:8]  # logins are unique in the session's database
NAMES = {"nurse": "欧阳秀英", "lawyer": "司马明远", "plain": "诸葛平安", "neighbour": "上官丽华"}
_serial = itertools.count()


def citizen_id() -> str:
    n = next(_serial)
    first17 = f"{COUNTY}{date(1958, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return first17 + citizen_id_check_char(first17)


def phone(name: str) -> str:
    return f"1390311{list(NAMES).index(name):04d}"


def bearer(token, role: str, area: str = COUNTY, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub or f'{role}-{area}')}"}


def whistle(area: str = COMMUNITY, **extra) -> dict:
    return {
        "area_code": area,
        "title": "独居老人摔倒需上门护理",
        "description": "3号楼2单元，老人行动不便",
        "urgency": "major",
        "category": "health_care",
        "required_skills": ["护理"],
        **extra,
    }


WISH = {"area_code": COMMUNITY, "title": "想要一台收音机", "description": "听戏曲", "beneficiary": "王**（独居老人）"}
CLOSE = {"satisfaction": 4, "evaluated_by": "community", "comment": "处置及时"}


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict, body=None, expect: int = 200):
    reply = await client.request(method, path, json=body, headers=headers)
    assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json() if reply.content else None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the world: an organization, members, units, and an object of each kind --------------------------


@dataclass
class World:
    ids: dict[str, str]
    accounts: dict[str, str]  # who logs in as a member or unit → their token sub


async def make(client: httpx.AsyncClient, kind: str, ids: dict[str, str], token) -> dict[str, str]:
    """A new object for the placeholder `kind`: a whistle nobody answered yet, one the nurse reported,
    an open wish, a wish the nurse claimed."""
    worker = bearer(token, "social_worker", TOWNSHIP)
    if kind in ("open_whistle", "reported"):
        whistle_id = (await call(client, "POST", "/whistles", worker, whistle(), 201))["id"]
        if kind == "reported":
            await call(
                client,
                "POST",
                f"/whistles/{whistle_id}/reports",
                worker,
                {"responder_kind": "member", "responder_id": ids["nurse"]},
                201,
            )
        return {kind: whistle_id}
    wish_id = (await call(client, "POST", "/wishes", worker, WISH, 201))["id"]
    if kind == "claimed":
        await call(client, "POST", f"/wishes/{wish_id}/claim", worker, {"member_id": ids["nurse"]})
    return {kind: wish_id}


async def build_world(base_url: str, token) -> World:
    secretary = bearer(token, "party_secretary", TOWNSHIP)
    accounts = {
        "nurse": f"m-nurse-{RUN}",
        "lawyer": f"m-lawyer-{RUN}",
        "neighbour": f"m-neighbour-{RUN}",
        "clinic": f"u-clinic-{RUN}",
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        org = (
            await call(
                client,
                "POST",
                "/party-organizations",
                secretary,
                {"name": "育才街道党工委", "kind": "committee", "area_code": TOWNSHIP},
                201,
            )
        )["id"]
        ids, refs = {"org": org}, {}
        for name, area, skills in [
            ("nurse", COMMUNITY, ["护理", "急救"]),
            ("lawyer", COMMUNITY, ["法律咨询"]),
            ("plain", COMMUNITY, []),
            ("neighbour", NEIGHBOURS, ["护理"]),
        ]:
            member = await call(
                client,
                "POST",
                "/party-members",
                secretary,
                {
                    "org_id": org,
                    "name": NAMES[name],
                    "phone": phone(name),
                    "citizen_id": citizen_id(),
                    "area_code": area,
                    "in_service": True,
                    "employer": "长安区人民医院",
                    "skills": skills,
                    "account": accounts.get(name),
                },
                201,
            )
            ids[name], refs[f"{name}_ref"] = member["id"], member["member_ref"]
        for name, area, unit, categories in [
            ("clinic", COMMUNITY, "育才街道第一社区卫生服务站", ["health_care"]),
            ("legal", COMMUNITY, "第一社区法律服务室", ["legal_aid"]),
            ("street_office", TOWNSHIP, "育才街道综合执法队", []),
        ]:
            ids[name] = (
                await call(
                    client,
                    "POST",
                    "/responsible-units",
                    secretary,
                    {"area_code": area, "name": unit, "categories": categories, "account": accounts.get(name)},
                    201,
                )
            )["id"]
        ids["whistle"] = (await make(client, "open_whistle", ids, token))["open_whistle"]  # the one to read
        for kind in ("open_whistle", "reported", "wish", "claimed"):
            ids |= await make(client, kind, ids, token)
    return World(ids | refs, accounts)


@pytest.fixture(scope="module")
def world(party_api, token) -> World:
    return run_in_thread(build_world(party_api, token))


@pytest.fixture
def worker(token) -> dict:
    return bearer(token, "social_worker", TOWNSHIP)


def as_login(token, world: World, who: str, area: str = COMMUNITY) -> dict:
    """The member's (or unit's) own login: an ordinary resident's token whose sub is their account."""
    return bearer(token, "partner" if who == "clinic" else "resident", area, world.accounts[who])


async def outbox(conn, event: str, ref: str) -> list[dict]:
    """The envelopes of one party event type that mention `ref`, as written to the outbox."""
    rows = await conn.fetch(
        """SELECT payload FROM outbox WHERE subject LIKE $1 AND convert_from(payload, 'UTF8') LIKE '%' || $2 || '%'
           ORDER BY id""",
        f"evt.party.{event}.%",
        ref,
    )
    return [json.loads(bytes(r["payload"])) for r in rows]


# --- flows -------------------------------------------------------------------------------------------


async def test_a_whistle_goes_to_the_members_whose_skills_fit_and_the_units_of_its_category(party, world, worker, db):
    created = await call(party, "POST", "/whistles", worker, whistle(), 201)
    # the nurse (not the lawyer, nor the member without skills, nor the nurse of community 002); the
    # clinic (health care) and the street's office (answers everything), not the legal-aid room
    assert (created["dispatched_members"], created["dispatched_units"]) == (1, 2)

    view = await call(party, "GET", f"/whistles/{created['id']}", worker)
    assert view["status"] == "open" and view["source"] == "manual" and not view["overdue"]
    assert at(view["respond_by"]) - at(view["blown_at"]) == timedelta(minutes=120)  # major: two hours
    members = [d for d in view["dispatches"] if d["responder_kind"] == "member"]
    assert [(d["responder_id"], d["name"]) for d in members] == [(world.ids["nurse"], "欧***")]
    units = {d["responder_id"]: d["name"] for d in view["dispatches"] if d["responder_kind"] == "unit"}
    assert units == {
        world.ids["clinic"]: "育才街道第一社区卫生服务站",
        world.ids["street_office"]: "育才街道综合执法队",
    }
    assert NAMES["nurse"] not in json.dumps(view, ensure_ascii=False) and phone("nurse") not in json.dumps(view)

    conn = await db("party")
    [blown] = await outbox(conn, "whistle_blown", created["id"])
    assert blown["subject"] == created["id"] and blown["area_code"] == COMMUNITY
    assert blown["data"]["dispatched_members"] == 1 and blown["data"]["required_skills"] == ["护理"]
    assert NAMES["nurse"] not in json.dumps(blown, ensure_ascii=False)


async def test_a_retried_whistle_with_its_idempotency_key_is_blown_once(party, world, worker, db):
    headers = {**worker, "Idempotency-Key": f"whistle-{RUN}"}
    first = await call(party, "POST", "/whistles", headers, whistle(title="楼道堆物堵塞消防通道"), 201)
    again = await call(party, "POST", "/whistles", headers, whistle(title="楼道堆物堵塞消防通道"), 201)
    assert again == first
    conn = await db("party")
    assert await conn.fetchval("SELECT count(*) FROM whistles WHERE title = '楼道堆物堵塞消防通道'") == 1
    other = await party.post("/whistles", json=whistle(title="另一件事"), headers=headers)
    assert other.status_code == 422, other.text  # the key was used for a different request


async def test_a_member_reports_for_themself_and_the_report_is_published(party, world, worker, token, js):
    whistle_id = (await call(party, "POST", "/whistles", worker, whistle(), 201))["id"]
    nurse = as_login(token, world, "nurse")
    report = {"responder_kind": "member", "responder_id": world.ids["nurse"]}
    recorded = await call(party, "POST", f"/whistles/{whistle_id}/reports", nurse, report, 201)
    assert recorded["within_deadline"] and recorded["response_seconds"] < 60

    async def published():
        try:
            msg = await js.get_last_msg("PARTY", event_subject(MemberReported, COMMUNITY))
        except nats.js.errors.NotFoundError:
            return None
        envelope = json.loads(msg.data)
        return envelope if envelope["data"]["whistle_id"] == whistle_id else None

    envelope = await eventually(published, "MemberReported on the PARTY stream")
    assert envelope["data"]["responder_ref"] == world.ids["nurse_ref"] and envelope["data"]["within_deadline"]
    assert NAMES["nurse"] not in json.dumps(envelope, ensure_ascii=False)

    again = await party.post(f"/whistles/{whistle_id}/reports", json=report, headers=nurse)
    assert again.status_code == 409 and again.json()["rule"] == "already_reported", again.text
    # the lawyer has a login and lives here, but was not called on; nor was the member without skills
    lawyer = await party.post(
        f"/whistles/{whistle_id}/reports",
        headers=as_login(token, world, "lawyer"),
        json={"responder_kind": "member", "responder_id": world.ids["lawyer"]},
    )
    assert lawyer.status_code == 409 and lawyer.json()["rule"] == "not_dispatched", lawyer.text
    plain = await party.post(
        f"/whistles/{whistle_id}/reports",
        headers=worker,
        json={"responder_kind": "member", "responder_id": world.ids["plain"]},
    )
    assert plain.status_code == 409 and plain.json()["rule"] == "not_dispatched", plain.text

    view = await call(party, "GET", f"/whistles/{whistle_id}", nurse)  # the nurse reads what she took on
    assert view["status"] == "responded" and view["first_response_at"] == recorded["reported_at"]


async def test_the_work_is_handled_and_the_whistle_closed_with_an_evaluation(party, world, worker, token, db):
    whistle_id = (await call(party, "POST", "/whistles", worker, whistle(), 201))["id"]
    early = await party.post(f"/whistles/{whistle_id}/close", json=CLOSE, headers=worker)
    assert early.status_code == 409 and early.json()["rule"] == "no_report" and early.json()["state"] == "open"

    clinic, nurse = as_login(token, world, "clinic"), as_login(token, world, "nurse")
    await call(
        party,
        "POST",
        f"/whistles/{whistle_id}/reports",
        worker,  # recorded for the clinic by the worker
        {"responder_kind": "unit", "responder_id": world.ids["clinic"]},
        201,
    )
    handled = f"/whistles/{whistle_id}/reports/{world.ids['clinic']}/handled"
    await call(party, "POST", handled, clinic, {"note": "已上门包扎并送医"})
    twice = await party.post(handled, json={"note": "again"}, headers=clinic)
    assert twice.status_code == 409 and twice.json()["rule"] == "already_handled", twice.text
    unreported = await party.post(
        f"/whistles/{whistle_id}/reports/{world.ids['nurse']}/handled", json={}, headers=nurse
    )
    assert unreported.status_code == 409 and unreported.json()["rule"] == "not_reported", unreported.text
    stranger = await party.post(
        f"/whistles/{whistle_id}/reports/{world.ids['lawyer']}/handled", json={}, headers=worker
    )
    assert stranger.status_code == 404, stranger.text

    closed = await call(
        party,
        "POST",
        f"/whistles/{whistle_id}/close",
        worker,
        {"satisfaction": 5, "evaluated_by": "resident", "comment": "非常满意"},
    )
    assert closed["status"] == "closed"
    again = await party.post(f"/whistles/{whistle_id}/close", json=CLOSE, headers=worker)
    assert again.status_code == 409 and again.json()["state"] == "closed", again.text
    late = await party.post(
        f"/whistles/{whistle_id}/reports",
        headers=nurse,
        json={"responder_kind": "member", "responder_id": world.ids["nurse"]},
    )
    assert late.status_code == 409 and late.json()["state"] == "closed", late.text

    [event] = await outbox(await db("party"), "whistle_closed", whistle_id)
    assert (event["data"]["satisfaction"], event["data"]["evaluated_by"]) == (5, "resident")
    assert event["data"]["first_response_seconds"] >= 0
    view = await call(party, "GET", f"/whistles/{whistle_id}", worker)
    [done] = [d for d in view["dispatches"] if d["responder_id"] == world.ids["clinic"]]
    assert done["handled_at"] and done["note"] == "已上门包扎并送医" and view["satisfaction"] == 5


async def test_an_escalated_need_blows_one_whistle_and_joins_the_agenda(party, world, worker, js, db):
    now = datetime.now(UTC)
    need = NeedEscalated(
        need_id=new_id(),
        area_code=COMMUNITY,
        category="meal_aid",
        urgency="urgent",
        raised_at=now - timedelta(hours=2),
        due_at=now - timedelta(hours=1),
        escalated_at=now,
    )
    envelope = wrap(need, subject=str(need.need_id), area_code=COMMUNITY)
    acks = [
        await js.publish(event_subject(NeedEscalated, COMMUNITY), envelope.model_dump_json().encode()) for _ in range(2)
    ]  # delivered twice

    async def blown():
        listed = (await party.get("/whistles", params={"area": COMMUNITY}, headers=worker)).json()
        return next((w for w in listed if w["need_id"] == str(need.need_id)), None)

    found = await eventually(blown, "a whistle for the escalated need")

    async def both_consumed():
        info = await js.consumer_info("NEEDS", "party-need-escalated")
        return info.ack_floor.stream_seq >= acks[-1].seq

    await eventually(both_consumed, "the second delivery consumed")
    conn = await db("party")
    assert await conn.fetchval("SELECT count(*) FROM whistles WHERE need_id = $1", need.need_id) == 1
    assert (found["source"], found["urgency"], found["blown_by"]) == ("need_escalated", "urgent", "needs-sla")
    assert found["title"] == "需求超时未响应：助餐" and found["category"] == "meal_aid"
    assert at(found["respond_by"]) - at(found["blown_at"]) == timedelta(minutes=30)
    view = await call(party, "GET", f"/whistles/{found['id']}", worker)
    # no skill is asked for: every member of the community; of the units, the street office answers meals
    assert {d["responder_id"] for d in view["dispatches"]} == {
        world.ids[k] for k in ("nurse", "lawyer", "plain", "street_office")
    }
    [blown_event] = await outbox(conn, "whistle_blown", found["id"])
    assert blown_event["causation_id"] == str(envelope.id)
    assert blown_event["correlation_id"] == str(envelope.correlation_id)
    agenda = await conn.fetch("SELECT * FROM agenda_items WHERE kind = 'escalated_need' AND ref_id = $1", need.need_id)
    assert len(agenda) == 1 and agenda[0]["area_code"] == COMMUNITY and "助餐" in agenda[0]["summary"]


async def a_later_deadline_check(party, worker, conn) -> None:
    """Returns once the deadline check has run again: a whistle of community 002 (so that the quiet
    community's statistics stay as they are) made overdue now has been escalated."""
    created = await call(
        party,
        "POST",
        "/whistles",
        worker,
        whistle(NEIGHBOURS, urgency="urgent", category="other", required_skills=[]),
        201,
    )
    marker = uuid.UUID(created["id"])
    await conn.execute("UPDATE whistles SET respond_by = now() - interval '1 second' WHERE id = $1", marker)

    async def escalated() -> bool:
        return await conn.fetchval("SELECT escalated_at IS NOT NULL FROM whistles WHERE id = $1", marker)

    await eventually(escalated, f"a later deadline check escalating whistle {marker}")


async def test_a_whistle_nobody_answers_goes_up_to_the_township_once(party, world, worker, db):
    created = await call(
        party, "POST", "/whistles", worker, whistle(QUIET, urgency="urgent", category="other", required_skills=[]), 201
    )
    assert (created["dispatched_members"], created["dispatched_units"]) == (0, 1)  # only the street office
    conn = await db("party")
    await conn.execute(
        "UPDATE whistles SET respond_by = now() - interval '1 second' WHERE id = $1", uuid.UUID(created["id"])
    )

    async def escalated():
        view = (await party.get(f"/whistles/{created['id']}", headers=worker)).json()
        return view if view["escalated_at"] else None

    view = await eventually(escalated, "the unanswered whistle escalated")
    assert view["escalated_to"] == TOWNSHIP and view["overdue"] and view["status"] == "open"
    stats = await call(party, "GET", "/whistles/stats", worker, None)
    [quiet] = [c for c in stats["communities"] if c["area_code"] == QUIET]
    assert (quiet["count"], quiet["answered"], quiet["open_overdue"]) == (1, 0, 1)

    await a_later_deadline_check(party, worker, conn)  # it met this whistle again: nothing more happens
    [event] = await outbox(conn, "whistle_escalated", created["id"])
    assert event["data"]["escalated_to"] == TOWNSHIP
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM agenda_items WHERE kind = 'overdue_whistle' AND ref_id = $1", uuid.UUID(created["id"])
        )
        == 1
    )

    # the street office takes it on late: still recorded, not in time
    late = await call(
        party,
        "POST",
        f"/whistles/{created['id']}/reports",
        worker,
        {"responder_kind": "unit", "responder_id": world.ids["street_office"]},
        201,
    )
    assert not late["within_deadline"]
    stats = await call(party, "GET", "/whistles/stats", worker, None)
    [quiet] = [c for c in stats["communities"] if c["area_code"] == QUIET]
    assert (quiet["count"], quiet["answered"], quiet["answered_in_time"], quiet["open_overdue"]) == (1, 1, 0, 0)
    assert quiet["median_response_s"] == quiet["p90_response_s"] == late["response_seconds"]
    assert quiet["area_name"] and stats["area_code"] == TOWNSHIP
    assert stats["total"]["count"] >= quiet["count"] and stats["total"]["answered"] >= 1


async def test_a_small_wish_is_claimed_by_one_member_and_fulfilled(party, world, worker, token, db):
    wish_id = (await call(party, "POST", "/wishes", worker, WISH, 201))["id"]
    nurse, lawyer = as_login(token, world, "nurse"), as_login(token, world, "lawyer")
    claimed = await call(party, "POST", f"/wishes/{wish_id}/claim", nurse, {"member_id": world.ids["nurse"]})
    assert (
        claimed["status"] == "claimed" and claimed["claimer"] == "欧***" and claimed["member_id"] == world.ids["nurse"]
    )
    second = await party.post(f"/wishes/{wish_id}/claim", json={"member_id": world.ids["plain"]}, headers=worker)
    assert second.status_code == 409 and second.json()["rule"] == "one_claimer", second.text

    not_hers = await party.post(f"/wishes/{wish_id}/fulfil", json={"note": "x"}, headers=lawyer)
    assert not_hers.status_code == 403, not_hers.text
    done = await call(party, "POST", f"/wishes/{wish_id}/fulfil", nurse, {"note": "收音机已送到老人家中"})
    assert done["status"] == "fulfilled" and done["fulfilled_at"]
    again = await party.post(f"/wishes/{wish_id}/fulfil", json={}, headers=nurse)
    assert again.status_code == 409 and again.json()["state"] == "fulfilled", again.text

    [event] = await outbox(await db("party"), "wish_fulfilled", wish_id)
    assert event["data"]["member_ref"] == world.ids["nurse_ref"] and event["area_code"] == COMMUNITY
    listed = await call(party, "GET", "/wishes", lawyer, None)  # members browse their area's wishes
    [shown] = [w for w in listed if w["id"] == wish_id]
    assert shown["claimer"] == "欧***" and NAMES["nurse"] not in json.dumps(listed, ensure_ascii=False)
    open_only = await call(party, "GET", f"/wishes?area={COMMUNITY}&status=open", worker, None)
    assert wish_id not in {w["id"] for w in open_only}

    unknown = await party.post(
        f"/wishes/{world.ids['wish']}/claim", json={"member_id": str(uuid.uuid4())}, headers=worker
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "member_id", unknown.text


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/whistles", whistle(area_code=COUNTY), "area_code"),
        ("POST", "/whistles", whistle(area_code="130102004999"), "area_code"),
        ("POST", "/whistles", whistle(urgency="asap"), "urgency"),
        ("POST", "/whistles", whistle(category="Health Care"), "category"),
        ("POST", "/whistles", whistle(required_skills=["x" * 31]), "required_skills.0"),
        ("POST", "/whistles", whistle(title=" "), "title"),
        ("POST", "/whistles", whistle(priority="high"), "priority"),
        (
            "POST",
            "/whistles/{whistle}/reports",
            {"responder_kind": "person", "responder_id": "{nurse}"},
            "responder_kind",
        ),
        ("POST", "/whistles/{whistle}/reports", {"responder_kind": "member", "responder_id": "nurse"}, "responder_id"),
        ("POST", "/whistles/{whistle}/close", {**CLOSE, "satisfaction": 6}, "satisfaction"),
        ("POST", "/whistles/{whistle}/close", {**CLOSE, "evaluated_by": "mayor"}, "evaluated_by"),
        ("GET", "/whistles?area=139999", None, "area"),
        ("GET", "/whistles?status=lost", None, "status"),
        ("GET", "/whistles/stats?area=12", None, "area"),
        ("POST", "/wishes", {**WISH, "beneficiary": "王芳 130102195801010011"}, "beneficiary"),
        ("POST", "/wishes", {**WISH, "beneficiary": "王" * 51}, "beneficiary"),
        ("POST", "/wishes/{wish}/claim", {"member_id": "{nurse}", "urgent": True}, "urgent"),
        ("GET", "/wishes?status=done", None, "status"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(party, world, token, method, path, body, field):
    headers = bearer(token, "party_secretary", TOWNSHIP)
    reply = await party.request(method, fill(path, world.ids), json=fill(body, world.ids), headers=headers)
    assert reply.status_code == 422, reply.text
    assert field in {e["field"] for e in reply.json()["errors"]}, reply.text


# --- role × jurisdiction -------------------------------------------------------------------------------

ROLES = ["social_worker", "grid_worker", "party_secretary", "civil_affairs", "volunteer", "resident", "charity_admin"]
WORKERS, READERS = ROLES[:3], ROLES[:4]
LOGINS = ("nurse", "lawyer", "clinic")  # callers "nurse@…" are that member's (unit's) own login


# Each of the seven roles in 长安区 and in 桥西区, and no token: an allowed role of 长安区 → ok, of 桥西区
# → `other` (a success then hides the 长安区 object); a role not allowed → 403 in 长安区 (naming
# `denied_field`, if the route is open to the responders themselves) and `other_denied` in 桥西区.
table = Table(home=COUNTY, other=QIAOXI, roles=ROLES, pairs=True)

BY_WORKER = {"responder_kind": "unit", "responder_id": "{clinic}"}
BY_NURSE = {"responder_kind": "member", "responder_id": "{nurse}"}
REPORTS, HANDLED = "/whistles/{open_whistle}/reports", "/whistles/{reported}/reports/{nurse}/handled"
NOTE = {"note": "已办结"}

TABLE: list[Case] = [
    # whistles are blown by the community's workers, in their own area
    *table.route("POST", "/whistles", 201, body=whistle(), allowed=WORKERS, other=403),
    # lists and statistics: readers of the area (the caller's by default)
    *table.route("GET", "/whistles", 200, allowed=READERS, other=200, shows="whistle"),
    *table.route("GET", f"/whistles?area={COMMUNITY}", 200, allowed=READERS, other=403, shows="whistle"),
    *table.route("GET", f"/whistles/stats?area={COUNTY}", 200, allowed=READERS, other=403),
    Case("GET", "/whistles", f"nurse@{COMMUNITY}", 403),
    # one whistle: its area's readers, and the members and units dispatched for it, by their login
    *table.route("GET", "/whistles/{whistle}", 200, allowed=READERS, other=404, shows="whistle"),
    Case("GET", "/whistles/{whistle}", f"nurse@{COMMUNITY}", 200, shows="whistle"),
    Case("GET", "/whistles/{whistle}", f"nurse@{QIAOXI}", 200, shows="whistle"),  # dispatched wherever she signs in
    Case("GET", "/whistles/{whistle}", f"clinic@{COMMUNITY}", 200, shows="whistle"),
    Case("GET", "/whistles/{whistle}", f"lawyer@{COMMUNITY}", 404),  # a member not called on
    # reports: a worker of the area on a responder's behalf, or the responder themself
    *table.route(
        "POST",
        REPORTS,
        201,
        body=BY_WORKER,
        fresh="open_whistle",
        allowed=WORKERS,
        other=404,
        other_denied=404,
        denied_field="responder_id",
    ),
    Case("POST", REPORTS, f"nurse@{COMMUNITY}", 201, BY_NURSE, fresh="open_whistle"),
    Case("POST", REPORTS, f"nurse@{QIAOXI}", 201, BY_NURSE, fresh="open_whistle"),
    Case("POST", REPORTS, f"clinic@{COMMUNITY}", 201, BY_WORKER, fresh="open_whistle"),
    Case("POST", REPORTS, f"nurse@{COMMUNITY}", 403, BY_WORKER, field="responder_id"),  # not for the clinic
    Case(
        "POST",
        REPORTS,
        f"lawyer@{COMMUNITY}",
        409,
        {"responder_kind": "member", "responder_id": "{lawyer}"},
        rule="not_dispatched",
    ),
    Case("POST", REPORTS, f"lawyer@{QIAOXI}", 404, {"responder_kind": "member", "responder_id": "{lawyer}"}),
    # handled: likewise, after the report
    *table.route(
        "POST",
        HANDLED,
        200,
        body=NOTE,
        fresh="reported",
        allowed=WORKERS,
        other=404,
        other_denied=404,
        denied_field="responder_id",
    ),
    Case("POST", HANDLED, f"nurse@{COMMUNITY}", 200, NOTE, fresh="reported"),
    Case("POST", HANDLED, f"lawyer@{COMMUNITY}", 403, NOTE, field="responder_id"),
    # closing with an evaluation: the community's workers
    *table.route("POST", "/whistles/{reported}/close", 200, body=CLOSE, fresh="reported", allowed=WORKERS, other=404),
    Case("POST", "/whistles/{reported}/close", f"nurse@{COMMUNITY}", 403, CLOSE),
    # small wishes: posted by workers, read by readers and members, claimed and fulfilled by a member
    # for themself or by a worker for them
    *table.route("POST", "/wishes", 201, body=WISH, allowed=WORKERS, other=403),
    *table.route("GET", "/wishes", 200, allowed=READERS, other=200, shows="wish"),
    *table.route("GET", f"/wishes?area={COMMUNITY}", 200, allowed=READERS, other=403, shows="wish"),
    Case("GET", "/wishes", f"lawyer@{COMMUNITY}", 200, shows="wish"),
    Case("GET", "/wishes", f"lawyer@{QIAOXI}", 200, hides="wish"),
    *table.route(
        "POST",
        "/wishes/{wish}/claim",
        200,
        body={"member_id": "{plain}"},
        fresh="wish",
        allowed=WORKERS,
        other=404,
        other_denied=404,
        denied_field="member_id",
    ),
    Case("POST", "/wishes/{wish}/claim", f"nurse@{COMMUNITY}", 200, {"member_id": "{nurse}"}, fresh="wish"),
    Case("POST", "/wishes/{wish}/claim", f"nurse@{COMMUNITY}", 403, {"member_id": "{lawyer}"}, field="member_id"),
    Case("POST", "/wishes/{wish}/claim", f"nurse@{QIAOXI}", 404, {"member_id": "{nurse}"}),
    *table.route(
        "POST",
        "/wishes/{claimed}/fulfil",
        200,
        body=NOTE,
        fresh="claimed",
        allowed=WORKERS,
        other=404,
        other_denied=404,
    ),
    Case("POST", "/wishes/{claimed}/fulfil", f"nurse@{COMMUNITY}", 200, NOTE, fresh="claimed"),
    Case("POST", "/wishes/{claimed}/fulfil", f"lawyer@{COMMUNITY}", 403, NOTE),
]


def headers_of(token, world: World, caller: str | None) -> dict:
    if caller is None:
        return {}
    name, _, area = caller.partition("@")
    return as_login(token, world, name, area) if name in LOGINS else bearer(token, name, area)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_table_covers_every_route():
    from services.party.whistles.api import router

    assert not uncovered_routes([router], ((c.method, c.path) for c in TABLE))


@pytest.mark.parametrize("case", [c.param() for c in TABLE])
async def test_role_and_jurisdiction(case: Case, world: World, party: httpx.AsyncClient, token):
    ids = dict(world.ids)
    if case.fresh and case.expect < 300:
        ids |= await make(party, case.fresh, ids, token)
    headers = headers_of(token, world, case.caller)

    reply = await party.request(case.method, fill(case.path, ids), json=fill(case.body, ids), headers=headers)

    assert reply.status_code == case.expect, reply.text
    if case.shows:
        assert ids[case.shows] in reply.text
    if case.hides:
        assert world.ids[case.hides] not in reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.expect == 404:  # it learns nothing: the answer for an unknown id
        fresh_ids = {v: str(uuid.uuid4()) for v in set(ids.values()) if UUID.fullmatch(v)}
        unknown = {k: fresh_ids.get(v, v) for k, v in ids.items()}
        baseline = await party.request(
            case.method, fill(case.path, unknown), json=fill(case.body, unknown), headers=headers
        )
        assert baseline.status_code == 404, baseline.text
        names = {v: f"<id {i}>" for i, v in enumerate(fresh_ids)}
        assert anonymous(reply, names) == anonymous(baseline, {fresh_ids[v]: n for v, n in names.items()})
    if case.field:
        assert case.field in {e["field"] for e in reply.json()["errors"]}, reply.text
    if case.rule:
        assert reply.json()["rule"] == case.rule, reply.text
