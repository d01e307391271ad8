"""The party issue's promise, end to end through the gateway: a need nobody answers within its
first-response time raises a whistle by itself (NeedEscalated → WhistleBlown); the community's
party members are dispatched, one reports (接单) with their own login, handles it, the community
closes it with the resident's evaluation — and the need's timeline shows every step.

This module runs its own stack with an urgent first response due within 2 seconds. Its community:
长丰街道 001 (130102010001) of 长安区."""

from __future__ import annotations

import pytest
from support.party import bearer, citizen_id
from support.waiting import eventually

COMMUNITY = "130102010001"


@pytest.fixture(scope="module")
def party_api(stack) -> str:
    stack.start(
        "needs",
        "volunteers",
        "party",
        "gateway",
        WUSHE_PARTY_CHECK_INTERVAL_S="0.5",
        WUSHE_NEEDS_SLA_CHECK_INTERVAL_S="0.5",
        WUSHE_NEEDS_SLA_URGENT_HOURS="0.0005",
    )
    return stack.url("gateway") + "/api/v1"


async def test_an_overdue_need_raises_a_whistle_that_a_party_member_answers(party, token):
    secretary = bearer(token, "party_secretary", COMMUNITY)
    worker = bearer(token, "social_worker", COMMUNITY, "sw-changfeng")
    org = (
        await party.post(
            "/party-organizations",
            headers=secretary,
            json={"name": "长丰街道某社区党委", "kind": "committee", "area_code": COMMUNITY},
        )
    ).json()["id"]
    members = {}
    for account, name, skills in (("dy-meal", "刘建国", ["助餐"]), ("dy-law", "陈静", ["法律咨询"])):
        reply = await party.post(
            "/party-members",
            headers=secretary,
            json={
                "org_id": org,
                "name": name,
                "phone": "13812345678",
                "citizen_id": citizen_id("13010219"),
                "area_code": COMMUNITY,
                "in_service": True,
                "employer": "石家庄市某局",
                "skills": skills,
                "account": account,
            },
        )
        assert reply.status_code == 201, reply.text
        members[account] = reply.json()["id"]
    need = await party.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "meal_aid",
            "urgency": "urgent",
            "description": "独居老人突发行动不便，无人送餐",
            "resident": {"name": "孙大爷", "phone": "13700137010", "citizen_id": citizen_id("13010219")},
        },
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]

    async def whistle_for_need():
        whistles = (await party.get("/whistles", headers=worker, params={"area": COMMUNITY})).json()
        return next((w for w in whistles if w["need_id"] == need_id), None)

    whistle = await eventually(whistle_for_need, "the whistle raised by the overdue need")
    assert whistle["source"] == "need_escalated" and whistle["urgency"] == "urgent"
    detail = (await party.get(f"/whistles/{whistle['id']}", headers=worker)).json()
    assert {d["responder_id"] for d in detail["dispatches"]} >= set(members.values())

    member = bearer(token, "volunteer", COMMUNITY, "dy-meal")  # the member signs in as themself
    reported = await party.post(
        f"/whistles/{whistle['id']}/reports",
        headers=member,
        json={"responder_kind": "member", "responder_id": members["dy-meal"]},
    )
    assert reported.status_code == 201, reported.text
    handled = await party.post(
        f"/whistles/{whistle['id']}/reports/{members['dy-meal']}/handled",
        headers=member,
        json={"note": "已送餐并联系社区助餐点每日配送"},
    )
    assert handled.status_code == 200, handled.text
    closed = await party.post(
        f"/whistles/{whistle['id']}/close",
        headers=worker,
        json={"satisfaction": 5, "evaluated_by": "resident", "comment": "党员来得很快"},
    )
    assert closed.status_code == 200, closed.text

    async def timeline_has_the_whistle():
        kinds = [e["kind"] for e in (await party.get(f"/needs/{need_id}/timeline", headers=worker)).json()]
        return kinds if {"whistle_blown", "member_reported", "whistle_closed"} <= set(kinds) else None

    kinds = await eventually(timeline_has_the_whistle, "the whistle's steps on the need's timeline")
    assert kinds.index("need_escalated") < kinds.index("whistle_blown") < kinds.index("member_reported")
    stats = (await party.get("/whistles/stats", headers=worker, params={"area": COMMUNITY})).json()
    assert stats["total"]["answered"] == 1 and stats["total"]["answered_in_time"] == 1
