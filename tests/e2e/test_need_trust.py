"""Issue 12 (Trust) in the needs service, through the gateway: service levels per area, changed by
civil affairs without a restart and audited; needs raised for a registered resident; weekly
recurring slots; 适老化改造 as a category.

Everything here lives in 藁城区 (130109), a county no other module uses, so the levels set here
change nobody else's deadlines: 廉州镇 (130109100) with its communities 001 and 002, and 兴安镇
(130109101), another street."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from support.party import citizen_id
from support.waiting import eventually

COUNTY, STREET, OTHER_STREET = "130109", "130109100", "130109101"
COMMUNITY, NEIGHBOUR, ACROSS = "130109100001", "130109100002", "130109101001"
NOW = datetime.now(UTC)


def bearer(token, role: str, area: str = COUNTY, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub or f'{role}-{area}')}"}


def person(**changes) -> dict:
    return {"name": "郭秀兰", "phone": "13931100000", "citizen_id": citizen_id("13010919")} | changes


def need(area: str = COMMUNITY, **changes) -> dict:
    return {
        "area_code": area,
        "category": "meal_aid",
        "urgency": "urgent",
        "description": "独居老人需要送餐",
        "resident": person(),
    } | changes


def for_resident(resident_id: str, area: str = COMMUNITY, **changes) -> dict:
    """A need naming a registered resident by id instead of typing them in."""
    body = need(area, **changes) | {"resident_id": resident_id}
    del body["resident"]
    return body


def registration(area: str = COMMUNITY, **changes) -> dict:
    return (
        person()
        | {
            "area_code": area,
            "address": "廉州镇某村1号",
            "tags": ["empty_nest_elderly"],
            "consent": {"purpose": "需求服务与回访", "given_at": NOW.isoformat()},
        }
        | changes
    )


async def ok(reply_coro, status: int = 200):
    reply = await reply_coro
    assert reply.status_code == status, reply.text
    return reply.json()


async def raised(client, worker, body: dict) -> dict:
    created = await ok(client.post("/needs", headers=worker, json=body), 201)
    return (await ok(client.get(f"/needs/{created['id']}", headers=worker)))["need"]


def hours_to_first_response(view: dict) -> float:
    due, at = datetime.fromisoformat(view["first_response_due"]), datetime.fromisoformat(view["raised_at"])
    return (due - at) / timedelta(hours=1)


async def set_levels(client, token, area: str, **values) -> dict:
    office = bearer(token, "civil_affairs", COUNTY, "ca-gaocheng")
    return await ok(
        client.put(
            f"/needs/service-levels/{area}", headers=office, json={"reason": "冬季独居老人较多，缩短响应时限"} | values
        )
    )


async def last_seq(js, stream: str) -> int:
    return (await js.stream_info(stream)).state.last_seq


async def stream_events(js, stream: str, subject_prefix: str, since: int) -> list[dict]:
    info = await js.stream_info(stream)
    out = []
    for seq in range(max(since + 1, info.state.first_seq), info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        if msg.subject.startswith(subject_prefix):
            out.append(orjson.loads(msg.data))
    return out


@pytest.fixture
def worker(token):
    return bearer(token, "social_worker", COUNTY, "sw-gaocheng")


# --- service levels per area ---------------------------------------------------------------------------


async def test_levels_set_per_area_hold_for_new_needs_at_once_and_old_deadlines_stay(client, token, worker):
    before = await raised(client, worker, need())
    assert hours_to_first_response(before) == 24  # the installation default

    county = await set_levels(client, token, COUNTY, urgent_hours=6)
    assert (county["levels"]["urgent_hours"]["value"], county["levels"]["urgent_hours"]["source"]) == (6, "area")
    community = await set_levels(client, token, COMMUNITY, urgent_hours=2, major_hours=12)

    # the most specific area wins, value by value, and each says where it comes from
    here = await ok(client.get("/needs/service-levels", headers=worker, params={"area": COMMUNITY}))
    assert here == community
    assert {f: (v["value"], v["source"], v["source_area_code"]) for f, v in here["levels"].items()} == {
        "urgent_hours": (2, "area", COMMUNITY),
        "major_hours": (12, "area", COMMUNITY),
        "routine_hours": (168, "default", None),
        "revisit_days": (7, "default", None),
        "proactive_visit_days": (30, "default", None),
    }
    next_door = await ok(client.get("/needs/service-levels", headers=worker, params={"area": NEIGHBOUR}))
    assert next_door["levels"]["urgent_hours"] == {
        "value": 6,
        "unit": "hours",
        "label": "紧急需求首次响应时限",
        "source": "ancestor",
        "source_area_code": COUNTY,
        "source_label": "上级设置：藁城区",
    }

    # new needs take their own community's levels at once, without a restart, also when raised
    # together (the service commits those in one group); the old deadline stays
    together = await asyncio.gather(
        *(
            raised(client, worker, n)
            for n in (need(), need(urgency="major"), need(NEIGHBOUR), need(ACROSS, urgency="routine"))
        )
    )
    assert [hours_to_first_response(n) for n in together] == [2, 12, 6, 168]
    assert (await ok(client.get(f"/needs/{before['id']}", headers=worker)))["need"]["first_response_due"] == before[
        "first_response_due"
    ]

    # a value left out is inherited again
    await set_levels(client, token, COMMUNITY, major_hours=12)
    assert hours_to_first_response(await raised(client, worker, need())) == 6


async def test_a_change_is_recorded_and_audited_with_old_and_new_values(client, token, js):
    start = await last_seq(js, "AUDIT")
    await set_levels(client, token, STREET, revisit_days=5)
    await set_levels(client, token, STREET, revisit_days=3, proactive_visit_days=14)

    auditor = bearer(token, "auditor", COUNTY)
    history = [
        h
        for h in await ok(client.get("/needs/service-levels/history", headers=auditor, params={"area": STREET}))
        if h["area_code"] == STREET
    ]
    assert [(h["old"]["revisit_days"], h["new"]["revisit_days"], h["changed_by"]) for h in history] == [
        (5, 3, "ca-gaocheng"),
        (None, 5, "ca-gaocheng"),
    ]
    assert history[0]["area_name"] == "廉州镇" and history[0]["reason"] == "冬季独居老人较多，缩短响应时限"

    async def audited():
        found = [
            e
            for e in await stream_events(js, "AUDIT", "audit.needs.service_levels_changed.v1.13.01.09", start)
            if e["data"]["area_code"] == STREET
        ]
        return found if len(found) >= 2 else None

    last = (await eventually(audited, "ServiceLevelsChanged on the AUDIT stream"))[-1]
    assert last["data"]["old"]["revisit_days"] == 5 and last["data"]["new"] == {
        "urgent_hours": None,
        "major_hours": None,
        "routine_hours": None,
        "revisit_days": 3,
        "proactive_visit_days": 14,
    }
    assert last["data"]["changed_by"] == "ca-gaocheng" and last["data"]["changed_by_role"] == "civil_affairs"

    async def in_the_trail():
        page = await ok(client.get("/audit", headers=auditor, params={"action": "service_levels_changed"}))
        return [e for e in page["items"] if e["record"] == f"area/{STREET}"] or None

    entry = (await eventually(in_the_trail, "the change in the audit trail"))[0]
    assert entry["actor"] == "ca-gaocheng" and set(entry["fields"]) == {"revisit_days", "proactive_visit_days"}

    everything = len(await ok(client.get("/needs/service-levels/history", headers=auditor, params={"area": STREET})))
    await set_levels(client, token, STREET, revisit_days=3, proactive_visit_days=14)  # the same again: no change
    assert (
        len(await ok(client.get("/needs/service-levels/history", headers=auditor, params={"area": STREET})))
        == everything
    )


async def test_revisit_and_reopening_follow_the_levels_of_the_needs_community(client, token, worker):
    await set_levels(client, token, NEIGHBOUR, major_hours=10, revisit_days=2)
    view = await raised(client, worker, need(NEIGHBOUR, urgency="major"))
    assert hours_to_first_response(view) == 10
    await ok(
        client.post(
            f"/needs/{view['id']}/assessment",
            headers=worker,
            json={"category": "meal_aid", "urgency": "major", "service_plan": "每日送餐", "route": "volunteer_task"},
        )
    )
    await ok(client.post(f"/needs/{view['id']}/resolution", headers=worker, json={"on_behalf_of_resident": True}))
    resolved = (await ok(client.get(f"/needs/{view['id']}", headers=worker)))["need"]
    resolved_at = datetime.fromisoformat(resolved["resolved_at"])
    assert resolved["revisit_due"] == (resolved_at + timedelta(days=2)).date().isoformat()

    await set_levels(client, token, NEIGHBOUR, major_hours=30, revisit_days=2)  # changed after it was raised
    await ok(client.post(f"/needs/{view['id']}/feedback", headers=worker, json={"satisfaction": 1}))
    reopened = (await ok(client.get(f"/needs/{view['id']}", headers=worker)))["need"]
    timeline = await ok(client.get(f"/needs/{view['id']}/timeline", headers=worker))
    judged_at = datetime.fromisoformat(next(e["at"] for e in timeline if e["kind"] == "feedback_given"))
    assert reopened["status"] == "reopened"
    assert datetime.fromisoformat(reopened["first_response_due"]) == judged_at + timedelta(hours=30)


async def test_visits_find_needs_and_overdue_visits_by_the_communitys_own_levels(client, token, worker):
    await set_levels(client, token, COMMUNITY, urgent_hours=2, routine_hours=100, proactive_visit_days=5)
    here = await ok(client.post("/residents", headers=worker, json=registration()), 201)
    there = await ok(client.post("/residents", headers=worker, json=registration(ACROSS)), 201)
    survey = await ok(
        client.post(
            "/surveys",
            headers=worker,
            json={"area_code": COUNTY, "title": "冬季入户调研", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
        ),
        201,
    )
    ten_days_ago = (NOW - timedelta(days=10)).isoformat()
    visit = await ok(
        client.post(
            f"/surveys/{survey['id']}/visits",
            headers=worker,
            json={
                "resident_id": here["id"],
                "visited_at": ten_days_ago,
                "needs": [{"category": "elderly_home_adaptation", "description": "卫生间加装扶手"}],
            },
        ),
        201,
    )
    await ok(
        client.post(
            f"/surveys/{survey['id']}/visits",
            headers=worker,
            json={"resident_id": there["id"], "visited_at": ten_days_ago},
        ),
        201,
    )

    found = (await ok(client.get(f"/needs/{visit['need_ids'][0]}", headers=worker)))["need"]
    assert hours_to_first_response(found) == 100 and found["category_label"] == "适老化改造"

    # ten days unvisited: past this community's five days, within the installation's thirty
    due = await ok(client.get("/proactive-visits", headers=worker, params={"area": COUNTY}))
    ids = {d["resident_id"] for d in due}
    assert here["id"] in ids and there["id"] not in ids


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"urgent_hours": 0}, "urgent_hours"),
        ({"major_hours": 721}, "major_hours"),
        ({"revisit_days": 100}, "revisit_days"),
        ({"urgent_hours": "soon"}, "urgent_hours"),
        ({"urgent_hours": 200}, "urgent_hours"),  # an urgent need answered later than a major one (72 h)
        ({"routine_hours": 48}, "routine_hours"),  # a routine one sooner than a major one
        ({"urgent_hours": 4, "reason": None}, "reason"),
        ({"urgent_hours": 4, "fast": True}, "fast"),
    ],
)
async def test_bad_levels_are_refused_naming_the_field(client, token, body, field):
    office = bearer(token, "civil_affairs", COUNTY)
    reply = await client.put(f"/needs/service-levels/{OTHER_STREET}", headers=office, json={"reason": "调整"} | body)
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("role", "area", "target", "status", "field"),
    [
        ("civil_affairs", "130100", OTHER_STREET, 200, None),  # the city's office, for a street inside it
        ("civil_affairs", "130102", OTHER_STREET, 403, "area_code"),  # another county's office
        ("civil_affairs", COMMUNITY, STREET, 403, "area_code"),  # below the area it would change
        ("social_worker", COUNTY, OTHER_STREET, 403, None),
        ("auditor", COUNTY, OTHER_STREET, 403, None),
        ("civil_affairs", COUNTY, "130109999", 422, "area_code"),  # no such area
    ],
)
async def test_only_civil_affairs_of_the_area_set_its_levels(client, token, role, area, target, status, field):
    reply = await client.put(
        f"/needs/service-levels/{target}",
        headers=bearer(token, role, area),
        json={"revisit_days": 7, "reason": "按市里统一要求"},
    )
    assert reply.status_code == status, reply.text
    if field:
        assert reply.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("role", "area", "status"),
    [
        ("social_worker", COUNTY, 200),
        ("grid_worker", STREET, 200),
        ("party_secretary", COUNTY, 200),
        ("auditor", COUNTY, 200),
        ("civil_affairs", "130000", 200),
        ("social_worker", "130102", 403),
        ("resident", COMMUNITY, 403),
        ("volunteer", COUNTY, 403),
    ],
)
async def test_the_areas_readers_see_its_levels(client, token, role, area, status):
    reply = await client.get("/needs/service-levels", headers=bearer(token, role, area), params={"area": STREET})
    assert reply.status_code == status, reply.text
    if status == 200:
        assert reply.json()["area_code"] == STREET and reply.json()["area_name"] == "廉州镇"


async def test_the_callers_own_area_by_default(client, token):
    reply = await ok(client.get("/needs/service-levels", headers=bearer(token, "grid_worker", OTHER_STREET)))
    assert reply["area_code"] == OTHER_STREET and set(reply["levels"]) == {
        "urgent_hours",
        "major_hours",
        "routine_hours",
        "revisit_days",
        "proactive_visit_days",
    }


# --- a need for a registered resident -------------------------------------------------------------------


async def test_a_need_for_a_registered_resident_takes_their_identity(client, token, worker):
    identity = person(name="欧阳桂芝", phone="13931123456")
    resident = await ok(
        client.post(
            "/residents", headers=worker, json=registration(**identity, tags=["empty_nest_elderly", "disabled"])
        ),
        201,
    )
    created = await ok(client.post("/needs", headers=worker, json=for_resident(resident["id"])), 201)
    view = (await ok(client.get(f"/needs/{created['id']}", headers=worker, params={"purpose": "核对联系方式"})))["need"]
    assert view["resident"] == {k: identity[k] for k in ("name", "phone", "citizen_id")}
    assert view["resident_ref"] == resident["resident_ref"]
    assert view["target_groups"] == ["empty_nest_elderly", "disabled"]  # the groups they are registered in

    # a neighbouring community of the same street may raise it; the resident's own groups can be overridden
    next_door = await ok(
        client.post("/needs", headers=worker, json=for_resident(resident["id"], NEIGHBOUR, target_groups=[])), 201
    )
    assert (await ok(client.get(f"/needs/{next_door['id']}", headers=worker)))["need"]["target_groups"] == []

    # the resident raises one for themself by their id
    own = bearer(token, "resident", COMMUNITY, resident["resident_ref"])
    mine = await ok(client.post("/needs", headers=own, json=for_resident(resident["id"], channel="self_report")), 201)
    assert (await ok(client.get(f"/needs/{mine['id']}", headers=worker)))["need"]["resident_ref"] == resident[
        "resident_ref"
    ]


async def test_who_a_need_may_name_by_resident_id(client, token, worker):
    resident = await ok(client.post("/residents", headers=worker, json=registration()), 201)
    elsewhere = await ok(client.post("/residents", headers=worker, json=registration(ACROSS)), 201)
    unknown = "0190c1f0-0000-7000-8000-000000000001"
    by_id = for_resident(resident["id"])
    neither = {k: v for k, v in by_id.items() if k != "resident_id"}
    cases = [
        (worker, need() | {"resident_id": resident["id"]}, 422, "resident_id"),  # both
        (worker, neither, 422, "resident_id"),
        (worker, for_resident(unknown), 422, "resident_id"),
        (worker, for_resident(elsewhere["id"]), 422, "resident_id"),  # lives in another street
        (bearer(token, "social_worker", "130102"), by_id | {"area_code": "130102001001"}, 422, "resident_id"),
        (bearer(token, "resident", COMMUNITY, "someone-else"), by_id | {"channel": "self_report"}, 403, "resident_id"),
        (
            bearer(token, "resident", COMMUNITY, "someone-else"),
            by_id | {"channel": "self_report", "resident_id": unknown},
            403,
            "resident_id",
        ),
    ]
    for headers, body, status, field in cases:
        reply = await client.post("/needs", headers=headers, json=body)
        assert reply.status_code == status, (body, reply.text)
        assert reply.json()["errors"][0]["field"] == field, reply.text


# --- weekly recurring slots ----------------------------------------------------------------------------------


async def test_a_weekly_schedule_is_kept_labelled_and_carried_in_the_events(client, worker, js):
    start = await last_seq(js, "NEEDS")
    weekly = [{"weekday": d, "start": "11:00", "end": "12:00"} for d in (6, 2, 4)]
    view = await raised(client, worker, need(weekly=weekly))
    assert view["weekly_label"] == "每周二、四、六 11:00–12:00"
    assert [(s["weekday"], s["start"], s["end"]) for s in view["weekly"]] == [
        (2, "11:00:00", "12:00:00"),
        (4, "11:00:00", "12:00:00"),
        (6, "11:00:00", "12:00:00"),
    ]
    await ok(
        client.post(
            f"/needs/{view['id']}/assessment",
            headers=worker,
            json={
                "category": "meal_aid",
                "urgency": "urgent",
                "service_plan": "志愿者每周三次送餐",
                "route": "volunteer_task",
            },
        )
    )

    async def carried():
        found = {
            e["type"].split(".")[3]: e["data"]
            for e in await stream_events(js, "NEEDS", "evt.needs.", start)
            if e["data"].get("need_id") == view["id"]
        }
        return found if "need_routed" in found else None

    events = await eventually(carried, "NeedRaised and NeedRouted")
    for name in ("need_raised", "need_routed"):
        assert [s["weekday"] for s in events[name]["weekly"]] == [2, 4, 6]
        assert events[name]["weekly"][0] == {"weekday": 2, "start": "11:00:00", "end": "12:00:00"}

    plain = await raised(client, worker, need())
    assert plain["weekly"] == [] and plain["weekly_label"] == ""


async def test_overlapping_weekly_slots_are_refused(client, worker):
    reply = await client.post(
        "/needs",
        headers=worker,
        json=need(
            weekly=[{"weekday": 2, "start": "11:00", "end": "12:00"}, {"weekday": 2, "start": "11:30", "end": "13:00"}]
        ),
    )
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "weekly", reply.text


# --- 适老化改造 -----------------------------------------------------------------------------------------------


async def test_home_adaptation_for_the_elderly_is_a_category(client, token, worker):
    categories = await ok(client.get("/taxonomy/categories", headers=worker))
    assert {
        "code": "elderly_home_adaptation",
        "zh": "适老化改造",
        "en": "Home adaptation for the elderly",
        "active": True,
    } in categories
    view = await raised(
        client,
        worker,
        need(category="elderly_home_adaptation", urgency="routine", description="老人家中需要加装扶手、防滑地面"),
    )
    assert view["category_label"] == "适老化改造"
