"""A social organization and the community in the console (headless Chromium): the organization's
administrator bids for a published project through the bid form (its team and milestones, the
payments adding up to the price), the call closes and the project is awarded to it; the
administrator reports the first milestone with its evidence, and the social worker accepts it —
which asks the charity service to pay it. No script error, no refused request, no raw code.

Screenshots: test-artifacts/screenshots/projects-*.png. This module's area: 河东街道 (130102007) of
长安区, community 003, which no other module uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support import projects as projects_kit
from support.browser import needs_chromium, new_tab, personas_installed
from support.waiting import run_in_thread

from contracts.values import uscc_check_char

pytestmark = needs_chromium

COUNTY, COMMUNITY = "130102", "130102007003"
BODY = "5213010" + f"{7301:010d}"
ORG = BODY + uscc_check_char(BODY)
ORG_NAME = "长安区河东社工服务中心"
CLOSES_IN_S = 25  # the call is open this long: time to bid through the form


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


@pytest.fixture(scope="module")
def site(projects_api, stack, settings, token) -> dict:
    """A registered organization, a fund with money, and a project published for bids."""
    worker, office = (
        bearer(token, "social_worker", "sw-proj-browser"),
        bearer(token, "civil_affairs", "mz-proj-browser"),
    )

    async def build() -> dict:
        async with httpx.AsyncClient(base_url=projects_api, timeout=15) as c:
            org = {
                "name": ORG_NAME,
                "uscc": ORG,
                "legal_type": "social_service_agency",
                "category": "life_service",
                "area_code": COUNTY,
                "hub": False,
                "social_work_agency": True,
                "charity_certified": False,
                "full_time_staff": 8,
                "admin_accounts": ["org-proj-browser"],
            }
            assert (await c.post("/organizations", headers=office, json=org)).status_code == 201
            fund = await c.post(
                "/funds",
                headers=office,
                json={"name": "河东街道购买服务资金", "kind": "government_purchase", "area_code": COUNTY},
            )
            fund_id = fund.json()["id"]
            gift = {"fund_id": fund_id, "amount_fen": 10_000_000, "donor": {"kind": "anonymous"}}
            assert (
                await c.post("/donations", headers=bearer(token, "charity_admin", "cz-proj-browser"), json=gift)
            ).status_code == 201
            body = projects_kit.project_body(fund_id, COMMUNITY, 2_000_000, title="河东街道独居老人探访项目")
            pid = (await c.post("/projects", headers=worker, json=body)).json()["id"]
            assert (await c.post(f"/projects/{pid}/submission", headers=worker)).json()["status"] == "funding_pending"
            await projects_kit.status_becomes(c, worker, pid, "funded")
            deadline = datetime.now(UTC) + timedelta(seconds=CLOSES_IN_S)
            call = {"bid_deadline": deadline.isoformat(), "criteria": {"plan": 40, "price": 30, "team": 30}}
            assert (await c.post(f"/projects/{pid}/publication", headers=worker, json=call)).status_code == 200
            return {"pid": pid, "deadline": deadline}

    built = run_in_thread(build())
    personas = [
        {
            "id": "proj-org",
            "label_zh": "社会组织管理员",
            "label_en": "Organization administrator",
            "role": "org_admin",
            "area": COUNTY,
            "sub": "org-proj-browser",
            "description_zh": ORG_NAME,
        },
        {
            "id": "proj-worker",
            "label_zh": "河东街道社工",
            "label_en": "Social worker",
            "role": "social_worker",
            "area": COUNTY,
            "sub": "sw-proj-browser",
            "description_zh": "项目验收",
        },
    ]
    with personas_installed(settings, personas):
        yield {**built, "api": projects_api, "console": stack.url("gateway"), "worker": worker, "office": office}


async def test_an_organization_bids_reports_a_milestone_and_the_community_accepts_it(site, browser, token):
    c = await new_tab(browser, site["console"], viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    c.page.on("response", lambda r: (r.status == 403 or r.status >= 500) and failed.append(f"{r.status} {r.url}"))
    await c.sign_in("proj-org")
    await c.open(f"projects/{site['pid']}")
    await c.page.click("#bid-panel summary")
    form = "#bid-form"
    await c.page.select_option(f"{form} select[name='organization_uscc']", ORG)
    await c.page.fill(f"{form} input[name='price_fen']", "18000")
    await c.page.fill(f"{form} textarea[name='plan']", "组建探访小组，每周上门探访独居老人并建立档案")
    await c.page.fill(f"{form} [data-rows='team'] [data-field='role']", "项目社工")
    await c.page.fill(f"{form} [data-rows='team'] [data-field='count']", "2")
    first, second = (date.today() + timedelta(days=90)).isoformat(), (date.today() + timedelta(days=180)).isoformat()
    await c.page.fill(f"{form} [data-rows='milestones'] [data-field='title']", "完成建档")
    await c.page.fill(f"{form} [data-rows='milestones'] [data-field='due_on']", first)
    await c.page.fill(f"{form} [data-rows='milestones'] [data-field='amount']", "8000")
    await c.page.click(f"{form} button:has-text('里程碑')")
    rows = await c.page.query_selector_all(f"{form} [data-rows='milestones'] > *")
    await (await rows[1].query_selector("[data-field='title']")).fill("探访满一年")
    await (await rows[1].query_selector("[data-field='due_on']")).fill(second)
    await (await rows[1].query_selector("[data-field='amount']")).fill("9000")  # 17,000 of 18,000: refused
    await c.page.click(f"{form} button[type=submit]")
    await c.page.wait_for_selector(f"{form} .problem")
    await (await rows[1].query_selector("[data-field='amount']")).fill("10000")
    await c.page.click(f"{form} button[type=submit]")
    await c.page.wait_for_selector(f"#view section:has-text('投标') tr:has-text('{ORG_NAME}')")
    assert "18,000" in await c.text("#view")
    await c.shot("projects-01-bid")

    async def award() -> None:  # the call closes; the panel scores the one bid and awards it
        await asyncio.sleep(max(0.0, (site["deadline"] - datetime.now(UTC)).total_seconds() + 1))
        async with httpx.AsyncClient(base_url=site["api"], timeout=15) as client:
            project = (await client.get(f"/projects/{site['pid']}", headers=site["office"])).json()
            [bid] = project["bids"]
            for who in (site["worker"], site["office"]):
                scored = await client.post(
                    f"/bids/{bid['id']}/scores", headers=who, json={"scores": {"plan": 90, "price": 85, "team": 80}}
                )
                assert scored.status_code == 200, scored.text
            assert (await client.post(f"/projects/{site['pid']}/award", headers=site["office"])).status_code == 200

    await award()
    await c.page.reload()
    report = "#project-actions details[data-report]"
    await c.page.click(f"{report} summary")
    await c.page.fill(f"{report} textarea[name='summary']", "已为 42 位独居老人建立探访档案")
    await c.page.fill(f"{report} [data-field='description']", "探访档案 42 份、签到表 12 份")
    await c.page.click(f"{report} button[type=submit]")
    await c.page.wait_for_selector("#view td:has-text('已报告'), #view span:has-text('已报告')")
    await c.shot("projects-02-reported")
    c.check()

    w = await new_tab(browser, site["console"], viewport={"width": 1280, "height": 900})
    await w.sign_in("proj-worker")
    await w.open(f"projects/{site['pid']}")
    await w.page.wait_for_selector("#accept-form:has-text('探访档案 42 份')")
    await w.page.click("#accept-form button[type=submit]")
    await w.page.wait_for_selector("#view span.badge:has-text('已验收')")
    await w.shot("projects-03-accepted")
    w.check()
    assert failed == [], failed
