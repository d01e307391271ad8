"""The console shaped by the role's table (GET /api/v1/me/capabilities), in headless Chromium: each
persona's navigation lists only what its role may open, every entry it lists opens without a script
error, a problem box, a 「无权」 notice or a request the gateway refuses (403), and a page typed in by
hand that is not for the role says so kindly, with a way home.

Screenshots: test-artifacts/screenshots/roles-<persona>-<page>.png. This module's area: 西兆通镇
(130102100) of 长安区 and its community 001, where no other module works; it writes nothing there."""

from __future__ import annotations

import pytest
from support.browser import needs_chromium, new_tab, personas_installed
from support.waiting import run_in_thread

from deploy import partners

pytestmark = needs_chromium

COUNTY, COMMUNITY = "130102", "130102100001"
PARTNER = "xzt-partner"
PERSONAS = [
    {
        "id": "xzt-volunteer",
        "label_zh": "西兆通镇志愿者 · 韩雪",
        "label_en": "Volunteer Han Xue",
        "role": "volunteer",
        "area": COMMUNITY,
        "sub": "e2e-roles-volunteer",
        "description_zh": "西兆通镇001社区志愿者",
    },
    {
        "id": "xzt-resident",
        "label_zh": "西兆通镇居民 · 马大爷",
        "label_en": "Resident Mr Ma",
        "role": "resident",
        "area": COMMUNITY,
        "sub": "e2e-roles-resident",
        "description_zh": "西兆通镇001社区居民",
    },
    {
        "id": "xzt-partner",
        "label_zh": "长安区合作方 · 数据服务",
        "label_en": "Partner",
        "role": "partner",
        "area": COUNTY,
        "sub": PARTNER,
        "description_zh": "订阅长安区的公开事件",
    },
    {
        "id": "xzt-secretary",
        "label_zh": "西兆通镇001社区党委书记",
        "label_en": "Party secretary",
        "role": "party_secretary",
        "area": COMMUNITY,
        "sub": "e2e-roles-secretary",
        "description_zh": "西兆通镇001社区党委书记",
    },
    # every other role, each in the same community, so that every role's walk is checked
    {
        "id": "xzt-social-worker",
        "label_zh": "西兆通镇001社区社工",
        "label_en": "Social worker",
        "role": "social_worker",
        "area": COMMUNITY,
        "sub": "e2e-roles-social-worker",
        "description_zh": "西兆通镇001社区社工",
    },
    {
        "id": "xzt-grid",
        "label_zh": "西兆通镇001社区网格员",
        "label_en": "Grid worker",
        "role": "grid_worker",
        "area": COMMUNITY,
        "sub": "e2e-roles-grid",
        "description_zh": "西兆通镇001社区网格员",
    },
    {
        "id": "xzt-org",
        "label_zh": "西兆通镇社会组织管理员",
        "label_en": "Organization administrator",
        "role": "org_admin",
        "area": COMMUNITY,
        "sub": "e2e-roles-org",
        "description_zh": "西兆通镇社会组织管理员",
    },
    {
        "id": "xzt-charity",
        "label_zh": "西兆通镇慈善管理员",
        "label_en": "Charity administrator",
        "role": "charity_admin",
        "area": COMMUNITY,
        "sub": "e2e-roles-charity",
        "description_zh": "西兆通镇慈善资金复核",
    },
    {
        "id": "xzt-civil",
        "label_zh": "西兆通镇民政",
        "label_en": "Civil affairs",
        "role": "civil_affairs",
        "area": COMMUNITY,
        "sub": "e2e-roles-civil",
        "description_zh": "西兆通镇001社区民政指标",
    },
    {
        "id": "xzt-auditor",
        "label_zh": "西兆通镇审计",
        "label_en": "Auditor",
        "role": "auditor",
        "area": COMMUNITY,
        "sub": "e2e-roles-auditor",
        "description_zh": "只读：西兆通镇001社区",
    },
]
EVERY_PAGE = ("needs", "volunteers", "projects", "charity", "party", "dashboard", "exchange")


@pytest.fixture(scope="module")
def console(stack, settings) -> str:
    """The whole stack behind the gateway, with this module's personas (the partner registered)."""
    with personas_installed(settings, PERSONAS):
        stack.start("needs", "volunteers", "projects", "charity", "party", "exchange", "gateway")
        assert run_in_thread(partners.add(settings, PARTNER, COUNTY, ["needs.*"], "长安区合作方")) == 0
        yield stack.url("gateway")


def refused_requests(page) -> list[str]:
    """Every API request of the tab that the gateway refuses as not for the role (403) or fails (5xx)."""
    seen: list[str] = []
    page.on(
        "response",
        lambda r: (r.status == 403 or r.status >= 500) and seen.append(f"{r.status} {r.request.method} {r.url}"),
    )
    return seen


async def open_page(c, hash_: str) -> str:
    await c.open(hash_)
    await c.page.wait_for_selector("#view h1")
    await c.settled()
    return await c.text("#view")


async def whole_table(c) -> dict:
    """The table as the console keeps it; signed in again until every service's rules were read."""
    for _ in range(20):
        table = await c.page.evaluate("JSON.parse(sessionStorage.getItem('wushe.capabilities') || 'null')")
        if table:
            return table
        await c.page.wait_for_timeout(500)
        await c.page.reload()
        await c.page.wait_for_selector("#view h1")
    raise AssertionError("the console never kept a whole table")


@pytest.mark.parametrize("persona", [p["id"] for p in PERSONAS])
async def test_each_role_walks_its_navigation_without_a_refusal(console, browser, persona):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    refused = refused_requests(c.page)
    await c.sign_in(persona)
    await c.page.wait_for_selector("h1:has-text('工作台')")
    table = await whole_table(c)
    await open_page(c, "")  # the workbench again, now with the whole table
    opened = {s["key"] for s in table["sections"] if s["open"]}
    nav = [await a.get_attribute("data-nav") for a in await c.page.query_selector_all("nav.nav a[data-nav]")]
    assert set(nav) == opened and {"home", "public"} <= opened, (nav, opened)
    shortcuts = {await a.get_attribute("data-shortcut") for a in await c.page.query_selector_all("#shortcuts a")}
    assert shortcuts == opened - {"home"}

    for key in nav:
        text = await open_page(c, "" if key == "home" else key)
        problems = [await p.inner_text() for p in await c.page.query_selector_all("#view .problem")]
        assert problems == [], f"#/{key} as {persona}: {problems}"
        assert "无权" not in text, f"#/{key} as {persona} says 无权: {text[:200]}"
        assert await c.page.query_selector("#not-for-role") is None, f"#/{key} is listed but not for {persona}"
        await c.shot(f"roles-{persona}-{key}")

    closed = [key for key in EVERY_PAGE if key not in opened]
    for key in closed:  # typed in by hand
        text = await open_page(c, key)
        assert "该页面不适用于你的角色" in text and "无权" not in text
        assert await c.page.get_attribute("#back-home", "href") == "#/"
    if closed:
        await c.shot(f"roles-{persona}-not-for-role")
    assert refused == [], f"{persona}: requests refused: {refused}"
    c.check()


async def test_the_table_is_asked_once_per_sign_in(console, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    asked: list[str] = []
    c.page.on("request", lambda r: "/me/capabilities" in r.url and asked.append(r.url))
    await c.sign_in("xzt-secretary")
    await whole_table(c)
    before = len(asked)
    for key in ("needs", "party", "", "public", "dashboard"):
        await open_page(c, key)
    assert len(asked) == before, "the table was asked again while the session lasted"
    await c.page.click("#sign-out")
    await c.sign_in("xzt-volunteer")
    await c.page.wait_for_selector("h1:has-text('工作台')")
    assert len(asked) > before, "a new sign-in kept the previous role's table"
    assert await c.page.query_selector("nav.nav a[data-nav='needs']") is None
    c.check()
