"""公益创投 through the gateway: a call with a pool; eligible organizations apply; judges score after
the deadline; the best applications the pool can fund in full win and become projects that the
charity service funds from the call's fund and that are procured from the winners directly.

This module's community: 中山东路街道 001 (130102012001) of 长安区."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support.party import bearer
from support.waiting import eventually, run_in_thread

from contracts.values import uscc_check_char

COUNTY, COMMUNITY = "130102", "130102012001"


def uscc(serial: int) -> str:
    body = f"5213010{serial:010d}"
    return body + uscc_check_char(body)


ORGS = {"a": uscc(9001), "b": uscc(9002), "c": uscc(9003)}


@pytest.fixture(scope="module")
def fund(projects_api, token):
    async def build():
        async with httpx.AsyncClient(base_url=projects_api, timeout=10) as c:
            office = bearer(token, "civil_affairs", COUNTY, "mz-venture")
            for name, code in ORGS.items():
                reply = await c.post(
                    "/organizations",
                    headers=office,
                    json={
                        "name": f"长安区公益组织{name}",
                        "uscc": code,
                        "legal_type": "social_group",
                        "category": "charity",
                        "area_code": COUNTY,
                        "hub": False,
                        "social_work_agency": False,
                        "charity_certified": True,
                        "full_time_staff": 3,
                        "admin_accounts": [f"venture-{name}"],
                    },
                )
                assert reply.status_code == 201, reply.text
            fund_id = (
                await c.post(
                    "/funds",
                    headers=office,
                    json={"name": "长安区公益创投专项基金", "kind": "special_fund", "area_code": COUNTY},
                )
            ).json()["id"]
            money = await c.post(
                "/donations",
                headers=bearer(token, "charity_admin", COUNTY, "cz-venture"),
                json={"fund_id": fund_id, "amount_fen": 3_000_000, "donor": {"kind": "anonymous"}},
            )
            assert money.status_code == 201, money.text
            return fund_id

    return run_in_thread(build())


def application(code: str, asked: int) -> dict:
    due = (date.today() + timedelta(days=180)).isoformat()
    return {
        "organization_uscc": code,
        "area_code": COMMUNITY,
        "title": "社区儿童四点半课堂",
        "summary": "为双职工家庭儿童提供课后托管与学业辅导",
        "indicators": [{"name": "服务儿童", "target": "60 人"}],
        "requested_fen": asked,
        "milestones": [{"title": "结项", "due_on": due, "amount_fen": asked}],
    }


async def test_the_best_applications_the_pool_can_fund_win_and_become_funded_projects(projects, token, fund):
    office = bearer(token, "civil_affairs", COUNTY, "mz-venture")
    judges = [office, bearer(token, "social_worker", COUNTY, "sw-judge")]
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    call = await projects.post(
        "/venture-calls",
        headers=office,
        json={
            "kind": "venture",
            "title": "2026 年长安区公益创投大赛",
            "area_code": COUNTY,
            "fund_id": fund,
            "pool_fen": 2_000_000,
            "max_grant_fen": 1_200_000,
            "apply_deadline": deadline.isoformat(),
        },
    )
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    admins = {name: bearer(token, "org_admin", COUNTY, f"venture-{name}") for name in ORGS}
    too_much = await projects.post(
        f"/venture-calls/{call_id}/applications", headers=admins["a"], json=application(ORGS["a"], 1_500_000)
    )
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "requested_fen"
    ids = {}
    for name, asked in (("a", 1_200_000), ("b", 1_000_000), ("c", 800_000)):
        reply = await projects.post(
            f"/venture-calls/{call_id}/applications", headers=admins[name], json=application(ORGS[name], asked)
        )
        assert reply.status_code == 201, reply.text
        ids[name] = reply.json()["id"]
    posing = await projects.post(
        f"/venture-calls/{call_id}/applications", headers=admins["a"], json=application(ORGS["b"], 100_000)
    )
    assert posing.status_code == 403
    early = await projects.post(
        f"/venture-calls/{call_id}/applications/{ids['a']}/scores",
        headers=office,
        json={"scores": {"innovation": 90, "feasibility": 90, "benefit": 90}},
    )
    assert early.status_code == 409

    # the application deadline must pass in real time (the service reads its own clock)
    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.2)
    assert (await projects.post(f"/venture-calls/{call_id}/award", headers=office)).json()["rule"] == "unscored"
    for judge in judges:
        for name, mark in (("a", 90), ("b", 85), ("c", 80)):
            scored = await projects.post(
                f"/venture-calls/{call_id}/applications/{ids[name]}/scores",
                headers=judge,
                json={"scores": {"innovation": mark, "feasibility": mark, "benefit": mark}},
            )
            assert scored.status_code == 200, scored.text
    awarded = await projects.post(f"/venture-calls/{call_id}/award", headers=office)
    assert awarded.status_code == 200, awarded.text
    result = awarded.json()
    # a (1.2M) wins; b (1.0M) no longer fits the 0.8M left; c (0.8M) does
    assert {w["organization_uscc"] for w in result["winners"]} == {ORGS["a"], ORGS["c"]}
    assert (result["granted_fen"], result["left_fen"]) == (2_000_000, 0)
    again = await projects.post(f"/venture-calls/{call_id}/award", headers=office)
    assert again.status_code == 409

    for winner in result["winners"]:

        async def procured(project_id=winner["project_id"]):
            project = (await projects.get(f"/projects/{project_id}", headers=office)).json()
            return project if project["status"] == "procured" else None

        project = await eventually(procured, "the winner's project funded and procured")
        assert project["organization_uscc"] == winner["organization_uscc"]
        assert (
            project["funding"][0]["source"] == "venture_philanthropy" and project["funding"][0]["status"] == "committed"
        )
        assert len(project["milestones"]) == 1
    lost = (await projects.get(f"/venture-calls/{call_id}", headers=office)).json()
    assert {a["organization_uscc"]: a["status"] for a in lost["applications"]}[ORGS["b"]] == "lost"
