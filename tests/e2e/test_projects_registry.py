"""The registry of the projects service through the gateway: social organizations registered,
changed and deregistered by civil affairs (each change announced by OrganizationRegistered), their
grade history, service platforms, the communities the targets are counted over, the statistics
against the policy's targets, the purchase list that applies down the area tree — and one role ×
jurisdiction table of every route.

This module's county is 新华区 (130105), which no other module of the projects database uses:
革新街街道 (130105001) holds the table's organization and station, 新华路街道 (130105003) the
registration flow, 西苑街道 (130105006) the statistics, 石岗街道 (130105009) what the table creates.
裕华区 (130108) is the other county."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC

import httpx
import pytest
from support.authz import Case, Table, uncovered_routes
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.values import uscc_check_char

XINHUA, YUHUA = "130105", "130108"
GEXIN, XINHUALU, HEZUOLU, XIYUAN, SHIGANG = "130105001", "130105003", "130105007", "130105006", "130105009"
_serial = itertools.count(random.randrange(10**6))


def uscc(area: str = XINHUA, kind: str = "1") -> str:
    """A new valid USCC of a civil-affairs registration (5 + 1 社会团体 / 2 社会服务机构 / 3 基金会)."""
    first17 = f"5{kind}{area}MJ{next(_serial) % 10**7:07d}"
    return first17 + uscc_check_char(first17)


def bearer(token, role: str, area: str = XINHUA, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub or f'{role}-{area}')}"}


def org(area: str, code: str | None = None, **extra) -> dict:
    return {
        "name": "新华区邻里互助会",
        "uscc": code or uscc(area[:6]),
        "legal_type": "social_group",
        "category": "mutual_aid",
        "area_code": area,
        **extra,
    }


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict, body=None, expect: int = 200):
    reply = await client.request(method, path, json=body, headers=headers)
    assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()


def field_of(reply: httpx.Response) -> str:
    return reply.json()["errors"][0]["field"]


@pytest.fixture(scope="module")
def world(projects_api, token) -> dict[str, str]:
    """The table's objects: an incubation base of 新华区, an organization of 革新街街道 incubated
    there (administered by the table's org_admin of 新华区) operating the street's station, and an
    organization of 裕华区."""

    async def build() -> dict[str, str]:
        clerk, yuhua_clerk = bearer(token, "civil_affairs"), bearer(token, "civil_affairs", YUHUA)
        async with httpx.AsyncClient(base_url=projects_api, timeout=10) as c:
            base = (
                await call(
                    c,
                    "POST",
                    "/platforms",
                    clerk,
                    {
                        "kind": "incubation_base",
                        "name": "新华区社区社会组织孵化基地",
                        "area_code": XINHUA,
                        "opened_on": "2023-05-01",
                    },
                    201,
                )
            )["id"]
            gexin = await call(
                c,
                "POST",
                "/organizations",
                clerk,
                org(
                    GEXIN,
                    name="革新街社会工作服务中心",
                    legal_type="social_service_agency",
                    category="professional",
                    social_work_agency=True,
                    full_time_staff=8,
                    admin_accounts=[f"org_admin-{XINHUA}", "oa-gexin"],
                    incubation={"base_id": base, "since": "2023-06-01"},
                ),
                201,
            )
            station = (
                await call(
                    c,
                    "POST",
                    "/platforms",
                    clerk,
                    {
                        "kind": "station",
                        "name": "革新街街道社会工作服务站",
                        "area_code": GEXIN,
                        "operator_uscc": gexin["uscc"],
                        "contract_until": "2027-12-31",
                        "staff": 4,
                        "opened_on": "2024-01-01",
                    },
                    201,
                )
            )["id"]
            yuhua = await call(c, "POST", "/organizations", yuhua_clerk, org(YUHUA, name="裕华区志愿者协会"), 201)
        return {"base": base, "org": gexin["uscc"], "station": station, "yuhua_org": yuhua["uscc"]}

    return run_in_thread(build())


# --- registration, change, deregistration --------------------------------------------------------------


async def announcements(db, code: str) -> list:
    conn = await db("projects")
    rows = await conn.fetch("SELECT payload, sent_at FROM outbox ORDER BY id")
    events = [(json.loads(bytes(r["payload"])), r["sent_at"]) for r in rows]
    return [
        (e, sent)
        for e, sent in events
        if e["type"] == "cn.wushe.projects.organization_registered.v1" and e["data"]["organization_uscc"] == code
    ]


async def test_register_change_and_deregister(projects, token, world, db):
    clerk = bearer(token, "civil_affairs")
    body = org(
        f"{XINHUALU}001",
        admin_accounts=["oa-xinhualu"],
        full_time_staff=3,
        incubation={"base_id": world["base"], "since": "2025-03-01"},
    )
    created = await call(projects, "POST", "/organizations", clerk, body, 201)
    code = created["uscc"]
    assert created["status"] == "registered" and created["version"] == 1 and created["grades"] == []
    assert created["incubation"] == {"base_id": world["base"], "since": "2025-03-01", "graduated_on": None}

    again = await projects.post("/organizations", headers=clerk, json={**body, "name": "另一个名称"})
    assert again.status_code == 409 and field_of(again) == "uscc" and again.json()["rule"] == "uscc_unique"

    changed = await call(
        projects,
        "PATCH",
        f"/organizations/{code}",
        clerk,
        {
            "full_time_staff": 6,
            "hub": True,
            "incubation": {"base_id": world["base"], "since": "2025-03-01", "graduated_on": "2026-03-01"},
        },
    )
    assert (changed["full_time_staff"], changed["hub"], changed["version"]) == (6, True, 2)
    assert changed["incubation"]["graduated_on"] == "2026-03-01" and changed["admin_accounts"] == ["oa-xinhualu"]
    cleared = await call(projects, "PATCH", f"/organizations/{code}", clerk, {"incubation": None})
    assert cleared["incubation"] is None and cleared["hub"] is True

    # each state is announced, and the relay publishes it
    async def published():
        events = await announcements(db, code)
        return events if len(events) == 3 and all(sent for _, sent in events) else None

    events = await eventually(published, "three OrganizationRegistered published")
    assert [(e["data"]["full_time_staff"], e["data"]["hub"]) for e, _ in events] == [(3, False), (6, True), (6, True)]
    assert events[0][0]["area_code"] == f"{XINHUALU}001" and events[0][0]["subject"] == code

    gone = await call(projects, "PATCH", f"/organizations/{code}", clerk, {"status": "deregistered"})
    assert gone["status"] == "deregistered"
    refused = await projects.patch(f"/organizations/{code}", headers=clerk, json={"full_time_staff": 1})
    assert refused.status_code == 409, refused.text
    assert (refused.json()["rule"], refused.json()["state"]) == ("deregistered_final", "deregistered")


async def test_grade_history_newest_first(projects, token, world, db):
    from datetime import datetime
    from uuid import uuid4

    from services.projects.registry import store

    clerk = bearer(token, "civil_affairs")
    code = (await call(projects, "POST", "/organizations", clerk, org(XINHUALU, category="charity"), 201))["uscc"]
    conn = await db("projects")
    at = datetime(2026, 1, 10, tzinfo=UTC)
    async with conn.transaction():  # as the project library's evaluation does, inside its own transaction
        await store.record_grade(conn, code, 2024, "good", uuid4(), 82.0, at)
        await store.record_grade(conn, code, 2025, "unqualified", uuid4(), 55.5, at)
    view = await call(projects, "GET", f"/organizations/{code}", bearer(token, "social_worker", XINHUALU))
    assert [(g["year"], g["grade"], g["score"]) for g in view["grades"]] == [
        (2025, "unqualified", 55.5),
        (2024, "good", 82.0),
    ]
    assert view["admin_accounts"] is None  # only the registrar and the org's own administrators see them
    _, grades = await store.eligibility_facts(conn, code)
    assert grades == {2024: "good", 2025: "unqualified"}


async def test_an_org_admin_sees_only_their_own(projects, token, world):
    mine = bearer(token, "org_admin", GEXIN, "oa-gexin")
    view = await call(projects, "GET", f"/organizations/{world['org']}", mine)
    assert view["admin_accounts"] == [f"org_admin-{XINHUA}", "oa-gexin"]
    listed = await call(projects, "GET", "/organizations", mine, None)
    assert [o["uscc"] for o in listed] == [world["org"]]
    stranger = bearer(token, "org_admin", GEXIN, "oa-someone-else")
    assert (await projects.get(f"/organizations/{world['org']}", headers=stranger)).status_code == 404
    assert await call(projects, "GET", "/organizations", stranger) == []


async def test_bad_input_names_the_field(projects, token, world):
    clerk = bearer(token, "civil_affairs")
    good = org(XINHUALU)
    bad_check = good["uscc"][:-1] + ("1" if good["uscc"][-1] != "1" else "2")
    for change, field in (
        ({"uscc": bad_check}, "uscc"),
        ({"area_code": "139999"}, "area_code"),
        ({"category": "sports"}, "category"),
        ({"full_time_staff": -1}, "full_time_staff"),
        ({"incubation": {"base_id": world["station"], "since": "2025-01-01"}}, "incubation.base_id"),
    ):
        reply = await projects.post("/organizations", headers=clerk, json={**good, **change})
        assert reply.status_code == 422 and field_of(reply) == field, reply.text
    station = {"kind": "station", "name": "新华路街道社工站", "area_code": XINHUALU, "opened_on": "2025-01-01"}
    for change, field in (
        ({"area_code": XINHUA}, "area_code"),
        ({"operator_uscc": uscc()}, "operator_uscc"),
        ({"staff": -1}, "staff"),
    ):
        reply = await projects.post("/platforms", headers=clerk, json={**station, **change})
        assert reply.status_code == 422 and field_of(reply) == field, reply.text
    twice = await projects.post("/platforms", headers=clerk, json={**station, "area_code": GEXIN})
    assert twice.status_code == 409 and field_of(twice) == "area_code"
    assert twice.json()["rule"] == "one_station_per_township"
    for path, field in (
        ("/organizations?area=999999", "area"),
        (f"/organizations/{bad_check}", "uscc"),  # shaped like a code, with a wrong check character
        ("/purchase-list/130105/1999", "year"),
        ("/purchase-list/12345/2027", "area"),
    ):
        reply = await projects.get(path, headers=clerk)
        assert reply.status_code == 422 and field_of(reply) == field, reply.text
    not_a_code = await projects.get("/organizations/NOT-A-USCC", headers=clerk)  # names no organization
    assert not_a_code.status_code == 404 and not_a_code.headers["content-type"].startswith("application/problem+json")
    duplicate = {"code": "meal", "name": "助餐", "category": "meal_aid"}
    reply = await projects.put("/purchase-list/130105/2027", headers=clerk, json={"items": [duplicate, duplicate]})
    assert reply.status_code == 422 and field_of(reply) == "items"
    reply = await projects.put("/communities", headers=clerk, json={"area_code": XIYUAN, "codes": [f"{GEXIN}001"]})
    assert reply.status_code == 422 and field_of(reply) == "codes"


# --- statistics and coverage ---------------------------------------------------------------------------


async def test_organization_statistics_against_the_targets(projects, token):
    clerk, reader = bearer(token, "civil_affairs"), bearer(token, "party_secretary", XIYUAN)
    none = (await call(projects, "GET", f"/organizations/stats?area={HEZUOLU}", clerk))["hub_coverage"]
    assert (
        none["share"] is None
        and none["urban_communities"] is None
        and "名录" in none["note"]
        and "PUT" not in none["note"]
    )

    communities = [f"{XIYUAN}001", f"{XIYUAN}002", f"{XIYUAN}003", f"{XIYUAN}201"]
    put = await call(projects, "PUT", "/communities", clerk, {"area_code": XIYUAN, "codes": communities})
    assert put == {"area_code": XIYUAN, "communities": 4, "urban": 3}
    for body in (
        org(f"{XIYUAN}001", hub=True, full_time_staff=5),
        org(f"{XIYUAN}002", category="culture_sports", legal_type="social_service_agency", full_time_staff=10),
        org(XIYUAN, category="charity", legal_type="foundation", full_time_staff=3),
        org(f"{XIYUAN}201", category="life_service", full_time_staff=2),
    ):
        await call(projects, "POST", "/organizations", clerk, body, 201)
    gone = await call(projects, "POST", "/organizations", clerk, org(f"{XIYUAN}003", hub=True, full_time_staff=50), 201)
    await call(projects, "PATCH", f"/organizations/{gone['uscc']}", clerk, {"status": "deregistered"})

    stats = await call(projects, "GET", f"/organizations/stats?area={XIYUAN}", reader)
    assert stats["organizations"] == 4
    assert stats["by_category"] == {
        "life_service": 1,
        "charity": 1,
        "mutual_aid": 1,
        "culture_sports": 1,
        "professional": 0,
        "other": 0,
    }
    assert stats["by_legal_type"] == {"social_group": 2, "social_service_agency": 1, "foundation": 1}
    assert stats["full_time_staff"] == {"total": 20, "target": 400_000, "share": 0.00005}
    assert [(c["area_code"], c["count"]) for c in stats["by_community"]] == [
        (f"{XIYUAN}001", 1),
        (f"{XIYUAN}002", 1),
        (f"{XIYUAN}201", 1),
    ]
    assert stats["hub_coverage"] == {
        "urban_communities": 3,
        "covered": 1,
        "share": 0.3333,
        "target": 1.0,
        "met": False,
        "note": None,
    }

    # a hub of the street covers every community of it
    await call(projects, "POST", "/organizations", clerk, org(XIYUAN, name="西苑街道社区社会组织联合会", hub=True), 201)
    hub = (await call(projects, "GET", f"/organizations/stats?area={XIYUAN}", reader))["hub_coverage"]
    assert (hub["covered"], hub["share"], hub["met"]) == (3, 1.0, True)
    one = (await call(projects, "GET", f"/organizations/stats?area={XIYUAN}003", clerk))["hub_coverage"]
    assert (one["urban_communities"], one["covered"], one["met"]) == (1, 1, True)

    hubs = await call(projects, "GET", f"/organizations?area={XIYUAN}&hub=true&status=registered", clerk)
    assert len(hubs) == 2 and all(o["hub"] and o["status"] == "registered" for o in hubs)
    charity = await call(projects, "GET", f"/organizations?area={XIYUAN}&category=charity", clerk)
    assert [o["legal_type"] for o in charity] == ["foundation"]
    listed = await call(projects, "GET", f"/communities?area={XIYUAN}", reader)
    assert [(c["area_code"], c["urban"]) for c in listed][-1] == (f"{XIYUAN}201", False)


async def test_station_coverage_and_rooms(projects, token, world):
    clerk = bearer(token, "civil_affairs")
    before = (await call(projects, "GET", f"/platforms/coverage?area={XIYUAN}", clerk))["stations"]
    assert (before["townships"], before["with_station"], before["share"], before["met"]) == (1, 0, 0.0, False)
    assert before["without_station"] == [XIYUAN]
    await call(
        projects,
        "POST",
        "/platforms",
        clerk,
        {
            "kind": "station",
            "name": "西苑街道社会工作服务站",
            "area_code": XIYUAN,
            "staff": 3,
            "opened_on": "2025-06-01",
        },
        201,
    )
    for n, community in enumerate((f"{XIYUAN}001", f"{XIYUAN}001", f"{XIYUAN}201")):
        room = {"kind": "room", "name": f"{community} 社会工作室", "area_code": community, "opened_on": "2025-07-01"}
        keyed = {**clerk, "Idempotency-Key": f"xiyuan-room-{n}"}
        first = await call(projects, "POST", "/platforms", keyed, room, 201)
        assert await call(projects, "POST", "/platforms", keyed, room, 201) == first  # a retry adds no second room

    # the communities were registered by the statistics test; register them here if run alone
    await call(
        projects,
        "PUT",
        "/communities",
        clerk,
        {"area_code": XIYUAN, "codes": [f"{XIYUAN}001", f"{XIYUAN}002", f"{XIYUAN}003", f"{XIYUAN}201"]},
    )
    coverage = await call(projects, "GET", f"/platforms/coverage?area={XIYUAN}", bearer(token, "auditor", XIYUAN))
    stations = coverage["stations"]
    assert (stations["with_station"], stations["share"], stations["met"]) == (1, 1.0, True)
    rooms = coverage["rooms"]
    assert rooms["rooms"] == 3 and [(c["area_code"], c["count"]) for c in rooms["by_community"]] == [
        (f"{XIYUAN}001", 2),
        (f"{XIYUAN}201", 1),
    ]
    assert (rooms["registered_communities"], rooms["with_room"], rooms["share"]) == (4, 2, 0.5)

    county = (await call(projects, "GET", "/platforms/coverage", clerk))["stations"]  # the caller's own area
    assert county["townships"] == 15 and {GEXIN, XIYUAN}.isdisjoint(county["without_station"])
    assert county["met"] is False
    platforms = await call(projects, "GET", f"/platforms?area={GEXIN}&kind=station", clerk)
    assert [(p["id"], p["operator_uscc"], p["operator_name"]) for p in platforms] == [
        (world["station"], world["org"], "革新街社会工作服务中心")
    ]


# --- the purchase list ------------------------------------------------------------------------------------


async def test_a_county_purchase_list_applies_to_its_communities(projects, token):
    clerk = bearer(token, "civil_affairs")
    county = [
        {"code": "meal", "name": "老年助餐服务", "category": "meal_aid", "max_budget_fen": 20_000_000},
        {"code": "care", "name": "居家养老照料", "category": "daily_care"},
    ]
    street = [{"code": "meal", "name": "革新街助餐点运营", "category": "meal_aid", "max_budget_fen": 5_000_000}]
    await call(projects, "PUT", "/purchase-list/130105/2027", clerk, {"items": county})
    by_street = await call(
        projects, "PUT", f"/purchase-list/{GEXIN}/2027", bearer(token, "civil_affairs", GEXIN), {"items": street}
    )
    assert by_street["updated_by"] == f"civil_affairs-{GEXIN}"

    community = f"{GEXIN}001"
    for reader in (bearer(token, "social_worker", community), bearer(token, "org_admin", community)):
        applies = await call(projects, "GET", f"/purchase-list/{community}/2027", reader)
        assert [(i["code"], i["listed_by"], i["max_budget_fen"]) for i in applies["items"]] == [
            ("meal", GEXIN, 5_000_000),
            ("care", XINHUA, None),
        ]
        assert applies["updated_at"] is None  # the community has no list of its own
        above = await call(projects, "GET", "/purchase-list/130105/2027", reader)  # the county's list applies to them
        assert [i["code"] for i in above["items"]] == ["meal", "care"]

    outside = await projects.get(f"/purchase-list/{GEXIN}/2027", headers=bearer(token, "social_worker", YUHUA))
    assert outside.status_code == 404
    refused = await projects.put(
        "/purchase-list/130105/2027", headers=bearer(token, "civil_affairs", GEXIN), json={"items": street}
    )
    assert refused.status_code == 403 and field_of(refused) == "area_code"


# --- role × jurisdiction ----------------------------------------------------------------------------------

ROLES = ["civil_affairs", "social_worker", "party_secretary", "auditor", "org_admin", "volunteer", "resident"]
READERS = ["civil_affairs", "social_worker", "party_secretary", "auditor"]
ROOM = {"kind": "room", "name": "石岗街道001社区社会工作室", "area_code": f"{SHIGANG}001", "opened_on": "2025-01-01"}
COMMUNITIES = {"area_code": SHIGANG, "codes": [f"{SHIGANG}001"]}
PURCHASE_LIST = {"items": [{"code": "counsel", "name": "心理疏导服务", "category": "counselling"}]}

# Each role in 新华区 ("in") and in 裕华区 ("out"): an allowed role → ok in 新华区, `other` in 裕华区 (403
# naming area_code, or 404 just like an unknown organization or area); any other role → 403; no token → 401.
table = Table(home=XINHUA, other=YUHUA, roles=ROLES, pairs=True, names={XINHUA: "in", YUHUA: "out"})
ROUTES = [
    table.route("POST", "/organizations", 201, allowed=["civil_affairs"], other=403, body="new organization"),
    table.route(
        "GET",
        "/organizations?area=130105",
        200,
        allowed=[*READERS, "org_admin"],
        other=403,
        special={f"org_admin@{YUHUA}": dict(expect=200, field=None)},  # their own organizations: none here
    ),
    table.route("GET", "/organizations/stats?area=130105", 200, allowed=READERS, other=403),
    table.route("GET", "/organizations/{org}", 200, allowed=[*READERS, "org_admin"], other=404),
    table.route(
        "PATCH", "/organizations/{org}", 200, allowed=["civil_affairs"], other=404, body={"full_time_staff": 8}
    ),
    table.route("POST", "/platforms", 201, allowed=["civil_affairs"], other=403, body=ROOM),
    table.route("GET", "/platforms?area=130105", 200, allowed=READERS, other=403),
    table.route("GET", "/platforms/coverage?area=130105", 200, allowed=READERS, other=403),
    table.route("PUT", "/communities", 200, allowed=["civil_affairs"], other=403, body=COMMUNITIES),
    table.route("GET", "/communities?area=130105", 200, allowed=READERS, other=403),
    table.route("PUT", "/purchase-list/130105/2028", 200, allowed=["civil_affairs"], other=403, body=PURCHASE_LIST),
    table.route("GET", "/purchase-list/130105/2028", 200, allowed=[*READERS, "org_admin"], other=404),
]
# the rows with a token, route by route, then those without one
TABLE = [c for rows in ROUTES for c in rows if c.caller] + [c for rows in ROUTES for c in rows if not c.caller]


def test_the_table_covers_every_route():
    from services.projects.registry.api import router

    assert not uncovered_routes([router], ((c.method, c.path) for c in TABLE))


@pytest.mark.parametrize("case", TABLE, ids=str)
async def test_role_and_jurisdiction(case: Case, projects, token, world):
    path = case.path.format(**world)
    body = org(f"{SHIGANG}002") if case.body == "new organization" else case.body
    headers = bearer(token, *case.caller.split("@")) if case.caller else {}

    reply = await projects.request(case.method, path, json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if reply.status_code == 200 and case.caller.endswith(f"@{YUHUA}"):
        assert world["org"] not in reply.text  # nothing of 新华区 leaks
    if case.field:
        assert field_of(reply) == case.field
    if reply.status_code == 404:  # the answer for an unknown organization or area
        unknown = path.replace(world["org"], uscc(YUHUA)).replace("130105", "130123")
        baseline = await projects.request(case.method, unknown, json=body, headers=headers)
        assert baseline.status_code == 404
        assert anonymous(reply, {}) == anonymous(baseline, {})
    if reply.status_code == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.path == "/organizations/{org}" and reply.status_code == 200:
        role = case.caller.partition("@")[0]
        assert (reply.json()["admin_accounts"] is None) == (role not in ("civil_affairs", "org_admin"))
