"""The cascading area picker (市 → 县 → 街道/乡镇 → 社区/村), in headless Chromium: a county's worker
raising a need chooses the street from the area tree and then the community (typed, where the
civil-affairs office has registered none; a code outside the street is not taken), and filters the
need library by a street; the public page chooses within the whole province, signed out.

This module reads only; it writes nothing (the form is not sent)."""

from __future__ import annotations

import re

import pytest
from support.browser import needs_chromium, new_tab, personas_installed

pytestmark = needs_chromium

COUNTY, STREET, COMMUNITY = "130102", "130102014", "130102014009"


@pytest.fixture(scope="module")
def console(stack, settings) -> str:
    persona = {
        "id": "picker-county-sw",
        "label_zh": "长安区社工",
        "label_en": "County social worker",
        "role": "social_worker",
        "area": COUNTY,
        "sub": "sw-picker",
        "description_zh": "长安区",
    }
    with personas_installed(settings, [persona]):
        stack.start("needs", "volunteers", "projects", "charity", "gateway")  # the public page reads the last two
        yield stack.url("gateway")


async def hidden(c, name: str) -> str:
    return await c.page.input_value(f"[data-area-picker='{name}'] input[type=hidden]")


async def test_a_county_worker_picks_a_street_then_a_community(console, browser):
    c = await new_tab(browser, console, viewport={"width": 390, "height": 844}, is_mobile=True)
    await c.sign_in("picker-county-sw")
    await c.open("needs/new")
    picker = "[data-area-picker='area_code']"
    await c.page.wait_for_selector(f"{picker} select[data-level='township']")
    assert "长安区" in await c.text(picker) and await hidden(c, "area_code") == ""  # a county is not a community
    await c.page.select_option(f"{picker} select[data-level='township']", STREET)
    typed = f"{picker} input.area-typed"
    await c.page.wait_for_selector(typed)
    await c.page.fill(typed, "130102001001")  # another street's community: not taken
    assert await hidden(c, "area_code") == ""
    await c.page.fill(typed, COMMUNITY)
    assert await hidden(c, "area_code") == COMMUNITY
    await c.shot("area-picker-01-need")

    await c.open("needs")
    await c.page.click("summary:has-text('筛选条件')")  # folded on a phone
    await c.page.wait_for_selector("[data-area-picker='area'] select[data-level='township']")
    await c.page.select_option("[data-area-picker='area'] select[data-level='township']", STREET)
    await c.page.click("#need-filters button[type=submit]")
    await c.page.wait_for_url(re.compile(f"area={STREET}"))
    # drawn again, the street still chosen (a selector, not a script: the console's CSP allows no eval)
    await c.page.wait_for_selector(
        f"[data-area-picker='area'] select[data-level='township'] option[value='{STREET}']:checked", state="attached"
    )
    c.check()


async def test_the_public_page_chooses_within_the_province_signed_out(console, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.open("public")
    picker = "[data-area-picker='area']"
    await c.page.wait_for_selector(f"{picker} select[data-level='city']")
    await c.page.select_option(f"{picker} select[data-level='city']", "130100")
    await c.page.wait_for_selector(f"{picker} select[data-level='county']")
    assert await hidden(c, "area") == "130100"
    c.check()
