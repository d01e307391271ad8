"""党建联席会议 through the gateway: an escalated mediation joins the agenda pool; a meeting needs all
four actors at the table and draws its area's open agenda; a resolution dispatches a volunteer task
that the volunteers service creates under the action's id, and a volunteer accepting it moves the
action on; a past-due action is flagged overdue once. Then role × jurisdiction of every route.

Everything lives in 跃进街道 (130102005) of 长安区, one community per test; callers "out of area" are
of 育才街道 (130102004), the next street of the same county."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial

import httpx
import pytest
from support.authz import Case, Table, uncovered_routes
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id, wrap
from contracts.events.needs import MediationEscalated
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

STREET, OTHER_STREET = "130102005", "130102004"
FOUR = [
    {"actor": "social_org", "name": "王芳", "unit": "长安区阳光社工服务中心"},
    {"actor": "social_worker", "name": "李强", "unit": "跃进街道社工站"},
    {"actor": "volunteer", "name": "赵敏", "unit": "长安区志愿者协会"},
    {"actor": "charity", "name": "孙丽", "unit": "长安区慈善会"},
]
PARTICIPANTS = [
    {"actor": "party", "name": "张书记", "unit": "跃进街道社区党委"},
    {"actor": "community", "name": "刘主任", "unit": "社区居委会"},
    *FOUR,
]
_serial = itertools.count()


def later(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**(delta or {"days": 3}))).isoformat()


def bearer(token, role: str, area: str = STREET, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub or f'{role}-{area}')}"}


def meeting(area: str, **extra) -> dict:
    return {
        "area_code": area,
        "title": "党建联席会议",
        "scheduled_at": later(),
        "place": "社区党群服务中心",
        "participants": PARTICIPANTS,
        **extra,
    }


def action(kind: str = "other", **extra) -> dict:
    return {
        "kind": kind,
        "title": "入户走访独居老人",
        "details": "每周两次",
        "owner": "社工:跃进街道社工站",
        "due_at": later(days=14),
        **extra,
    }


def citizen_id() -> str:
    """A new valid citizen ID of 长安区, born in 1947 (this module's own range)."""
    n = next(_serial)
    first17 = f"130102{date(1947, 7, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return first17 + citizen_id_check_char(first17)


async def publish_escalation(js, area: str, reason: str = "邻里噪音纠纷调解未果") -> MediationEscalated:
    event = MediationEscalated(
        case_id=new_id(),
        need_id=new_id(),
        area_code=area,
        reason=reason,
        escalated_by="sw-mediator",
        escalated_at=datetime.now(UTC),
    )
    envelope = wrap(event, subject=str(event.case_id), area_code=area)
    for _ in range(2):  # delivered twice: one agenda item
        await js.publish(event_subject(MediationEscalated, area), envelope.model_dump_json().encode())
    return event


async def convene(party, token, area: str, **extra) -> dict:
    reply = await party.post("/joint-meetings", headers=bearer(token, "party_secretary"), json=meeting(area, **extra))
    assert reply.status_code == 201, reply.text
    return reply.json()


def field_of(reply) -> str:
    return reply.json()["errors"][0]["field"]


# --- flows --------------------------------------------------------------------------------------------


async def test_an_escalated_mediation_lands_in_the_agenda_once(party, token, js):
    community = f"{STREET}001"
    case = await publish_escalation(js, community)
    secretary = bearer(token, "party_secretary")

    async def on_agenda(escalated: MediationEscalated):
        items = (await party.get("/agenda-items", params={"area": community}, headers=secretary)).json()
        return [i for i in items if i["ref_id"] == str(escalated.case_id)] or None

    items = await eventually(lambda: on_agenda(case), "the escalated mediation in the agenda pool")
    # the consumer takes the stream in order: once a later escalation is in the pool, the duplicate
    # delivery before it has been handled too
    marker = await publish_escalation(js, community, "楼上漏水纠纷调解未果")
    await eventually(lambda: on_agenda(marker), "a later escalation in the agenda pool")
    assert len(await on_agenda(case)) == 1
    assert items[0]["kind"] == "dispute" and items[0]["area_code"] == community and items[0]["meeting_id"] is None
    assert "邻里噪音纠纷调解未果" in items[0]["summary"] and str(case.need_id) in items[0]["summary"]
    outsider = await party.get(
        "/agenda-items", params={"area": community}, headers=bearer(token, "party_secretary", OTHER_STREET)
    )
    assert outsider.status_code == 403 and field_of(outsider) == "area_code"


async def test_a_meeting_needs_all_four_actors_a_future_time_and_a_street_or_community(party, token):
    secretary, community = bearer(token, "party_secretary"), f"{STREET}002"
    for absent in ("charity", "social_org", "social_worker", "volunteer"):
        seats = [p for p in PARTICIPANTS if p["actor"] != absent]
        refused = await party.post("/joint-meetings", headers=secretary, json=meeting(community, participants=seats))
        assert refused.status_code == 422 and field_of(refused) == "participants", refused.text
        assert absent in refused.json()["detail"]
    past = await party.post("/joint-meetings", headers=secretary, json=meeting(community, scheduled_at=later(hours=-1)))
    assert past.status_code == 422 and field_of(past) == "scheduled_at"
    county = await party.post(
        "/joint-meetings", headers=bearer(token, "party_secretary", "130102"), json=meeting("130102")
    )
    assert county.status_code == 422 and field_of(county) == "area_code"
    unknown_actor = await party.post(
        "/joint-meetings",
        headers=secretary,
        json=meeting(community, participants=[*PARTICIPANTS, {"actor": "enterprise", "name": "某企业"}]),
    )
    assert unknown_actor.status_code == 422 and field_of(unknown_actor) == "participants.6.actor"


async def test_a_meeting_draws_the_open_agenda_of_its_area(party, token, js):
    community, neighbour = f"{STREET}003", f"{STREET}004"
    secretary, worker = bearer(token, "party_secretary"), bearer(token, "social_worker")
    case = await publish_escalation(js, community, "物业与业主停车纠纷")

    async def item_id(area: str, summary: str) -> str:
        reply = await party.post("/agenda-items", headers=worker, json={"area_code": area, "summary": summary})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    manual = await item_id(community, "老旧小区加装电梯意见不一")
    street_item = await item_id(STREET, "街道养老服务中心运营方案")
    neighbours = await item_id(neighbour, "邻社区的议题")

    async def dispute_open():
        items = (await party.get("/agenda-items", params={"area": community}, headers=secretary)).json()
        return next((i["id"] for i in items if i["ref_id"] == str(case.case_id)), None)

    dispute = await eventually(dispute_open, "the dispute in the pool")
    wrong = await party.post(
        "/joint-meetings", headers=secretary, json=meeting(community, agenda_item_ids=[neighbours])
    )
    assert wrong.status_code == 422 and field_of(wrong) == "agenda_item_ids"  # not this community's business

    created = await convene(party, token, community, agenda_item_ids=[street_item])
    assert {dispute, manual, street_item} <= set(created["agenda_item_ids"])
    assert neighbours not in created["agenda_item_ids"]
    view = (await party.get(f"/joint-meetings/{created['id']}", headers=worker)).json()
    assert view["status"] == "scheduled" and {p["actor"] for p in view["participants"]} >= {p["actor"] for p in FOUR}
    assert {i["id"] for i in view["agenda"]} == set(created["agenda_item_ids"])
    assert all(i["meeting_id"] == created["id"] for i in view["agenda"])
    still_open = {
        i["id"] for i in (await party.get("/agenda-items", params={"area": STREET}, headers=secretary)).json()
    }
    assert neighbours in still_open and not still_open & set(created["agenda_item_ids"])

    again = await party.post("/joint-meetings", headers=secretary, json=meeting(community, agenda_item_ids=[manual]))
    assert again.status_code == 409 and again.json()["rule"] == "one_meeting_per_item"
    listed = (await party.get("/joint-meetings", params={"area": community}, headers=worker)).json()
    assert created["id"] in [m["id"] for m in listed]


async def test_a_resolution_dispatches_a_volunteer_task_that_acceptance_moves_on(party, token):
    community = f"{STREET}005"
    secretary, worker = bearer(token, "party_secretary"), bearer(token, "social_worker")
    item = (
        await party.post(
            "/agenda-items", headers=worker, json={"area_code": community, "summary": "独居老人冬季取暖安全"}
        )
    ).json()["id"]
    created = await convene(party, token, community)
    assert item in created["agenda_item_ids"]
    meeting_id, need_id = created["id"], str(uuid.uuid4())

    no_money = await party.post(
        f"/joint-meetings/{meeting_id}/resolutions",
        headers=secretary,
        json={"text": "安排慈善资金", "actions": [action("other"), action("earmark_funds")]},
    )
    assert no_money.status_code == 422 and field_of(no_money) == "actions.1.amount_fen"
    elsewhere = await party.post(
        f"/joint-meetings/{meeting_id}/resolutions",
        headers=secretary,
        json={"agenda_item_id": str(uuid.uuid4()), "text": "无此议题"},
    )
    assert elsewhere.status_code == 422 and field_of(elsewhere) == "agenda_item_id"

    resolved = await party.post(
        f"/joint-meetings/{meeting_id}/resolutions",
        headers=secretary,
        json={
            "agenda_item_id": item,
            "text": "组织志愿者入户检查取暖设施，慈善会安排取暖补贴",
            "actions": [
                action(
                    "volunteer_task",
                    title="入户检查取暖设施",
                    details="检查煤气、电暖器",
                    need_id=need_id,
                    required_skills=["电工"],
                    owner="志愿者:长安区志愿者协会",
                ),
                action("earmark_funds", title="取暖补贴", amount_fen=300_000, owner="慈善:长安区慈善会"),
            ],
        },
    )
    assert resolved.status_code == 201, resolved.text
    task_action, money_action = resolved.json()["action_ids"]
    twice = await party.post(
        f"/joint-meetings/{meeting_id}/resolutions", headers=secretary, json={"agenda_item_id": item, "text": "再议"}
    )
    assert twice.status_code == 409 and twice.json()["rule"] == "one_resolution_per_item"

    view = (await party.get(f"/joint-meetings/{meeting_id}", headers=worker)).json()
    assert view["status"] == "held" and view["held_at"] and view["resolutions"][0]["agenda_item_id"] == item
    targets = {a["id"]: (a["target_service"], a["status"]) for a in view["actions"]}
    assert targets == {task_action: ("volunteers", "dispatched"), money_action: ("charity", "dispatched")}

    async def task_made():
        reply = await party.get(f"/tasks/{task_action}", headers=worker)
        return reply.json() if reply.status_code == 200 else None

    task = await eventually(task_made, "the volunteers service's task for the action")
    assert (task["source"], task["title"], task["description"]) == (
        "joint_meeting",
        "入户检查取暖设施",
        "检查煤气、电暖器",
    )
    assert task["need_id"] == need_id and task["required_skills"] == ["电工"] and task["slots"] == 1
    assert task["area_code"] == community and task["status"] == "open"

    volunteer = await party.post(
        "/volunteers",
        headers=worker,
        json={
            "name": "周师傅",
            "citizen_id": citizen_id(),
            "phone": "13900139471",
            "area_code": community,
            "skills": ["电工"],
        },
    )
    assert volunteer.status_code == 201, volunteer.text
    volunteer_id, ref = volunteer.json()["id"], volunteer.json()["volunteer_ref"]
    invited = await party.post(
        f"/tasks/{task_action}/invitations", headers=worker, json={"volunteer_ids": [volunteer_id]}
    )
    assert invited.status_code == 201, invited.text
    accepted = await party.post(
        f"/tasks/{task_action}/invitations/{volunteer_id}/response",
        headers=bearer(token, "volunteer", community, ref),
        json={"accept": True},
    )
    assert accepted.json()["status"] == "accepted", accepted.text

    async def under_way():
        actions = (
            await party.get("/meeting-actions", params={"area": community, "status": "in_progress"}, headers=worker)
        ).json()
        return next((a for a in actions if a["id"] == task_action), None)

    moved = await eventually(under_way, "the action moved on by TaskAccepted")
    assert (
        moved["progress"][-1]["reported_by"] == "volunteers:task_accepted" and "接单" in moved["progress"][-1]["note"]
    )
    money = next(
        a
        for a in (await party.get(f"/joint-meetings/{meeting_id}", headers=worker)).json()["actions"]
        if a["id"] == money_action
    )
    assert money["status"] == "dispatched"  # no task, no acceptance: only its owner reports on it

    done = await party.post(
        f"/meeting-actions/{task_action}/progress", headers=worker, json={"status": "done", "note": "已检查 12 户"}
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    reopened = await party.post(
        f"/meeting-actions/{task_action}/progress", headers=worker, json={"status": "in_progress"}
    )
    assert reopened.status_code == 409 and reopened.json()["state"] == "done"


async def a_later_deadline_check(party, token, conn) -> None:
    """Returns once the deadline check has run again: an action of another community (so that this
    test's own lists stay as they are) made past due now has been flagged overdue."""
    meeting_id = (await convene(party, token, f"{STREET}007"))["id"]
    resolved = await party.post(
        f"/joint-meetings/{meeting_id}/resolutions",
        headers=bearer(token, "party_secretary"),
        json={"text": "社区协商议事", "actions": [action("other")]},
    )
    assert resolved.status_code == 201, resolved.text
    [marker] = resolved.json()["action_ids"]
    await conn.execute(
        "UPDATE meeting_actions SET due_at = now() - interval '1 minute' WHERE id = $1", uuid.UUID(marker)
    )

    async def flagged() -> bool:
        return await conn.fetchval(
            "SELECT overdue_at IS NOT NULL FROM meeting_actions WHERE id = $1", uuid.UUID(marker)
        )

    await eventually(flagged, f"a later deadline check flagging action {marker}")


async def test_a_past_due_action_is_flagged_overdue_once(party, token, db):
    community = f"{STREET}006"
    secretary, worker = bearer(token, "party_secretary"), bearer(token, "social_worker")
    meeting_id = (await convene(party, token, community))["id"]
    body = {"text": "社区协商议事", "actions": [action("other"), action("propose_project", title="助餐服务项目")]}
    once = {**secretary, "Idempotency-Key": f"resolution-{meeting_id}"}
    resolved = await party.post(f"/joint-meetings/{meeting_id}/resolutions", headers=once, json=body)
    retried = await party.post(f"/joint-meetings/{meeting_id}/resolutions", headers=once, json=body)
    assert resolved.status_code == retried.status_code == 201 and retried.json() == resolved.json()  # dispatched once
    late, on_time = resolved.json()["action_ids"]
    conn = await db("party")
    await conn.execute("UPDATE meeting_actions SET due_at = now() - interval '1 minute' WHERE id = $1", uuid.UUID(late))

    async def flagged():
        actions = (
            await party.get("/meeting-actions", params={"area": community, "status": "overdue"}, headers=worker)
        ).json()
        return actions or None

    overdue = await eventually(flagged, "the deadline check flagging the late action")
    assert [a["id"] for a in overdue] == [late] and overdue[0]["overdue"] and overdue[0]["status"] == "dispatched"
    first = await conn.fetchval("SELECT overdue_at FROM meeting_actions WHERE id = $1", uuid.UUID(late))
    await a_later_deadline_check(party, token, conn)  # it met the late action again
    assert await conn.fetchval("SELECT overdue_at FROM meeting_actions WHERE id = $1", uuid.UUID(late)) == first

    done = (
        await party.post(
            f"/meeting-actions/{late}/progress",
            headers=bearer(token, "org_admin"),
            json={"status": "done", "note": "补办完成"},
        )
    ).json()
    assert done["status"] == "done" and not done["overdue"] and done["overdue_at"]  # late, but done
    assert (
        await party.get("/meeting-actions", params={"area": community, "status": "overdue"}, headers=worker)
    ).json() == []
    still = (
        await party.get("/meeting-actions", params={"area": community, "status": "dispatched"}, headers=worker)
    ).json()
    assert [a["id"] for a in still] == [on_time] and not still[0]["overdue"]


# --- role × jurisdiction -------------------------------------------------------------------------------

COMMUNITY = f"{STREET}009"  # the authz world's community
ROLES = ["party_secretary", "social_worker", "org_admin", "charity_admin", "civil_affairs", "volunteer", "resident"]
READ = ["party_secretary", "social_worker", "org_admin", "charity_admin", "civil_affairs"]
FOLLOW_UP = ["party_secretary", "social_worker", "org_admin", "charity_admin"]
ITEM = {"area_code": COMMUNITY, "summary": "社区停车位规划"}
RESOLUTION = {"text": "由社工站牵头调研", "actions": [action("other")]}
PROGRESS = {"status": "in_progress", "note": "已调研 3 个小区"}

# Each role of the street → ok if allowed, else 403; the allowed roles of the next street → `other` (403
# naming area_code, or 404 just like an unknown id); no token → 401. The ids name the callers "role@area".
table = Table(home=STREET, other=OTHER_STREET, roles=ROLES, names={STREET: STREET, OTHER_STREET: OTHER_STREET})
route = partial(table.route, other_denied=None)  # the next street: its allowed roles only

TABLE = [
    *route("GET", f"/agenda-items?area={COMMUNITY}", 200, allowed=READ, other=403),
    *route("POST", "/agenda-items", 201, allowed=["party_secretary", "social_worker"], other=403, body=ITEM),
    *route("POST", "/joint-meetings", 201, allowed=["party_secretary"], other=403, body="{meeting_body}"),
    *route("GET", f"/joint-meetings?area={COMMUNITY}", 200, allowed=READ, other=403),
    *route("GET", "/joint-meetings/{meeting}", 200, allowed=READ, other=404),
    *route(
        "POST", "/joint-meetings/{meeting}/resolutions", 201, allowed=["party_secretary"], other=404, body=RESOLUTION
    ),
    *route("GET", f"/meeting-actions?area={COMMUNITY}", 200, allowed=READ, other=403),
    *route("POST", "/meeting-actions/{action}/progress", 200, allowed=FOLLOW_UP, other=404, body=PROGRESS),
]


async def build_world(base_url: str, token) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        created = (
            await client.post("/joint-meetings", headers=bearer(token, "party_secretary"), json=meeting(COMMUNITY))
        ).json()
        resolved = await client.post(
            f"/joint-meetings/{created['id']}/resolutions", headers=bearer(token, "party_secretary"), json=RESOLUTION
        )
        assert resolved.status_code == 201, resolved.text
    return {"meeting": created["id"], "action": resolved.json()["action_ids"][0]}


@pytest.fixture(scope="module")
def world(party_api, token) -> dict[str, str]:
    return run_in_thread(build_world(party_api, token))


def test_the_table_covers_every_route():
    from services.party.meetings.api import router

    assert not uncovered_routes([router], ((c.method, c.path) for c in TABLE))


@pytest.mark.parametrize("case", TABLE, ids=str)
async def test_role_and_jurisdiction(case: Case, world, party, token):
    headers = bearer(token, *case.caller.split("@")) if case.caller else {}
    body = meeting(COMMUNITY) if case.body == "{meeting_body}" else case.body
    reply = await party.request(case.method, case.path.format(**world), json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.field:
        assert field_of(reply) == case.field, reply.text
    if case.expect == 404:  # exactly what an unknown id gets: nothing learnt
        unknown = {k: str(uuid.uuid4()) for k in world}
        baseline = await party.request(case.method, case.path.format(**unknown), json=body, headers=headers)
        assert baseline.status_code == 404
        assert anonymous(reply, {v: k for k, v in world.items()}) == anonymous(
            baseline, {v: k for k, v in unknown.items()}
        )
    if case.expect == 200 and case.method == "GET":
        assert world["meeting"] in reply.text or world["action"] in reply.text or "agenda" in case.path, reply.text
