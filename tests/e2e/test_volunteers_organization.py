"""Facilities and their volunteer service stations (coverage against the 80% target), teams led
by a social worker, their training and supervision (社工引领志愿者), and an area's statistics —
all through the gateway with dev tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from contracts.values import citizen_id_check_char

# communities no other test module uses, so the figures are exactly what these tests created
STATS_AREA, COVERAGE_AREA, TEAM_AREA = "130102001005", "130102001006", "130102001007"


def cid(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


@pytest.fixture
def worker(token):
    return {"Authorization": f"Bearer {token('social_worker', '130102', 'sw-org')}"}


async def register(client, worker, name: str, n: int, area: str, **extra) -> dict:
    first17 = f"13010219750101{n:03d}"
    reply = await client.post(
        "/volunteers",
        headers=worker,
        json={"name": name, "citizen_id": cid(first17), "phone": f"13900175{n:03d}", "area_code": area, **extra},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def social_worker(level: str, certificate: str) -> dict:
    return {"social_worker": {"level": level, "certificate_no": certificate}}


async def test_station_coverage_against_the_target(client, worker, token):
    clerk = {"Authorization": f"Bearer {token('civil_affairs', '130102', 'ca-org')}"}
    facilities = []
    for name in ("建北街道综合服务中心", "建北社区党群服务中心"):
        reply = await client.post("/facilities", headers=clerk, json={"area_code": COVERAGE_AREA, "name": name})
        assert reply.status_code == 201, reply.text
        facilities.append(reply.json()["id"])
    first = await client.post(
        "/stations", headers=worker, json={"facility_id": facilities[0], "name": "学雷锋志愿服务站"}
    )
    assert first.status_code == 201, first.text
    again = await client.post("/stations", headers=worker, json={"facility_id": facilities[0], "name": "第二个站点"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "facility_id"

    stats = (await client.get("/volunteers/stats", params={"area": COVERAGE_AREA}, headers=clerk)).json()
    trend = stats["station_coverage"].pop("trend")
    assert stats["station_coverage"] == {
        "facilities": 2,
        "with_station": 1,
        "coverage": 0.5,
        "target": 0.8,
        "met": False,
    }
    assert len(trend) == 12 and trend[-1]["value"] == 0.5  # all set up this month (see test_view_sources)

    await client.post("/stations", headers=worker, json={"facility_id": facilities[1], "name": "新时代文明实践站"})
    stats = (await client.get("/volunteers/stats", params={"area": COVERAGE_AREA}, headers=clerk)).json()
    assert stats["station_coverage"]["coverage"] == 1.0 and stats["station_coverage"]["met"] is True

    listed = (await client.get("/facilities", params={"area": COVERAGE_AREA}, headers=worker)).json()
    assert [f["id"] for f in listed] == facilities and all(f["station_id"] for f in listed)
    stations = (await client.get("/stations", params={"area": COVERAGE_AREA}, headers=worker)).json()
    assert {s["facility_name"] for s in stations} == {"建北街道综合服务中心", "建北社区党群服务中心"}


async def test_team_led_by_a_social_worker(client, worker, token):
    sw = await register(client, worker, "孙督导", 1, TEAM_AREA, **social_worker("social_worker", "SW-2019-0001"))
    a = await register(client, worker, "钱一", 2, TEAM_AREA)
    b = await register(client, worker, "钱二", 3, TEAM_AREA)
    c = await register(client, worker, "钱三", 4, TEAM_AREA)
    team = {
        "name": "建北助老志愿服务队",
        "area_code": TEAM_AREA,
        "supervisor_id": sw["id"],
        "member_ids": [a["id"], b["id"]],
    }

    not_sw = await client.post("/teams", headers=worker, json={**team, "supervisor_id": a["id"]})
    assert not_sw.status_code == 422 and not_sw.json()["errors"][0]["field"] == "supervisor_id"
    stranger = await client.post("/teams", headers=worker, json={**team, "member_ids": [a["id"], str(uuid4())]})
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "member_ids"
    created = await client.post("/teams", headers=worker, json=team)
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]

    view = (await client.get(f"/teams/{team_id}", headers=worker)).json()
    assert view["supervisor"] == {"volunteer_id": sw["id"], "name": "孙*", "social_worker_level": "social_worker"}
    assert sorted(m["name"] for m in view["members"]) == ["钱*", "钱*"]

    course = {"course": "老年人照护基础", "held_on": "2026-11-20"}
    outsider = await client.post(
        f"/teams/{team_id}/trainings", headers=worker, json={**course, "attendee_ids": [a["id"], c["id"]]}
    )
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "attendee_ids"
    assert (await client.post(f"/teams/{team_id}/members", headers=worker, json={"member_ids": [c["id"]]})).json() == {
        "added": 1
    }
    assert (await client.post(f"/teams/{team_id}/members", headers=worker, json={"member_ids": [c["id"]]})).json() == {
        "added": 0
    }
    trained = await client.post(
        f"/teams/{team_id}/trainings", headers=worker, json={**course, "attendee_ids": [a["id"], c["id"]]}
    )
    assert trained.status_code == 201, trained.text
    listed = (await client.get(f"/teams/{team_id}/trainings", headers=worker)).json()
    assert [(t["course"], t["attendance"], t["recorded_by"]) for t in listed] == [("老年人照护基础", 2, "sw-org")]

    meeting = {"held_at": "2026-11-21T15:00:00+08:00", "notes": "个案督导"}
    other_sw = await client.post(f"/teams/{team_id}/supervisions", headers=worker, json=meeting)
    assert other_sw.status_code == 403  # only the team's supervisor records supervision
    for role, area in (("social_worker", "130102"), ("volunteer", TEAM_AREA)):
        supervisor = {"Authorization": f"Bearer {token(role, area, sw['volunteer_ref'])}"}
        given = await client.post(f"/teams/{team_id}/supervisions", headers=supervisor, json=meeting)
        assert given.status_code == 201, given.text


async def test_jurisdiction(client, worker, token):
    team_id = (await client.post("/teams", headers=worker, json={"name": "建北巡逻队", "area_code": TEAM_AREA})).json()[
        "id"
    ]
    facility_id = (
        await client.post("/facilities", headers=worker, json={"area_code": TEAM_AREA, "name": "建北社区服务站"})
    ).json()["id"]
    other = {"Authorization": f"Bearer {token('social_worker', '130104', 'sw-qiaoxi')}"}

    assert (await client.get(f"/teams/{team_id}", headers=other)).status_code == 404
    assert (await client.get(f"/teams/{team_id}/trainings", headers=other)).status_code == 404
    assert (
        await client.post(f"/teams/{team_id}/members", headers=other, json={"member_ids": [str(uuid4())]})
    ).status_code == 404
    refused = await client.post("/facilities", headers=other, json={"area_code": COVERAGE_AREA, "name": "越界设施"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "area_code"
    team = await client.post("/teams", headers=other, json={"name": "越界队", "area_code": TEAM_AREA})
    assert team.status_code == 403 and team.json()["errors"][0]["field"] == "area_code"
    station = await client.post("/stations", headers=other, json={"facility_id": facility_id, "name": "越界站点"})
    assert station.status_code == 422 and station.json()["errors"][0]["field"] == "facility_id"
    assert (await client.get("/volunteers/stats", params={"area": "130102"}, headers=other)).status_code == 403
    assert (await client.get("/facilities", params={"area": "130102"}, headers=other)).status_code == 403
    own = await client.get("/volunteers/stats", headers=other)
    assert own.status_code == 200 and own.json()["area"] == "130104"
    resident = {"Authorization": f"Bearer {token('resident', TEAM_AREA, 'r-1')}"}
    assert (await client.get("/volunteers/stats", headers=resident)).status_code == 403


async def _served(client, worker, task_id: str, volunteer_id: str, start: datetime, minutes: int) -> str:
    path = f"/tasks/{task_id}/volunteers/{volunteer_id}"
    assert (await client.post(f"{path}/check-in", headers=worker, json={"at": start.isoformat()})).status_code == 201
    out = await client.post(
        f"{path}/check-out", headers=worker, json={"at": (start + timedelta(minutes=minutes)).isoformat()}
    )
    assert out.status_code == 200, out.text
    return out.json()["log_id"]


async def test_statistics_of_an_area(client, worker):
    await register(
        client, worker, "周督导", 11, STATS_AREA, party_member=True, **social_worker("senior", "SW-2015-0011")
    )
    await register(client, worker, "吴助理", 12, STATS_AREA, **social_worker("assistant", "SW-2023-0012"))
    people = [
        await register(client, worker, name, n, STATS_AREA, party_member=n == 13)
        for name, n in (("郑甲", 13), ("郑乙", 14), ("郑丙", 15), ("郑丁", 16))
    ]
    ids = [p["id"] for p in people]
    task = await client.post("/tasks", headers=worker, json={"area_code": STATS_AREA, "title": "助老服务", "slots": 4})
    task_id = task.json()["id"]
    assert (
        await client.post(f"/tasks/{task_id}/invitations", headers=worker, json={"volunteer_ids": ids})
    ).status_code == 201
    for vid in ids:
        accepted = await client.post(
            f"/tasks/{task_id}/invitations/{vid}/response", headers=worker, json={"accept": True}
        )
        assert accepted.json()["status"] == "accepted"

    now = datetime.now(UTC).replace(microsecond=0)
    recent, old = now - timedelta(days=3), now - timedelta(days=40)
    verified = await _served(client, worker, task_id, ids[0], recent, 90)
    await _served(client, worker, task_id, ids[1], recent, 60)  # logged, not yet verified: still active
    rejected = await _served(client, worker, task_id, ids[2], recent, 30)
    verified_old = await _served(client, worker, task_id, ids[3], old, 120)  # outside the 30 days
    for log_id, body in (
        (verified, {"approve": True}),
        (verified_old, {"approve": True}),
        (rejected, {"approve": False, "reason": "未到场 / not present"}),
    ):
        assert (await client.post(f"/hours/{log_id}/verification", headers=worker, json=body)).status_code == 200

    stats = (await client.get("/volunteers/stats", params={"area": STATS_AREA}, headers=worker)).json()
    assert stats["area"] == STATS_AREA
    assert (stats["registered"], stats["active_30d"], stats["party_members"]) == (6, 2, 2)
    assert stats["social_workers_by_level"] == {"assistant": 1, "social_worker": 0, "senior": 1}
    assert stats["verified_ratio"] == 0.7  # (90 + 120) / (90 + 120 + 60 + 30)
    month = lambda at: at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # noqa: E731
    hours = stats["hours_by_month"]
    assert len(hours) == 12 and list(hours) == sorted(hours) and list(hours)[-1] == month(now)
    assert {m: h for m, h in hours.items() if h} == {month(recent): 1.5, month(old): 2.0}  # 37 days apart
    assert stats["station_coverage"] == {
        "facilities": 0,
        "with_station": 0,
        "coverage": None,
        "target": 0.8,
        "met": False,
        "trend": [{"month": m, "value": None} for m in hours],
    }
    assert stats["social_workers_trend"] == [{"month": m, "value": 2 if m == month(now) else 0} for m in hours]
