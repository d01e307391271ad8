"""A resident on a phone (headless Chromium, 390 × 844): signs in, raises a request for themself on
我的诉求 (a citizen ID with a wrong check digit refused, the field marked), follows it as the
community assesses it, confirms it is met and rates the service five stars — then sees it closed,
and asks the community to come back (请求回访).
No script error, no refused request, no raw code or internal id, no text under 12 px, nothing wider
than the phone.

Screenshots: test-artifacts/screenshots/my-needs-*.png. This module's area: community
130102001017 of 长安区, which no other module uses; the citizen ID is born in 1974."""

from __future__ import annotations

import re

import httpx
import pytest
from support.browser import needs_chromium, new_tab, personas_installed

from contracts.values import citizen_id_check_char
from kit.crypto import load_keyring

pytestmark = needs_chromium

COUNTY, COMMUNITY = "130102", "130102001017"
FIRST17 = f"{COUNTY}19740404044"
CITIZEN_ID = FIRST17 + citizen_id_check_char(FIRST17)
GUARDIAN17, WARD17 = f"{COUNTY}19740505055", f"{COUNTY}20150505055"
GUARDIAN_ID, WARD_ID = (n + citizen_id_check_char(n) for n in (GUARDIAN17, WARD17))
RAW = re.compile(
    r"\b(raised|routed|resolved|closed|daily_care|need_[a-z]+)\b|[0-9a-f]{8}-[0-9a-f]{4}-|1301020010[0-9]{2}"
)


@pytest.fixture(scope="module")
def site(stack, settings, token) -> dict:
    """The stack and a persona who signs in as the resident this citizen ID names."""
    stack.start("needs", "volunteers", "gateway")
    keyring = load_keyring(settings.keyring_file)
    ref = keyring.pseudonym(CITIZEN_ID, "resident")  # as the needs service names them
    guardian = {
        "id": "my-needs-guardian",
        "label_zh": "居民 · 赵女士（监护人）",
        "label_en": "Resident Ms Zhao (a guardian)",
        "role": "resident",
        "area": COMMUNITY,
        "sub": keyring.pseudonym(GUARDIAN_ID, "resident"),
        "description_zh": "长安区居民，为孩子登记诉求",
    }
    persona = {
        "id": "my-needs-resident",
        "label_zh": "居民 · 李大娘",
        "label_en": "Resident Mrs Li",
        "role": "resident",
        "area": COMMUNITY,
        "sub": ref,
        "description_zh": "长安区居民",
    }
    worker = {"Authorization": f"Bearer {token('social_worker', COUNTY, 'sw-resident-browser')}"}
    with personas_installed(settings, [persona, guardian]):
        yield {"console": stack.url("gateway"), "api": stack.url("gateway") + "/api/v1", "worker": worker}


async def page_checks(c) -> None:
    shown = await c.text("#view")
    assert not RAW.findall(shown), f"raw codes or ids on the page: {RAW.findall(shown)[:5]}"
    tiny = await c.page.evaluate(
        """() => [...document.querySelectorAll('#view *')].filter((el) => el.offsetParent !== null
              && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
            .map((el) => [el.tagName + '.' + el.className, parseFloat(getComputedStyle(el).fontSize)])
            .filter(([, size]) => size < 12)"""
    )
    assert tiny == [], f"page text below 12 px: {tiny[:10]}"
    assert await c.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1


async def test_a_resident_raises_follows_confirms_and_rates_a_request(site, browser):
    c = await new_tab(browser, site["console"], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    failed: list[str] = []
    c.page.on("response", lambda r: (r.status == 403 or r.status >= 500) and failed.append(f"{r.status} {r.url}"))
    await c.sign_in("my-needs-resident")
    await c.page.click("nav.nav a[data-nav='my-needs']")
    await c.page.wait_for_selector("#my-needs")
    await c.page.click("#raise-need summary")
    form = "#raise-form"
    await c.page.select_option(f"{form} select[name='category']", "daily_care")
    await c.page.fill(f"{form} textarea[name='description']", "腿脚不便，希望有人每周帮忙买菜")
    await c.page.fill(f"{form} input[name='resident.name']", "李秀英")
    await c.page.fill(f"{form} input[name='resident.phone']", "13900740004")
    await c.page.fill(f"{form} input[name='resident.citizen_id']", FIRST17 + ("0" if CITIZEN_ID[-1] != "0" else "1"))
    await c.page.click(f"{form} button[type=submit]")
    await c.page.wait_for_selector(f"{form} [aria-invalid='true'][name='resident.citizen_id']")
    await c.page.fill(f"{form} input[name='resident.citizen_id']", CITIZEN_ID)
    await c.page.click(f"{form} button[type=submit]")
    line = "#my-need-list [data-need]"
    await c.page.wait_for_selector(f"{line}:has-text('已登记')")
    assert "每周帮忙买菜" in await c.text(line)
    await page_checks(c)
    await c.shot("my-needs-01-raised")

    async def assess() -> None:  # the community assesses and routes it, in the worker's own console
        async with httpx.AsyncClient(base_url=site["api"], timeout=15) as client:
            need_id = await c.page.get_attribute(line, "data-need")
            plan = {
                "category": "daily_care",
                "urgency": "routine",
                "service_plan": "每周五代购",
                "route": "volunteer_task",
            }
            done = await client.post(f"/needs/{need_id}/assessment", headers=site["worker"], json=plan)
            assert done.status_code == 200, done.text

    await assess()
    await c.page.reload()
    await c.page.wait_for_selector(f"{line} #confirm-form")
    assert "评估" in await c.text(line)  # the timeline, in words
    await c.page.click(f"{line} #confirm-form button[type=submit]")
    await c.page.wait_for_selector(f"{line} #rate-form")
    await c.page.select_option(f"{line} #rate-form select[name='satisfaction']", "5")
    await c.page.fill(f"{line} #rate-form input[name='comment']", "志愿者很耐心")
    await c.page.click(f"{line} #rate-form button[type=submit]")
    await c.page.wait_for_selector(f"{line}:has-text('已办结')")
    assert "★★★★★" in await c.text(line) and await c.page.query_selector(f"{line} #rate-form") is None
    await c.page.click(f"{line} #revisit-form button[type=submit]")  # 请求回访: on the community's list today
    await c.page.wait_for_selector(f"{line}:has-text('居民请求回访')")
    await page_checks(c)
    await c.shot("my-needs-02-closed")
    assert failed == [], failed
    c.check()


def registration(name: str, citizen_id: str, **extra) -> dict:
    consent = {"purpose": "需求服务与回访", "given_at": "2026-11-01T09:00:00+08:00"}
    return {"name": name, "citizen_id": citizen_id, "phone": "13900740005", "area_code": COMMUNITY} | {
        "consent": consent | extra.pop("consent", {}),
        **extra,
    }


async def test_a_guardian_raises_a_request_for_their_ward(site, browser):
    """监护人: a mother registered as her son's guardian chooses him on the form, and the request
    shows among hers for him (masked)."""
    async with httpx.AsyncClient(base_url=site["api"], timeout=15) as client:
        mother = await client.post("/residents", headers=site["worker"], json=registration("赵丽华", GUARDIAN_ID))
        assert mother.status_code == 201, mother.text
        son = registration("赵小川", WARD_ID, guardian_id=mother.json()["id"], consent={"given_by_guardian": True})
        assert (await client.post("/residents", headers=site["worker"], json=son)).status_code == 201
    c = await new_tab(browser, site["console"], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    failed: list[str] = []
    c.page.on("response", lambda r: (r.status == 403 or r.status >= 500) and failed.append(f"{r.status} {r.url}"))
    await c.sign_in("my-needs-guardian")
    await c.page.click("nav.nav a[data-nav='my-needs']")
    await c.page.wait_for_selector("#my-needs")
    await c.page.click("#raise-need summary")
    form = "#raise-form"
    assert await c.page.query_selector(f"{form} input[name='resident.citizen_id']") is None  # registered: no ID asked
    await c.page.select_option(f"{form} select[name='resident_id']", label="我监护的 赵**")
    await c.page.select_option(f"{form} select[name='category']", "tutoring")
    await c.page.fill(f"{form} textarea[name='description']", "孩子放学后无人看护，需要课后托管")
    await c.page.click(f"{form} button[type=submit]")
    line = "#my-need-list [data-need]"
    await c.page.wait_for_selector(f"{line}:has-text('为 赵**')")
    assert "课后托管" in await c.text(line)
    await page_checks(c)
    await c.shot("my-needs-03-for-a-ward")
    assert failed == [], failed
    c.check()
