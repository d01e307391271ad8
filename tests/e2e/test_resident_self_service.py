"""A resident's own page (我的诉求) through the gateway, with the resident's own token: the needs a
worker raised for them and those they raised themself, each with its progress and what it allows
now — confirm it is met once routed, rate it once resolved, dispute it — and nobody else's.

Everything lives in community 130102001016 of 长安区, which no other module uses; citizen IDs born
in 1973."""

from __future__ import annotations

from datetime import datetime

import pytest

from contracts.values import citizen_id_check_char
from kit.months import LOCAL

COUNTY, COMMUNITY = "130102", "130102001016"


def citizen(n: int) -> str:
    first17 = f"{COUNTY}19730{n}0{n}{n:03d}"[:17]
    return first17 + citizen_id_check_char(first17)


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def ok(reply, status: int = 200) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()


@pytest.fixture
def worker(token):
    return bearer(token, "social_worker", "sw-resident-page")


def need(description: str, who: str, **extra) -> dict:
    return {
        "area_code": COMMUNITY,
        "category": "daily_care",
        "description": description,
        "resident": {"name": "王昭君", "phone": "13900730001", "citizen_id": who},
        **extra,
    }


async def test_a_resident_follows_confirms_and_rates_their_own_needs(client, worker, token):
    mine = citizen(1)
    first = (await ok(await client.post("/needs", headers=worker, json=need("需要每周上门打扫", mine)), 201))["id"]
    ref = (await ok(await client.get(f"/needs/{first}", headers=worker)))["need"]["resident_ref"]
    me = bearer(token, "resident", ref, COMMUNITY)

    page = await ok(await client.get("/needs/mine", headers=me))
    assert page["resident_id"] is None and [x["need"]["id"] for x in page["items"]] == [first]
    assert not (page["items"][0]["may_confirm"] or page["items"][0]["may_rate"])
    assert page["items"][0]["need"]["status_label"] == "已登记"

    own = need("楼道灯坏了，晚上看不清", mine, channel="self_report")
    second = (await ok(await client.post("/needs", headers=me, json=own), 201))["id"]
    someone_else = need("替邻居登记", citizen(2), channel="self_report")
    refused = await client.post("/needs", headers=me, json=someone_else)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "resident.citizen_id"

    plan = {"category": "daily_care", "urgency": "routine", "service_plan": "每周二上门打扫", "route": "volunteer_task"}
    await ok(await client.post(f"/needs/{first}/assessment", headers=worker, json=plan))
    items = {x["need"]["id"]: x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"]}
    assert list(items) == [second, first]  # newest first
    assert items[first]["may_confirm"] and not items[second]["may_confirm"]
    assert [e["kind"] for e in items[first]["timeline"]][:2] == ["need_raised", "need_assessed"]
    assert all(e["actor_label"] for e in items[first]["timeline"])

    await ok(await client.post(f"/needs/{first}/resolution", headers=me, json={"on_behalf_of_resident": False}))
    done = next(x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"] if x["need"]["id"] == first)
    assert (done["need"]["status"], done["may_rate"], done["may_dispute"], done["may_confirm"]) == (
        "resolved",
        True,
        True,
        False,
    )
    await ok(await client.post(f"/needs/{first}/feedback", headers=me, json={"satisfaction": 5, "comment": "很满意"}))
    rated = next(
        x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"] if x["need"]["id"] == first
    )
    assert (rated["need"]["status"], rated["need"]["satisfaction"], rated["may_rate"]) == ("closed", 5, False)
    assert rated["may_dispute"]  # a closed need may still be disputed
    assert rated["may_ask_revisit"] and not items[second]["may_ask_revisit"]

    # 请求回访: the need goes on the community's list of revisits due today, ahead of its schedule
    due = await client.get("/revisits/due", headers=worker, params={"area": COMMUNITY})
    assert first not in {n["id"] for n in await ok(due)}  # scheduled days after the resolution
    asked = await ok(await client.post(f"/needs/{first}/revisit-request", headers=me))
    assert asked["revisit_due"] == str(datetime.now(LOCAL).date())  # today in Beijing
    due = await client.get("/revisits/due", headers=worker, params={"area": COMMUNITY})
    assert first in {n["id"] for n in await ok(due)}
    rated = next(
        x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"] if x["need"]["id"] == first
    )
    assert rated["timeline"][-1]["kind_label"] == "居民请求回访 / Revisit asked for"
    early = await client.post(f"/needs/{second}/revisit-request", headers=me)  # not met yet
    assert early.status_code == 409 and early.json()["state"] == "raised"
    stranger = bearer(token, "resident", "someone-else", COMMUNITY)
    assert (await client.post(f"/needs/{first}/revisit-request", headers=stranger)).status_code == 404


async def test_a_resident_sees_only_their_own_and_workers_have_no_such_page(client, worker, token):
    theirs = (await ok(await client.post("/needs", headers=worker, json=need("需要助餐", citizen(3))), 201))["id"]
    stranger = bearer(token, "resident", "someone-else", COMMUNITY)
    assert theirs not in {
        x["need"]["id"] for x in (await ok(await client.get("/needs/mine", headers=stranger)))["items"]
    }
    assert (await client.get("/needs/mine", headers=worker)).status_code == 403


def registration(name: str, who: str, **extra) -> dict:
    consent = {"purpose": "需求服务与回访", "given_at": "2026-11-01T09:00:00+08:00"}
    return {
        "name": name,
        "citizen_id": who,
        "phone": "13900730009",
        "area_code": COMMUNITY,
        "consent": consent,
        **extra,
    }


async def test_a_guardian_raises_follows_and_confirms_their_wards_needs(client, worker, token):
    """监护人: a mother registered as her son's guardian raises a need for him from her own page,
    sees it among hers with his (masked) name, and confirms it; nobody else may."""
    mother_id, son_id = citizen(4), f"{COUNTY}2014" + "0601" + "123"
    son_id += citizen_id_check_char(son_id)
    mother = await ok(await client.post("/residents", headers=worker, json=registration("李秀芝", mother_id)), 201)
    son = registration("李小宝", son_id, guardian_id=mother["id"])
    son["consent"] |= {"given_by_guardian": True}
    son = await ok(await client.post("/residents", headers=worker, json=son), 201)
    me = bearer(token, "resident", mother["resident_ref"], COMMUNITY)

    page = await ok(await client.get("/needs/mine", headers=me))
    assert page["wards"] == [{"resident_id": son["id"], "name": "李**"}]
    for_him = {"area_code": COMMUNITY, "category": "tutoring", "description": "孩子数学跟不上，需要课后辅导"}
    for_him |= {"channel": "self_report", "resident_id": son["id"]}
    raised = (await ok(await client.post("/needs", headers=me, json=for_him), 201))["id"]
    stranger = bearer(token, "resident", "not-his-guardian", COMMUNITY)
    refused = await client.post("/needs", headers=stranger, json=for_him)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "resident_id"
    his = bearer(token, "resident", son["resident_ref"], COMMUNITY)
    assert (await client.post("/needs", headers=his, json=for_him)).status_code == 201  # he may raise his own too

    mine = {x["need"]["id"]: x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"]}
    assert raised in mine and mine[raised]["ward"] == "李**"
    plan = {"category": "tutoring", "urgency": "routine", "service_plan": "每周三课后辅导", "route": "volunteer_task"}
    await ok(await client.post(f"/needs/{raised}/assessment", headers=worker, json=plan))
    nobody = await client.post(f"/needs/{raised}/resolution", headers=stranger, json={"on_behalf_of_resident": False})
    assert nobody.status_code == 404
    await ok(await client.post(f"/needs/{raised}/resolution", headers=me, json={"on_behalf_of_resident": False}))
    await ok(await client.post(f"/needs/{raised}/feedback", headers=me, json={"satisfaction": 4}))
    rated = next(
        x for x in (await ok(await client.get("/needs/mine", headers=me)))["items"] if x["need"]["id"] == raised
    )
    assert (rated["need"]["status"], rated["need"]["satisfaction"]) == ("closed", 4)
