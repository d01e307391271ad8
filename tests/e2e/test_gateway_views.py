"""The gateway's composed views through real services: the need 360 with its whole chain, the
dashboard and the KPI board, each for several roles and areas — and a view that still answers,
with the section marked unavailable, when a service is stopped.

The gateway here keeps a view for an hour (WUSHE_VIEW_CACHE_TTL_S): every view that shows a change
shows it because the gateway heard of it (an event, a consumer's notice, its own write), and every
answer given to another caller than the first was not the first one's kept answer.

This module's community: 胜北街道 001 (130102015001) of 长安区; 桥西区 (130104) is elsewhere."""

from __future__ import annotations

import httpx
import pytest
from support.party import bearer, citizen_id
from support.waiting import eventually

COUNTY, STREET, COMMUNITY = "130102", "130102015", "130102015001"


@pytest.fixture(scope="module")
def gateway(stack) -> str:
    stack.start("needs", "volunteers", "projects", "charity", "party", "exchange")
    stack.start("gateway", WUSHE_VIEW_CACHE_TTL_S="3600")
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def gw(gateway):
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as c:
        yield c


async def routed_need(gw, token) -> str:
    worker = bearer(token, "social_worker", COMMUNITY, "sw-views")
    need = await gw.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "meal_aid",
            "description": "高龄老人需要助餐",
            "resident": {"name": "钱奶奶", "phone": "13700137015", "citizen_id": citizen_id("13010219")},
        },
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]
    assessed = await gw.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={"category": "meal_aid", "urgency": "major", "service_plan": "志愿者每日送餐", "route": "volunteer_task"},
    )
    assert assessed.status_code == 200, assessed.text
    return need_id


async def test_need_360_shows_every_actor_for_those_who_may_read_it(gw, token):
    need_id = await routed_need(gw, token)
    worker = bearer(token, "social_worker", COMMUNITY, "sw-views")

    async def with_task():
        view = (await gw.get(f"/views/needs/{need_id}", headers=worker)).json()
        return view if view["volunteers"]["status"] == "available" else None

    view = await eventually(with_task, "the volunteer task in the need's 360 view")
    assert view["need"]["status"] == "available" and view["need"]["data"]["status"] == "routed"
    assert view["timeline_status"] == "available"
    assert [e["kind"] for e in view["timeline"]][:2] == ["need_raised", "need_assessed"]
    assert view["volunteers"]["data"]["task"]["need_id"] == need_id
    for section in ("projects", "charity", "party"):
        assert view[section]["status"] == "available", (section, view[section])
    office = await gw.get(f"/views/needs/{need_id}", headers=bearer(token, "civil_affairs", COUNTY, "mz-views"))
    assert office.status_code == 200 and office.json()["need"]["status"] == "available"
    elsewhere = await gw.get(f"/views/needs/{need_id}", headers=bearer(token, "social_worker", "130104", "sw-qx"))
    assert elsewhere.status_code == 404
    unknown = await gw.get("/views/needs/01a21700-0000-7000-8000-000000000000", headers=worker)
    assert unknown.status_code == 404 and unknown.json() == {**elsewhere.json(), "instance": unknown.json()["instance"]}
    volunteer = await gw.get(f"/views/needs/{need_id}", headers=bearer(token, "volunteer", COMMUNITY, "v-views"))
    assert volunteer.status_code == 403
    assert (await gw.get(f"/views/needs/{need_id}")).status_code == 401


async def test_dashboard_and_kpis_by_area_and_role(gw, token):
    await routed_need(gw, token)
    office = bearer(token, "civil_affairs", COUNTY, "mz-views")
    board = await gw.get("/views/dashboard", headers=office, params={"area": STREET})
    assert board.status_code == 200, board.text
    dashboard = board.json()
    assert (dashboard["area_name"], dashboard["level"]) == ("胜北街道", "township")
    unavailable = [k for k, v in dashboard.items() if isinstance(v, dict) and v.get("status") != "available"]
    assert not unavailable, {k: dashboard[k] for k in unavailable}
    assert dashboard["needs"]["data"]["total"] >= 1
    province = await gw.get("/views/kpis", headers=bearer(token, "civil_affairs", "130000", "mzt-views"))
    assert province.status_code == 200, province.text
    kpis = {k["code"]: k for k in province.json()["kpis"]}
    assert set(kpis) == {
        "township_station_coverage",
        "hub_coverage",
        "full_time_staff",
        "social_work_professionals",
        "volunteer_station_coverage",
    }
    assert all(k["status"] == "available" and k["target"] for k in kpis.values()), kpis
    outside = await gw.get(
        "/views/dashboard", headers=bearer(token, "social_worker", "130104", "sw-qx"), params={"area": COUNTY}
    )
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "area_code"
    unknown = await gw.get("/views/kpis", headers=office, params={"area": "139999"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "area"
    mine = await gw.get("/views/dashboard", headers=bearer(token, "social_worker", COMMUNITY, "sw-views"))
    assert mine.status_code == 200 and mine.json()["area_code"] == COMMUNITY  # the caller's own area by default


async def test_one_openapi_document_describes_the_whole_facade(gw):
    spec = (await gw.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/views/needs/{need_id}",
        "/api/v1/views/dashboard",
        "/api/v1/needs/{need_id}",
        "/api/v1/whistles",
        "/api/v1/projects/{project_id}/bids",
        "/api/v1/funds",
        "/api/v1/tasks",
        "/api/v1/matters/{matter_id}/decision",
    } <= paths
    assert not any(p.startswith("/api/v1/healthz") for p in paths)
    assert "missing" not in spec["info"]["description"]
    # a write the gateway passes through unparsed is described by its service: body, answer, token
    intake = spec["paths"]["/api/v1/needs"]["post"]
    body = intake["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"area_code", "category", "description"} <= set(spec["components"]["schemas"][body]["properties"])
    assert {"201", "401", "422"} <= set(intake["responses"]) and intake["security"]
    assert (await gw.get("/docs")).status_code == 200


async def test_a_kept_view_shows_a_change_made_past_the_gateway(gw, token, stack):
    """A whistle blown at the party service itself, not through the gateway: the kept 360 shows it in
    the party's section (the party's event) and in the timeline, which the needs service's consumer
    writes later (its change notice, after its commit)."""
    need_id = await routed_need(gw, token)
    worker = bearer(token, "social_worker", COMMUNITY, "sw-views")
    first = (await gw.get(f"/views/needs/{need_id}", headers=worker)).json()
    assert first["party"]["data"]["whistles"] == []
    async with httpx.AsyncClient(base_url=stack.url("party"), timeout=15) as party:
        blown = await party.post(
            "/whistles",
            headers=bearer(token, "party_secretary", COMMUNITY, "sj-views"),
            json={"area_code": COMMUNITY, "title": "助餐点人手不足", "need_id": need_id},
        )
    assert blown.status_code == 201, blown.text

    async def shown():
        view = (await gw.get(f"/views/needs/{need_id}", headers=worker)).json()
        whistles = [w["id"] for w in view["party"]["data"]["whistles"]]
        timeline = [e["kind"] for e in view["timeline"]]
        return whistles == [blown.json()["id"]] and "whistle_blown" in timeline

    await eventually(shown, "the whistle in the kept 360, both in the party's section and in the timeline", 10)


async def test_a_stopped_service_leaves_its_section_unavailable_and_the_view_answers(gw, token, stack):
    need_id = await routed_need(gw, token)
    # a caller with nothing kept: a service that is down, once stopped, cannot answer their views
    worker = bearer(token, "social_worker", COMMUNITY, "sw-views-outage")
    stack.stop("charity")
    stack.stop("party")
    view = await gw.get(f"/views/needs/{need_id}", headers=worker)
    assert view.status_code == 200, view.text
    sections = view.json()
    assert sections["need"]["status"] == "available" and sections["timeline_status"] == "available"
    assert (sections["charity"]["status"], sections["party"]["status"]) == ("unavailable", "unavailable")
    board = (await gw.get("/views/dashboard", headers=worker)).json()
    assert (board["funds"]["status"], board["whistles"]["status"]) == ("unavailable", "unavailable")
    assert board["needs"]["status"] == "available"
    kpis = await gw.get("/views/kpis", headers=worker)
    assert kpis.status_code == 200


async def test_volunteer_and_organization_profiles(gw, token):
    worker, office = (
        bearer(token, "social_worker", COMMUNITY, "sw-views"),
        bearer(token, "civil_affairs", COUNTY, "mz-views"),
    )
    volunteer = await gw.post(
        "/volunteers",
        headers=worker,
        json={
            "name": "孙志强",
            "citizen_id": citizen_id("13010219"),
            "phone": "13912340015",
            "area_code": COMMUNITY,
            "skills": ["助餐"],
        },
    )
    assert volunteer.status_code == 201, volunteer.text
    profile = await gw.get(f"/views/volunteers/{volunteer.json()['id']}", headers=worker)
    assert profile.status_code == 200, profile.text
    sections = profile.json()["sections"]
    assert sections["volunteer"]["status"] == "available" and sections["volunteer"]["data"]["name"] == "孙**"
    assert sections["timebank"]["status"] in ("available", "not_found")
    from contracts.values import uscc_check_char

    body = "5213010" + "0000015001"
    uscc = body + uscc_check_char(body)
    org = await gw.post(
        "/organizations",
        headers=office,
        json={
            "name": "胜北社区服务社",
            "uscc": uscc,
            "legal_type": "social_service_agency",
            "category": "life_service",
            "area_code": COUNTY,
            "hub": False,
            "social_work_agency": True,
            "charity_certified": False,
            "full_time_staff": 4,
            "admin_accounts": ["org-views"],
        },
    )
    assert org.status_code == 201, org.text
    page = (await gw.get(f"/views/organizations/{uscc}", headers=office)).json()
    assert page["sections"]["organization"]["data"]["name"] == "胜北社区服务社"
    assert page["sections"]["projects"] == {"service": "projects", "status": "available", "data": []}
    assert (
        await gw.get(f"/views/organizations/{uscc}", headers=bearer(token, "civil_affairs", "130104"))
    ).status_code == 404
