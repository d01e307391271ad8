"""A need routed to volunteers becomes a task; the best volunteer is found, accepts, checks in
and out; the hours are verified, credits appear, and the need's timeline shows it — all
through the gateway with dev tokens."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from support.waiting import eventually

from contracts.values import citizen_id_check_char

COMMUNITY, NEIGHBOUR_TOWNSHIP = "130102001001", "130102002001"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def last_monday_9() -> datetime:
    """09:00 of the last Monday before today (Beijing time): hours served then really happened."""
    today = datetime.now(SHANGHAI).date()
    return datetime.combine(today - timedelta(days=today.weekday() or 7), time(9), SHANGHAI)


MONDAY_9 = last_monday_9()
WINDOW = {"start": MONDAY_9.isoformat(), "end": (MONDAY_9 + timedelta(hours=2)).isoformat()}  # a Monday morning


def cid(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


def volunteer(name: str, first17: str, area: str, skills: list[str], **extra) -> dict:
    return {
        "name": name,
        "citizen_id": cid(first17),
        "phone": "13900139" + first17[-3:],
        "area_code": area,
        "skills": skills,
        "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
        **extra,
    }


@pytest.fixture
def worker(token):
    return {"Authorization": f"Bearer {token('social_worker', '130102', 'sw-zhang')}"}


async def test_need_to_task_to_match_to_hours_to_credits(client, worker, token, js):
    # two volunteers: one next door with the right skills, one further away without them
    near = await client.post(
        "/volunteers",
        headers=worker,
        json=volunteer("陈一", "13010219900101001", COMMUNITY, ["送餐", "陪伴"], party_member=True),
    )
    far = await client.post(
        "/volunteers", headers=worker, json=volunteer("陈二", "13010219900101002", NEIGHBOUR_TOWNSHIP, ["理发"])
    )
    assert near.status_code == far.status_code == 201, near.text + far.text
    near_id, near_ref = near.json()["id"], near.json()["volunteer_ref"]

    need = await client.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "meal_aid",
            "description": "独居老人需要送午餐",
            "required_skills": ["送餐"],
            "time_window": WINDOW,
            "resident": {"name": "林奶奶", "phone": "13700137001", "citizen_id": cid("13010219400101001")},
        },
    )
    need_id = need.json()["id"]
    await client.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={"category": "meal_aid", "urgency": "major", "service_plan": "每周一上午送餐", "route": "volunteer_task"},
    )

    async def task_created():
        reply = await client.get(f"/tasks/by-need/{need_id}", headers=worker)
        return reply.json() if reply.status_code == 200 else None

    task = await eventually(task_created, "the task created from NeedRouted")
    assert task["required_skills"] == ["送餐"] and task["source"] == "need_routed"

    ranked = (await client.get(f"/tasks/{task['id']}/candidates", params={"limit": 100}, headers=worker)).json()
    assert ranked[0]["volunteer_id"] == near_id and ranked[0]["name"] == "陈*"
    parts = {p["name"]: p for p in ranked[0]["parts"]}
    assert parts["skills"]["value"] == 1.0 and parts["distance"]["why"] == "同一社区"
    assert parts["availability"]["value"] == 1.0
    far_rank = [r["volunteer_id"] for r in ranked].index(far.json()["id"])  # other modules' volunteers share the county
    assert ranked[far_rank]["score"] < ranked[0]["score"]

    assert (
        await client.post(f"/tasks/{task['id']}/invitations", headers=worker, json={"volunteer_ids": [near_id]})
    ).status_code == 201
    me = {"Authorization": f"Bearer {token('volunteer', COMMUNITY, near_ref)}"}
    accepted = await client.post(
        f"/tasks/{task['id']}/invitations/{near_id}/response", headers=me, json={"accept": True}
    )
    assert accepted.json()["status"] == "accepted"

    async def need_matched():
        body = (await client.get(f"/needs/{need_id}", headers=worker)).json()
        return body if body["need"]["status"] == "matched" else None

    await eventually(need_matched, "the need matched by TaskAccepted")

    start = (MONDAY_9 + timedelta(minutes=5)).astimezone(UTC)
    assert (
        await client.post(
            f"/tasks/{task['id']}/volunteers/{near_id}/check-in", headers=me, json={"at": start.isoformat()}
        )
    ).status_code == 201
    out = await client.post(
        f"/tasks/{task['id']}/volunteers/{near_id}/check-out",
        headers=me,
        json={"at": (start + timedelta(minutes=90)).isoformat()},
    )
    log_id = out.json()["log_id"]
    log = (await client.get(f"/hours/{log_id}", headers=worker)).json()
    assert log["minutes"] == 90 and log["status"] == "logged" and log["provenance"] == "self_check_in"

    overlapping = await client.post(
        f"/tasks/{task['id']}/hours",
        headers=worker,
        json={
            "volunteer_id": near_id,
            "check_in": (start + timedelta(minutes=30)).isoformat(),
            "check_out": (start + timedelta(minutes=120)).isoformat(),
        },
    )
    assert overlapping.status_code == 422 and overlapping.json()["errors"][0]["field"] == "check_in"

    verified = await client.post(f"/hours/{log_id}/verification", headers=worker, json={"approve": True})
    assert verified.json()["status"] == "verified"
    balance = (await client.get(f"/timebank/volunteers/{near_id}", headers=me)).json()
    assert balance["balance_units"] == 150 and balance["balance_credits"] == "1.50"  # 1.5 h at 1 credit an hour

    async def on_timeline():
        kinds = [e["kind"] for e in (await client.get(f"/needs/{need_id}/timeline", headers=worker)).json()]
        return kinds if "hours_verified" in kinds else None

    kinds = await eventually(on_timeline, "hours on the need's timeline")
    assert kinds.index("task_accepted") < kinds.index("hours_verified")

    # what the volunteers service published about this task, and that no personal data went out
    published = [
        orjson.loads((await js.get_msg("VOLUNTEERS", seq)).data)
        for seq in range(1, (await js.stream_info("VOLUNTEERS")).state.last_seq + 1)
    ]
    mine = [e["type"].split(".")[3] for e in published if e["data"].get("task_id") == task["id"]]
    assert mine == ["task_accepted", "hours_logged", "hours_verified"]
    everything = b"".join(orjson.dumps(e) for e in published)
    for secret in ("陈一", cid("13010219900101001"), "13900139001"):
        assert secret.encode() not in everything


async def test_batch_assignment_beats_greedy_and_invites(client, worker):
    ids = []
    for i, (skills, area) in enumerate([(["理发"], COMMUNITY), (["理发", "送餐"], COMMUNITY)]):
        reply = await client.post(
            "/volunteers", headers=worker, json=volunteer(f"黄{'一二'[i]}", f"1301021985020100{i}", area, skills)
        )
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])
    tasks = []
    for skills in (["理发", "送餐"], ["理发"]):
        created = await client.post(
            "/tasks",
            headers=worker,
            json={"area_code": COMMUNITY, "title": "上门服务", "required_skills": skills, "time_window": WINDOW},
        )
        tasks.append(created.json()["id"])
    result = (await client.post("/tasks/batch-assignment", headers=worker, json={"task_ids": tasks})).json()
    assert result["total_score"] >= result["greedy_total_score"]
    assert {a["task_id"] for a in result["assignments"]} == set(tasks)


async def test_registration_rules(client, worker):
    child = volunteer("小周", "13010220150101001", COMMUNITY, [])  # 11 years old
    assert (await client.post("/volunteers", headers=worker, json=child)).json()["errors"][0]["field"] == "citizen_id"
    teen = volunteer("小吴", "13010220100101001", COMMUNITY, [])  # 16: needs the guardian
    assert (await client.post("/volunteers", headers=worker, json=teen)).json()["errors"][0][
        "field"
    ] == "guardian_consent"
    teen["guardian_consent"] = {
        "guardian_name": "吴父",
        "guardian_phone": "13600136009",
        "given_at": "2026-11-20T10:00:00+08:00",
    }
    assert (await client.post("/volunteers", headers=worker, json=teen)).status_code == 201
    again = await client.post("/volunteers", headers=worker, json=teen)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "citizen_id"


async def test_one_time_check_in_code(client, worker, token):
    reply = await client.post(
        "/volunteers", headers=worker, json=volunteer("郑三", "13010219880303003", COMMUNITY, ["陪伴"])
    )
    vid, ref = reply.json()["id"], reply.json()["volunteer_ref"]
    me = {"Authorization": f"Bearer {token('volunteer', COMMUNITY, ref)}"}
    task_id = (
        await client.post("/tasks", headers=worker, json={"area_code": COMMUNITY, "title": "重阳节陪伴"})
    ).json()["id"]
    await client.post(f"/tasks/{task_id}/invitations", headers=worker, json={"volunteer_ids": [vid]})
    await client.post(f"/tasks/{task_id}/invitations/{vid}/response", headers=me, json={"accept": True})
    assert (await client.post(f"/tasks/{task_id}/checkin-codes", headers=me)).status_code == 403
    code = (await client.post(f"/tasks/{task_id}/checkin-codes", headers=worker)).json()["code"]
    wrong = await client.post(f"/tasks/{task_id}/volunteers/{vid}/check-in", headers=me, json={"code": "ZZZZZZZZZZ"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "code"
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    checked_in = await client.post(
        f"/tasks/{task_id}/volunteers/{vid}/check-in", headers=me, json={"code": code, "at": an_hour_ago}
    )
    assert checked_in.status_code == 201
    too_soon = await client.post(f"/tasks/{task_id}/volunteers/{vid}/check-out", headers=me, json={"at": an_hour_ago})
    assert too_soon.status_code == 422 and too_soon.json()["errors"][0]["field"] == "check_out"
    out = await client.post(f"/tasks/{task_id}/volunteers/{vid}/check-out", headers=me, json={})
    log = (await client.get(f"/hours/{out.json()['log_id']}", headers=worker)).json()
    assert log["code_checked"] is True
    reused = await client.post(f"/tasks/{task_id}/volunteers/{vid}/check-in", headers=me, json={"code": code})
    assert reused.status_code == 422  # one time only


async def test_an_organization_verifies_the_hours_of_its_own_task(client, worker, token):
    org = {"Authorization": f"Bearer {token('org_admin', '130102', 'org-qinghe')}"}
    reply = await client.post("/volunteers", headers=worker, json=volunteer("冯四", "13010219870404004", COMMUNITY, []))
    vid = reply.json()["id"]
    task_id = (await client.post("/tasks", headers=org, json={"area_code": COMMUNITY, "title": "助老讲座"})).json()[
        "id"
    ]
    await client.post(f"/tasks/{task_id}/invitations", headers=worker, json={"volunteer_ids": [vid]})
    await client.post(f"/tasks/{task_id}/invitations/{vid}/response", headers=worker, json={"accept": True})
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    log = await client.post(
        f"/tasks/{task_id}/hours",
        headers=worker,
        json={
            "volunteer_id": vid,
            "check_in": start.isoformat(),
            "check_out": (start + timedelta(hours=2)).isoformat(),
        },
    )
    verified = await client.post(f"/hours/{log.json()['log_id']}/verification", headers=org, json={"approve": True})
    assert verified.json()["status"] == "verified"
