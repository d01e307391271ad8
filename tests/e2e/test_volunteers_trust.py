"""Trust in volunteer hours (issue 12): hours that never happened are refused, a record longer
than a working day needs the verifier's explicit override, an organization sees and works on its
own tasks only, and the verifiers and workers have their lists (hours to verify, registered
volunteers). Through the gateway with dev tokens.

Everything lives in communities 130102001012/013 of 长安区, which no other module uses; the
volunteers have a skill of this module's own (修伞), so nobody else's matching meets them.
Citizen IDs here are born in 1966."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from support.problems import anonymous
from support.waiting import eventually

from contracts.envelope import wrap
from contracts.events.projects import VolunteerTaskRequested
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

COUNTY, QIAOXI = "130102", "130104"
COMMUNITY, ROLL = "130102001012", "130102001013"  # the hours here; the roll of volunteers there
SKILL = "修伞"
_serial = itertools.count()


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


@pytest.fixture
def worker(token):
    return bearer(token, "social_worker", "sw-trust")


def ago(**delta) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(**delta)


def iso(at: datetime) -> str:
    return at.isoformat()


async def ok(reply, status: int = 200) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()


def refused(reply, field: str, *, bilingual: bool = True) -> str:
    """A 422 naming `field`, its message in Chinese then English (a rule's; a malformed query
    parameter gets the framework's message)."""
    assert reply.status_code == 422, reply.text
    error = reply.json()["errors"][0]
    assert error["field"] == field and (" / " in error["message"] or not bilingual), reply.text
    return error["message"]


async def register(client, worker, area: str = COMMUNITY, name: str = "柳一", skills=(SKILL,)) -> dict:
    n = next(_serial)
    first17 = f"{COUNTY}1966{1 + n // 28:02d}{1 + n % 28:02d}{n % 1000:03d}"
    body = {
        "name": name,
        "citizen_id": first17 + citizen_id_check_char(first17),
        "phone": f"1390066{n:04d}",
        "area_code": area,
        "skills": list(skills),
    }
    created = await ok(await client.post("/volunteers", headers=worker, json=body), 201)
    return {**created, **body}


async def accepted_task(client, worker, organizer: dict, *volunteers: dict, window: tuple | None = None) -> str:
    """A task the organizer created, which the volunteers accepted."""
    task = {"area_code": COMMUNITY, "title": "社区修伞服务", "slots": len(volunteers)}
    if window:
        task["time_window"] = {"start": iso(window[0]), "end": iso(window[1])}
    task_id = (await ok(await client.post("/tasks", headers=organizer, json=task), 201))["id"]
    await ok(
        await client.post(
            f"/tasks/{task_id}/invitations", headers=worker, json={"volunteer_ids": [v["id"] for v in volunteers]}
        ),
        201,
    )
    for v in volunteers:
        await ok(
            await client.post(f"/tasks/{task_id}/invitations/{v['id']}/response", headers=worker, json={"accept": True})
        )
    return task_id


async def enter(client, who, task_id: str, volunteer: dict, check_in: datetime, minutes: int):
    return await client.post(
        f"/tasks/{task_id}/hours",
        headers=who,
        json={
            "volunteer_id": volunteer["id"],
            "check_in": iso(check_in),
            "check_out": iso(check_in + timedelta(minutes=minutes)),
        },
    )


async def balance(client, worker, volunteer: dict) -> int:
    return (await ok(await client.get(f"/timebank/volunteers/{volunteer['id']}", headers=worker)))["balance_units"]


# --- hours that never happened -------------------------------------------------------------------


async def test_a_check_in_in_the_future_is_refused(client, worker, token):
    """The issue's case: check in 30 days ahead, check out 660 minutes later — nothing is logged."""
    v = await register(client, worker)
    task_id = await accepted_task(client, worker, worker, v)
    me = bearer(token, "volunteer", v["volunteer_ref"], COMMUNITY)
    base = f"/tasks/{task_id}/volunteers/{v['id']}"
    future = ago(days=-30)
    refused(await client.post(f"{base}/check-in", headers=me, json={"at": iso(future)}), "at")
    out = await client.post(f"{base}/check-out", headers=me, json={"at": iso(future + timedelta(minutes=660))})
    assert out.status_code == 409  # no check-in was recorded to check out of
    refused(await enter(client, worker, task_id, v, future, 660), "check_in")
    refused(await enter(client, worker, task_id, v, ago(minutes=30), 60), "check_out")  # ends in half an hour
    service = await ok(await client.get("/hours", headers=worker, params={"area": COMMUNITY, "status": "open"}))
    assert v["id"] not in str(service) and await balance(client, worker, v) == 0

    # a clock a minute ahead is not a lie; the check-out then ends the service
    await ok(await client.post(f"{base}/check-in", headers=me, json={"at": iso(ago(minutes=90))}), 201)
    refused(await client.post(f"{base}/check-out", headers=me, json={"at": iso(ago(minutes=-10))}), "at")
    log_id = (await ok(await client.post(f"{base}/check-out", headers=me, json={"at": iso(ago(minutes=-1))})))["log_id"]
    log = await ok(await client.get(f"/hours/{log_id}", headers=worker))
    assert log["minutes"] == 91 and log["status"] == "logged" and log["needs_override"] is False


async def test_hours_must_lie_in_the_task_window_give_or_take_two_hours(client, worker, token):
    v = await register(client, worker)
    start = ago(days=2)
    end = start + timedelta(hours=2)
    task_id = await accepted_task(client, worker, worker, v, window=(start, end))
    me = bearer(token, "volunteer", v["volunteer_ref"], COMMUNITY)
    base = f"/tasks/{task_id}/volunteers/{v['id']}"

    message = refused(
        await client.post(f"{base}/check-in", headers=me, json={"at": iso(start - timedelta(hours=3))}), "at"
    )
    assert "任务时段" in message and "window" in message
    refused(await enter(client, worker, task_id, v, start - timedelta(hours=2, minutes=5), 60), "check_in")
    refused(await enter(client, worker, task_id, v, end, 121), "check_out")  # 2 h 1 min after the window's end
    refused(await enter(client, worker, task_id, v, start + timedelta(days=1), 60), "check_in")  # the next day

    await ok(await client.post(f"{base}/check-in", headers=me, json={"at": iso(start - timedelta(hours=1))}), 201)
    refused(await client.post(f"{base}/check-out", headers=me, json={"at": iso(end + timedelta(hours=3))}), "at")
    log_id = (await ok(await client.post(f"{base}/check-out", headers=me, json={"at": iso(end + timedelta(hours=1))})))[
        "log_id"
    ]
    assert (await ok(await client.get(f"/hours/{log_id}", headers=worker)))["minutes"] == 240  # 1 h early, 1 h late
    entered = await ok(
        await enter(client, worker, task_id, v, end + timedelta(hours=1), 60), 201
    )  # the tolerance's edge
    assert (await ok(await client.get(f"/hours/{entered['log_id']}", headers=worker)))["minutes"] == 60


# --- a record longer than a working day ------------------------------------------------------------


async def test_a_record_longer_than_eight_hours_is_verified_only_with_an_override(client, worker):
    v = await register(client, worker)
    task_id = await accepted_task(client, worker, worker, v)
    long_id = (await ok(await enter(client, worker, task_id, v, ago(days=3), 660), 201))["log_id"]
    plain_id = (await ok(await enter(client, worker, task_id, v, ago(days=2), 480), 201))["log_id"]  # at the limit
    long = await ok(await client.get(f"/hours/{long_id}", headers=worker))
    assert long["status"] == "logged" and long["needs_override"] is True and long["flagged"] is False  # < 12 h a day
    assert (await ok(await client.get(f"/hours/{plain_id}", headers=worker)))["needs_override"] is False

    verify = f"/hours/{long_id}/verification"
    refused(await client.post(verify, headers=worker, json={"approve": True}), "override")
    refused(await client.post(verify, headers=worker, json={"approve": True, "reason": "活动一整天"}), "override")
    refused(await client.post(verify, headers=worker, json={"approve": True, "override": True}), "reason")
    assert await balance(client, worker, v) == 0
    assert (await ok(await client.get(f"/hours/{long_id}", headers=worker)))["status"] == "logged"

    await ok(await client.post(f"/hours/{plain_id}/verification", headers=worker, json={"approve": True}))
    assert await balance(client, worker, v) == 800  # 8 h at 1 credit an hour, 100 units a credit
    reason = "重阳节全天活动，现场签到表为证"
    done = await ok(
        await client.post(verify, headers=worker, json={"approve": True, "override": True, "reason": reason})
    )
    assert done["status"] == "verified" and await balance(client, worker, v) == 800 + 1100
    assert (await ok(await client.get(f"/hours/{long_id}", headers=worker)))["reason"] == reason

    # a rejection needs no override: the volunteer's other long day is refused outright
    other = (await ok(await enter(client, worker, task_id, v, ago(days=4), 600), 201))["log_id"]
    rejected = await ok(
        await client.post(
            f"/hours/{other}/verification", headers=worker, json={"approve": False, "reason": "无签到记录"}
        )
    )
    assert rejected["status"] == "rejected" and await balance(client, worker, v) == 1900


# --- an organization's own tasks -------------------------------------------------------------------


async def test_an_organization_reaches_only_its_own_tasks(client, worker, token, js):
    """Two organizations of the same district: each lists, reads, codes, enters and verifies the
    hours of its own tasks (by hand or through its project); the other's answer like missing ones."""
    org_a, org_b = bearer(token, "org_admin", "org-trust-a"), bearer(token, "org_admin", "org-trust-b")
    v = await register(client, worker)
    task_a = await accepted_task(client, worker, org_a, v)
    task_b = await accepted_task(client, worker, org_b, v)
    log_b = (await ok(await enter(client, worker, task_b, v, ago(days=5), 120), 201))["log_id"]

    # a project of organization A asks for volunteers: its task is A's too
    project_task = str(uuid.uuid4())
    asked = VolunteerTaskRequested(
        task_id=project_task,
        project_id=uuid.uuid4(),
        area_code=COMMUNITY,
        title="项目陪诊",
        slots=1,
        requested_by="org-trust-a",
        requested_at=ago(minutes=1),
    )
    envelope = wrap(asked, subject=project_task, area_code=COMMUNITY)
    await js.publish(
        event_subject(VolunteerTaskRequested, COMMUNITY),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.id)},
    )

    async def opened():
        return (await client.get(f"/tasks/{project_task}", headers=worker)).status_code == 200

    await eventually(opened, "the project's task at the volunteers service")

    listed_a = {t["id"] for t in await ok(await client.get("/tasks", headers=org_a))}
    listed_b = {t["id"] for t in await ok(await client.get("/tasks", headers=org_b))}
    assert listed_a == {task_a, project_task} and listed_b == {task_b}
    assert {task_a, task_b, project_task} <= {t["id"] for t in await ok(await client.get("/tasks", headers=worker))}
    assert (await ok(await client.get(f"/tasks/{project_task}", headers=org_a)))["source"] == "project"

    unknown = str(uuid.uuid4())
    names = {task_b: "<task>", unknown: "<task>", log_b: "<log>"}
    for method, path, body in (
        ("GET", "/tasks/{}", None),
        ("POST", "/tasks/{}/checkin-codes", None),
        (
            "POST",
            "/tasks/{}/hours",
            {"volunteer_id": v["id"], "check_in": iso(ago(days=6)), "check_out": iso(ago(days=6, minutes=-60))},
        ),
    ):
        theirs = await client.request(method, path.format(task_b), headers=org_a, json=body)
        missing = await client.request(method, path.format(unknown), headers=org_a, json=body)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert anonymous(theirs, names) == anonymous(missing, names)
    for method, path, body in (("GET", "/hours/{}", None), ("POST", "/hours/{}/verification", {"approve": True})):
        theirs = await client.request(method, path.format(log_b), headers=org_a, json=body)
        missing = await client.request(method, path.format(unknown), headers=org_a, json=body)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert anonymous(theirs, names) == anonymous(missing, {unknown: "<log>"})
    assert (await ok(await client.get(f"/hours/{log_b}", headers=worker)))["status"] == "logged"  # untouched
    assert await balance(client, worker, v) == 0

    # on its own task, all of it works
    assert (await ok(await client.post(f"/tasks/{task_a}/checkin-codes", headers=org_a), 201))["code"]
    log_a = (await ok(await enter(client, org_a, task_a, v, ago(days=6), 60), 201))["log_id"]
    queue_a = await ok(await client.get("/hours", headers=org_a, params={"area": COMMUNITY}))
    queue_b = await ok(await client.get("/hours", headers=org_b, params={"area": COMMUNITY}))
    assert [i["log_id"] for i in queue_a["items"]] == [log_a] and [i["log_id"] for i in queue_b["items"]] == [log_b]
    await ok(await client.post(f"/hours/{log_a}/verification", headers=org_a, json={"approve": True}))
    await ok(await client.post(f"/hours/{log_b}/verification", headers=org_b, json={"approve": True}))
    assert await balance(client, worker, v) == 100 + 200


# --- the verifiers' list -----------------------------------------------------------------------------


async def test_the_hours_waiting_for_verification(client, worker, token):
    people = [await register(client, worker, name=name) for name in ("欧阳春", "柳二", "柳三")]
    task_id = await accepted_task(client, worker, worker, *people)
    older = (await ok(await enter(client, worker, task_id, people[0], ago(days=9), 540), 201))["log_id"]
    newer = (await ok(await enter(client, worker, task_id, people[1], ago(days=8), 45), 201))["log_id"]
    done = (await ok(await enter(client, worker, task_id, people[2], ago(days=7), 30), 201))["log_id"]
    await ok(await client.post(f"/hours/{done}/verification", headers=worker, json={"approve": True}))

    queue = await ok(await client.get("/hours", headers=worker, params={"area": COMMUNITY, "status": "logged"}))
    mine = [i for i in queue["items"] if i["task_id"] == task_id]
    assert [i["log_id"] for i in mine] == [newer, older]  # newest first; the verified one is not waiting
    first = mine[1]
    assert first["volunteer_name"] == "欧**" and first["task_title"] == "社区修伞服务" and first["minutes"] == 540
    assert first["needs_override"] is True and first["flagged"] is False and first["check_out"]
    assert "欧阳春" not in str(queue) and people[0]["citizen_id"] not in str(queue)
    verified = await ok(await client.get("/hours", headers=worker, params={"area": COMMUNITY, "status": "verified"}))
    assert done in [i["log_id"] for i in verified["items"]] and newer not in str(verified)
    page = await ok(await client.get("/hours", headers=worker, params={"area": COMMUNITY, "limit": 1, "offset": 1}))
    assert page["total"] == queue["total"] and [i["log_id"] for i in page["items"]] == [queue["items"][1]["log_id"]]

    refused(await client.get("/hours", headers=worker, params={"limit": 201}), "limit", bilingual=False)
    refused(await client.get("/hours", headers=worker, params={"offset": 10**8}), "offset", bilingual=False)
    refused(await client.get("/hours", headers=worker, params={"status": "approved"}), "status", bilingual=False)
    refused(await client.get("/hours", headers=worker, params={"area": "139999"}), "area")
    qiaoxi = bearer(token, "social_worker", "sw-qiaoxi", QIAOXI)
    outside = await client.get("/hours", headers=qiaoxi, params={"area": COMMUNITY})
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "area_code"
    assert older not in str(await ok(await client.get("/hours", headers=qiaoxi)))
    assert (await client.get("/hours", headers=bearer(token, "grid_worker", "gw-trust"))).status_code == 403
    # the single record is still its own route
    assert (await ok(await client.get(f"/hours/{older}", headers=worker)))["id"] == older
    assert (await client.get("/hours/not-a-log", headers=worker)).status_code == 422


# --- the roll of volunteers --------------------------------------------------------------------------


async def test_the_roll_of_registered_volunteers(client, worker, token):
    tutor = await register(client, worker, ROLL, "司马光", skills=("课业辅导",))
    barber = await register(client, worker, ROLL, "柳理", skills=("理发", SKILL))
    mender = await register(client, worker, ROLL, "柳修", skills=(SKILL,))
    roll = await ok(await client.get("/volunteers", headers=worker, params={"area": ROLL}))
    assert [v["id"] for v in roll["items"]] == [mender["id"], barber["id"], tutor["id"]]  # newest first
    assert roll["total"] == 3
    first = roll["items"][2]
    assert first["name"] == "司**" and first["phone"] == f"{tutor['phone'][:3]}****{tutor['phone'][-4:]}"
    assert first["skills"] == ["课业辅导"] and first["area_code"] == ROLL and "citizen_id" not in first
    text = str(roll)
    for p in (tutor, barber, mender):
        assert p["name"] not in text and p["citizen_id"] not in text
        assert p["phone"] not in text

    def ids(reply):
        return [v["id"] for v in reply["items"]]

    assert ids(await ok(await client.get("/volunteers", headers=worker, params={"area": ROLL, "skill": SKILL}))) == [
        mender["id"],
        barber["id"],
    ]
    assert ids(await ok(await client.get("/volunteers", headers=worker, params={"area": ROLL, "q": "司马"}))) == [
        tutor["id"]
    ]
    by_phone = await ok(
        await client.get("/volunteers", headers=worker, params={"area": ROLL, "q": barber["phone"][-4:]})
    )
    assert ids(by_phone) == [barber["id"]]
    page = await ok(await client.get("/volunteers", headers=worker, params={"area": ROLL, "limit": 1, "offset": 1}))
    assert ids(page) == [barber["id"]] and page["total"] == 3
    searched = await ok(
        await client.get("/volunteers", headers=worker, params={"area": ROLL, "q": "柳", "limit": 1, "offset": 1})
    )
    assert ids(searched) == [barber["id"]] and searched["total"] == 2

    refused(await client.get("/volunteers", headers=worker, params={"limit": 0}), "limit", bilingual=False)
    refused(await client.get("/volunteers", headers=worker, params={"area": "13010"}), "area")
    qiaoxi = bearer(token, "social_worker", "sw-qiaoxi", QIAOXI)
    outside = await client.get("/volunteers", headers=qiaoxi, params={"area": ROLL})
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "area_code"
    assert tutor["id"] not in str(await ok(await client.get("/volunteers", headers=qiaoxi)))
    for role in ("org_admin", "civil_affairs", "auditor"):
        assert (await client.get("/volunteers", headers=bearer(token, role, f"{role}-trust"))).status_code == 403
    # the neighbouring routes still answer as before
    one = await ok(await client.get(f"/volunteers/{tutor['id']}", headers=worker))
    assert one["name"] == "司**" and one["masked"] is True
    stats = await ok(await client.get("/volunteers/stats", headers=worker, params={"area": ROLL}))
    assert stats["area"] == ROLL and stats["registered"] == 3
