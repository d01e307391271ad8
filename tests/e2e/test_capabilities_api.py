"""The role table through the running gateway and services: for each role, every console section the
table opens answers 2xx on what it needs, so the console never links a page that would be refused,
and a section it keeps closed is refused (403) on what it needs. Reads only.

This module's area: 西兆通镇 (130102100) of 长安区 and its community 001, where no other module works."""

from __future__ import annotations

import httpx
import pytest
from support.waiting import eventually

from contracts.values import citizen_id_check_char
from deploy import partners

COUNTY, COMMUNITY = "130102", "130102100001"
PARTNER = "caps-partner"  # a partner's token names it; an unregistered one is refused
ROLES = [
    ("social_worker", COMMUNITY),
    ("grid_worker", COMMUNITY),
    ("volunteer", COMMUNITY),
    ("resident", COMMUNITY),
    ("org_admin", COUNTY),
    ("party_secretary", COMMUNITY),
    ("charity_admin", COUNTY),
    ("civil_affairs", COUNTY),
    ("auditor", COUNTY),
    ("partner", COUNTY),
]


@pytest.fixture
async def gw(projects_api, settings):
    assert await partners.add(settings, PARTNER, COUNTY, ["needs.*"], "长安区合作方") == 0
    async with httpx.AsyncClient(base_url=projects_api, timeout=15) as c:
        yield c


_volunteer_ref: list[str] = []  # the volunteer's token names a registered volunteer (their page needs one)


async def volunteer_ref(gw, token) -> str:
    if not _volunteer_ref:
        worker = {"Authorization": f"Bearer {token('social_worker', COMMUNITY, 'caps-worker')}"}
        first17 = "13010219770707070"  # born 1977-07-07: no other module registers this volunteer
        body = {"name": "苏武", "citizen_id": first17 + citizen_id_check_char(first17), "phone": "13900100001"}
        body["area_code"] = COMMUNITY
        reply = await gw.post("/volunteers", headers=worker, json=body)
        assert reply.status_code == 201, reply.text
        _volunteer_ref.append(reply.json()["volunteer_ref"])
    return _volunteer_ref[0]


async def table_of(gw, token, role: str, area: str) -> tuple[dict, dict]:
    if role == "partner":
        sub = PARTNER
    elif role == "volunteer":
        sub = await volunteer_ref(gw, token)
    else:
        sub = f"caps-{role}"
    headers = {"Authorization": f"Bearer {token(role, area, sub=sub)}"}

    async def whole() -> dict | None:
        # a service still building its document on a busy machine is named `unavailable` for now
        answer = await gw.get("/me/capabilities", headers=headers)
        assert answer.status_code == 200, answer.text
        return None if answer.json()["unavailable"] else answer.json()

    table = await eventually(whole, "every service's rules in the table")
    assert table["role"] == role
    return table, headers


async def status_of(gw, operation: str, headers: dict) -> int:
    method, path = operation.split(" ")
    return (await gw.request(method, path, headers=headers)).status_code


@pytest.mark.parametrize(("role", "area"), ROLES, ids=[r for r, _ in ROLES])
async def test_each_open_section_answers_and_each_closed_one_is_refused(gw, token, role, area):
    table, headers = await table_of(gw, token, role, area)
    allowed = set(table["operations"])
    for section in table["sections"]:
        if not section["requires"]:
            assert section["open"], section["key"]
            continue
        groups = section["requires"]
        if section["open"]:
            group = next(g for g in groups if set(g) <= allowed)
            for operation in group:
                status = await status_of(gw, operation, headers)
                assert 200 <= status < 300, f"{role} opens {section['key']} but {operation} answers {status}"
        else:
            for group in groups:
                refused = next(op for op in group if op not in allowed)
                status = await status_of(gw, refused, headers)
                assert status == 403, f"{role} may not open {section['key']} but {refused} answers {status}"


@pytest.mark.parametrize(("role", "area"), ROLES, ids=[r for r, _ in ROLES])
async def test_the_dashboard_opens_only_where_no_section_of_it_is_refused(gw, token, role, area):
    table, headers = await table_of(gw, token, role, area)
    opens = next(s for s in table["sections"] if s["key"] == "dashboard")["open"]
    view = (await gw.get("/views/dashboard", headers=headers)).json()
    kpis = (await gw.get("/views/kpis", headers=headers)).json()
    statuses = [v["status"] for v in view.values() if isinstance(v, dict) and "status" in v]
    statuses += [k["status"] for k in kpis["kpis"]]
    assert statuses, "no section found in the views"
    assert ("forbidden" not in statuses) == opens, (role, statuses)


async def test_the_table_follows_the_services_rules(gw, token):
    """Spot checks against rules the services state: a resident raises needs but does not list them;
    a charity administrator approves payments; a volunteer checks in."""
    resident, _ = await table_of(gw, token, "resident", COMMUNITY)
    assert "POST /needs" in resident["operations"] and "GET /needs" not in resident["operations"]
    charity, _ = await table_of(gw, token, "charity_admin", COUNTY)
    assert "POST /disbursements/{disbursement_id}/approval" in charity["operations"]
    volunteer, _ = await table_of(gw, token, "volunteer", COMMUNITY)
    assert "POST /tasks/{task_id}/volunteers/{volunteer_id}/check-in" in volunteer["operations"]
    assert "POST /needs/{need_id}/assessment" not in volunteer["operations"]


async def test_the_table_needs_a_token(gw):
    assert (await gw.get("/me/capabilities")).status_code == 401
