"""A community party secretary in the console (headless Chromium): submits a major matter, then
records the committee's vote on it — the quorum and majority the party service gives shown as the
votes are entered (two members present: no quorum, and the form says so), the outcome following
the vote, a confirmation before the final record — and sees the decision with its count.

Screenshots: test-artifacts/screenshots/party-*.png. This module's area: community 130102001018 of
长安区, which no other module uses."""

from __future__ import annotations

import httpx
import pytest
from support import party as party_kit
from support.browser import needs_chromium, new_tab, personas_installed
from support.waiting import run_in_thread

pytestmark = needs_chromium

COMMUNITY = "130102001018"
TITLE = "社区公共停车位划线与收费方案"


@pytest.fixture(scope="module")
def site(stack, token, settings) -> str:
    stack.start("needs", "volunteers", "party", "gateway")

    async def build():
        async with httpx.AsyncClient(base_url=stack.url("gateway") + "/api/v1", timeout=15) as client:
            return await party_kit.committee(client, token, COMMUNITY)

    run_in_thread(build())
    persona = {
        "id": "party-secretary",
        "label_zh": "社区党委书记",
        "label_en": "Party secretary",
        "role": "party_secretary",
        "area": COMMUNITY,
        "sub": "dw-shuji",
        "description_zh": "长安区社区党委书记",
    }
    with personas_installed(settings, [persona]):
        yield stack.url("gateway")


async def test_a_secretary_submits_a_matter_and_records_the_committee_vote(site, browser):
    c = await new_tab(browser, site, viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    c.page.on("response", lambda r: (r.status == 403 or r.status >= 500) and failed.append(f"{r.status} {r.url}"))
    c.page.on("dialog", lambda d: d.accept())  # the confirmation before the final record
    await c.sign_in("party-secretary")
    await c.open("party")
    await c.page.click("summary:has-text('提交重大事项')")
    form = "#matter-form"
    await c.page.fill(f"{form} input[name='title']", TITLE)
    await c.page.fill(f"{form} textarea[name='summary']", "拟在小区内划定 40 个公共停车位，按月收取管理费")
    await c.page.check(f"{form} input[name='vital_interests']")
    await c.page.click(f"{form} button[type=submit]")
    row = f"#view tr:has-text('{TITLE}')"
    await c.page.click(f"{row} button[data-decide]")
    await c.page.wait_for_selector("#decision-form")
    seats = await c.page.query_selector_all("#decision-form fieldset[data-seat]")
    assert len(seats) == 5
    assert "需至少 3" in await c.text("#tally") and "通过需至少 3" in await c.text("#tally")

    async def vote(n: int, value: str) -> None:
        element = await seats[n].query_selector(f"input[value='{value}']")
        await element.check()

    await vote(0, "for")
    await vote(1, "for")
    assert "到会 2 / 应到 5" in await c.text("#tally")
    assert await c.page.query_selector("#tally .badge.bad") is not None  # no quorum yet
    await vote(2, "for")
    await vote(3, "against")
    assert await c.page.query_selector("#tally .badge.bad") is None
    assert await c.page.input_value("#decision-form select[name='outcome']") == "approved"  # the vote passed
    await c.shot("party-01-vote")
    await c.page.click("#decision-form button[type=submit]")
    await c.page.click(f"{row} button:has-text('查看表决')")  # the list leaves the votes out: they load on request
    await c.page.wait_for_selector(f"{row}:has-text('赞成 3 · 反对 1 · 弃权 0')")
    assert "通过" in await c.text(row) and "实到 4" in await c.text(row)
    await c.shot("party-02-decided")

    # a joint meeting: convened with the four actors, a resolution that dispatches an action
    await c.page.click("#convene")
    meeting = "#convene-form"
    await c.page.fill(f"{meeting} input[name='title']", "停车管理联席会议")
    await c.page.fill(f"{meeting} input[name='place']", "社区党群服务中心")
    for actor, name in (("social_org", "张明"), ("social_worker", "李芳"), ("volunteer", "王强")):
        await c.page.fill(f"{meeting} input[name='{actor}.name']", name)
    await c.page.click(f"{meeting} button[type=submit]")
    await c.page.wait_for_selector(f"{meeting} .problem")  # charity is not represented: refused
    await c.page.fill(f"{meeting} input[name='charity.name']", "赵丽")
    await c.page.click(f"{meeting} button[type=submit]")
    item = "[data-meeting]:has-text('停车管理联席会议')"
    await c.page.click(f"{item} summary")
    await c.page.wait_for_selector(f"{item} #resolution-form")
    assert "张明" in await c.text(item)
    await c.page.fill(f"{item} textarea[name='text']", "由物业与志愿者共同维护停车秩序")
    await c.page.fill(f"{item} input[name='action.title']", "招募停车引导志愿者")
    await c.page.fill(f"{item} input[name='action.owner']", "社区志愿者服务队")
    await c.page.click(f"{item} button[type=submit]")
    await c.page.wait_for_selector("[data-card='actions'] td:has-text('招募停车引导志愿者')")
    await c.shot("party-03-meeting")
    assert failed == [], failed
    c.check()
