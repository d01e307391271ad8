"""A volunteer's own page (我的志愿服务) through the gateway, with the volunteer's own token: the open
tasks of their county offered (those elsewhere not), signing up, checking in and out, the hours
waiting and then verified, the credits they earn, a certificate — each visible on the one page,
labelled in Chinese and English, never a raw code.

Everything lives in community 130102001014 of 长安区, which no other module uses; the task's skill
(磨刀) is this module's own, and the citizen IDs here are born in 1971."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from contracts.values import citizen_id_check_char
from kit.months import LOCAL

COUNTY, COMMUNITY, ELSEWHERE = "130102", "130102001014", "130104001001"
SKILL = "磨刀"
_serial = itertools.count()


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def ok(reply, status: int = 200) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()


@pytest.fixture
def worker(token):
    return bearer(token, "social_worker", "sw-self-service")


def citizen_id() -> str:
    n = next(_serial)
    first17 = f"{COUNTY}1971{1 + n % 12:02d}15{n:03d}"
    return first17 + citizen_id_check_char(first17)


async def register(client, worker, name: str = "岳飞") -> dict:
    body = {
        "name": name,
        "citizen_id": citizen_id(),
        "phone": f"1390071{next(_serial):04d}",
        "area_code": COMMUNITY,
        "skills": [SKILL, "陪诊"],
    }
    return await ok(await client.post("/volunteers", headers=worker, json=body), 201)


async def task(client, who, area: str, title: str, start: datetime, hours: float = 3) -> str:
    body = {
        "area_code": area,
        "title": title,
        "required_skills": [SKILL],
        "slots": 1,
        "time_window": {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()},
    }
    return (await ok(await client.post("/tasks", headers=who, json=body), 201))["id"]


async def test_a_volunteer_signs_up_serves_and_sees_hours_credits_and_certificate(client, worker, token):
    volunteer = await register(client, worker)
    me = bearer(token, "volunteer", volunteer["volunteer_ref"], COMMUNITY)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    here = await task(client, worker, COMMUNITY, "为独居老人磨刀", started)
    qiaoxi = bearer(token, "social_worker", "sw-qiaoxi", "130104")
    there = await task(client, qiaoxi, ELSEWHERE, "桥西区磨刀服务", started)

    page = await ok(await client.get("/volunteers/me", headers=me))
    offered = {o["task"]["id"]: o for o in page["open_tasks"]}
    assert here in offered and there not in offered  # a task of another county is not offered
    assert offered[here]["matching_skills"] == [SKILL] and page["tasks"] == []
    assert page["name"] == "岳*" and page["skills"] == [SKILL, "陪诊"]

    assert await ok(await client.post(f"/tasks/{here}/sign-up", headers=me)) == {"status": "accepted"}
    again = await client.post(f"/tasks/{here}/sign-up", headers=me)
    assert again.status_code == 409 and "已报名" in again.json()["detail"]
    assert (await client.post(f"/tasks/{there}/sign-up", headers=me)).status_code == 404

    page = await ok(await client.get("/volunteers/me", headers=me))
    [mine] = page["tasks"]
    assert (mine["task"]["id"], mine["my_status"], mine["my_status_label"]) == (here, "accepted", "已报名 / Signed up")
    assert mine["task_status_label"] == "已满员 / Filled" and mine["can_check_in"]  # its one place is taken
    assert here not in {o["task"]["id"] for o in page["open_tasks"]}

    vid = page["volunteer_id"]
    check_in = {"at": (started + timedelta(minutes=10)).isoformat()}
    await ok(await client.post(f"/tasks/{here}/volunteers/{vid}/check-in", headers=me, json=check_in), 201)
    [mine] = (await ok(await client.get("/volunteers/me", headers=me)))["tasks"]
    assert mine["checked_in_at"] is not None and not mine["can_check_in"]
    check_out = {"at": (started + timedelta(minutes=55)).isoformat()}
    log_id = (await ok(await client.post(f"/tasks/{here}/volunteers/{vid}/check-out", headers=me, json=check_out)))[
        "log_id"
    ]

    page = await ok(await client.get("/volunteers/me", headers=me))
    assert (page["minutes_pending"], page["minutes_verified"]) == (45, 0)
    [hours] = page["hours"]
    assert (hours["log"]["id"], hours["task_title"], hours["status_label"]) == (
        log_id,
        "为独居老人磨刀",
        "待核实 / Awaiting verification",
    )

    await ok(await client.post(f"/hours/{log_id}/verification", headers=worker, json={"approve": True}))
    page = await ok(await client.get("/volunteers/me", headers=me))
    assert (page["minutes_pending"], page["minutes_verified"]) == (0, 45)
    assert page["hours"][0]["status_label"] == "已核实 / Verified"
    credits = await ok(await client.get(f"/timebank/volunteers/{vid}", headers=me))
    assert credits["balance_units"] == 75  # 45 minutes at one credit an hour, in hundredths

    today = datetime.now(LOCAL).date()  # the service counts Beijing days
    period = {"volunteer_id": vid, "period_start": str(today - timedelta(days=30)), "period_end": str(today)}
    issued = await ok(await client.post("/certificates", headers=me, json=period), 201)
    [certificate] = (await ok(await client.get("/volunteers/me", headers=me)))["certificates"]
    assert (certificate["id"], certificate["code"]) == (issued["id"], issued["code"])


async def test_only_a_registered_volunteer_has_a_page(client, worker, token):
    stranger = await client.get("/volunteers/me", headers=bearer(token, "volunteer", "not-registered", COMMUNITY))
    assert stranger.status_code == 404 and "尚未注册为志愿者" in stranger.json()["detail"]
    assert (await client.get("/volunteers/me", headers=worker)).status_code == 403
    open_task = await task(client, worker, COMMUNITY, "磨刀（社工不能报名）", datetime.now(UTC))
    assert (await client.post(f"/tasks/{open_task}/sign-up", headers=worker)).status_code == 403


async def earn(client, worker, me: dict, vid: str, minutes: int) -> None:
    """Serve a task of this community for `minutes`, verified: minutes/60 credits."""
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    served = await task(client, worker, COMMUNITY, "磨刀（为了转赠）", started)
    await ok(await client.post(f"/tasks/{served}/sign-up", headers=me))
    at = {"at": (started + timedelta(minutes=5)).isoformat()}
    await ok(await client.post(f"/tasks/{served}/volunteers/{vid}/check-in", headers=me, json=at), 201)
    at = {"at": (started + timedelta(minutes=5 + minutes)).isoformat()}
    log = await ok(await client.post(f"/tasks/{served}/volunteers/{vid}/check-out", headers=me, json=at))
    await ok(await client.post(f"/hours/{log['log_id']}/verification", headers=worker, json={"approve": True}))


async def test_a_volunteer_names_a_relative_by_name_and_id_and_gives_them_credits(client, worker, token):
    giver = await register(client, worker, "岳飞")
    son_id = citizen_id()
    son = await ok(
        await client.post(
            "/volunteers",
            headers=worker,
            json={"name": "岳云", "citizen_id": son_id, "phone": "13900719999", "area_code": COMMUNITY},
        ),
        201,
    )
    me = bearer(token, "volunteer", giver["volunteer_ref"], COMMUNITY)
    await earn(client, worker, me, giver["id"], 60)

    def declare(name: str, cid: str) -> dict:
        return {"volunteer_id": giver["id"], "relative": {"name": name, "citizen_id": cid}, "relation": "child"}

    # a wrong name and an unregistered ID read the same: the form tells nobody whose ID is registered
    for wrong in (declare("岳雷", son_id), declare("岳云", citizen_id())):
        refused = await client.post("/timebank/family-links", headers=me, json=wrong)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "relative.citizen_id"
        assert "未找到姓名与身份证号相符的注册志愿者" in refused.json()["errors"][0]["message"]
    assert (await ok(await client.get("/volunteers/me", headers=me)))["family"] == []

    link = await ok(await client.post("/timebank/family-links", headers=me, json=declare("岳云", son_id)), 201)
    assert (link["relative_id"], link["relative_name"], link["relation_label"]) == (son["id"], "岳*", "子女 / Child")
    [relative] = (await ok(await client.get("/volunteers/me", headers=me)))["family"]
    assert relative == {"relative_id": son["id"], "name": "岳*", "relation": "child", "relation_label": "子女 / Child"}

    gift = {"from_volunteer": giver["id"], "to_volunteer": son["id"], "units": 40}
    await ok(await client.post("/timebank/transfers", headers=me, json=gift), 201)
    assert (await ok(await client.get(f"/timebank/volunteers/{giver['id']}", headers=me)))["balance_units"] == 60
    assert (await ok(await client.get(f"/timebank/volunteers/{son['id']}", headers=worker)))["balance_units"] == 40


async def test_a_volunteer_keeps_their_skills_up_to_date_and_is_matched_on_them(client, worker, token):
    volunteer = await register(client, worker, "梁红玉")
    me = bearer(token, "volunteer", volunteer["volunteer_ref"], COMMUNITY)
    drumming = {
        "area_code": COMMUNITY,
        "title": "社区重阳节击鼓表演",
        "required_skills": ["击鼓"],
        "slots": 2,
        "time_window": {
            "start": (start := datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        },
    }
    task_id = (await ok(await client.post("/tasks", headers=worker, json=drumming), 201))["id"]
    offered = {o["task"]["id"]: o for o in (await ok(await client.get("/volunteers/me", headers=me)))["open_tasks"]}
    assert offered[task_id]["matching_skills"] == []

    saved = await ok(await client.patch("/volunteers/me", headers=me, json={"skills": ["击鼓", "陪诊", "击鼓"]}))
    assert saved["skills"] == ["击鼓", "陪诊"] and saved["service_areas"] == []
    page = await ok(await client.get("/volunteers/me", headers=me))
    assert page["skills"] == ["击鼓", "陪诊"]
    assert {o["task"]["id"]: o for o in page["open_tasks"]}[task_id]["matching_skills"] == ["击鼓"]

    too_long = await client.patch("/volunteers/me", headers=me, json={"skills": ["击" * 31]})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "skills.0"
    assert (await client.patch("/volunteers/me", headers=me, json={})).status_code == 422
    assert (await client.patch("/volunteers/me", headers=worker, json={"skills": ["击鼓"]})).status_code == 403
    assert (await ok(await client.get("/volunteers/me", headers=me)))["skills"] == ["击鼓", "陪诊"]  # unchanged
