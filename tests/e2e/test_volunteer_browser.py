"""A volunteer on a phone (headless Chromium, 390 × 844): signs in, finds an open task of their
community on 我的志愿服务, signs up, checks in and out, sees the hours wait and then — once a social
worker has verified them — counted, with the time-bank credits they earned, and asks for and
downloads a service certificate. No script error, no refused request, no raw code or internal id on
the page, no text under 12 px, nothing wider than the phone.

Screenshots: test-artifacts/screenshots/mine-*.png. This module's area: community 130102001015 of
长安区, which no other module uses; citizen IDs born in 1972."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.browser import needs_chromium, new_tab, personas_installed
from support.waiting import run_in_thread

from contracts.values import citizen_id_check_char

pytestmark = needs_chromium

COUNTY, COMMUNITY = "130102", "130102001015"
FATHER_ID = "13010219450315102" + citizen_id_check_char("13010219450315102")
RAW = re.compile(r"\b(invited|accepted|logged|verified|open|filled)\b|[0-9a-f]{8}-[0-9a-f]{4}-|13010200101[0-9]")


@pytest.fixture(scope="module")
def site(stack, token) -> dict:
    """The stack, a volunteer registered by a social worker, an open task for them, and a persona
    who signs in as that volunteer."""
    stack.start("needs", "volunteers", "charity", "gateway")
    api = stack.url("gateway") + "/api/v1"
    worker = {"Authorization": f"Bearer {token('social_worker', COUNTY, 'sw-mine-browser')}"}
    first17 = f"{COUNTY}19720315101"

    async def prepare() -> dict:
        async with httpx.AsyncClient(base_url=api, timeout=15) as c:
            body = {"name": "花木兰", "citizen_id": first17 + citizen_id_check_char(first17), "phone": "13900720001"}
            volunteer = await c.post(
                "/volunteers", headers=worker, json={**body, "area_code": COMMUNITY, "skills": ["理发"]}
            )
            assert volunteer.status_code == 201, volunteer.text
            start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
            window = {"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
            task = {
                "area_code": COMMUNITY,
                "title": "为社区老人义务理发",
                "required_skills": ["理发"],
                "time_window": window,
                "place": "社区活动室",
                "slots": 2,
            }
            created = await c.post("/tasks", headers=worker, json=task)
            assert created.status_code == 201, created.text
            towels = {"area_code": COMMUNITY, "item": "毛巾", "unit": "条", "quantity": 5, "estimated_value_fen": 1500}
            towels |= {"price_points": 2, "donor": {"kind": "anonymous"}}
            stocked = await c.post("/supermarket/goods", headers=worker, json=towels)
            assert stocked.status_code == 201, stocked.text
            father = {"name": "花弧", "citizen_id": FATHER_ID, "phone": "13900720002", "area_code": COMMUNITY}
            registered = await c.post("/volunteers", headers=worker, json=father)
            assert registered.status_code == 201, registered.text
            return {
                "api": api,
                "worker": worker,
                "ref": volunteer.json()["volunteer_ref"],
                "task": created.json()["id"],
            }

    prepared = run_in_thread(prepare())
    persona = {
        "id": "mine-volunteer",
        "label_zh": "志愿者 · 花木兰",
        "label_en": "Volunteer Hua Mulan",
        "role": "volunteer",
        "area": COMMUNITY,
        "sub": prepared["ref"],
        "description_zh": "长安区志愿者",
    }
    worker_persona = {
        "id": "mine-worker",
        "label_zh": "长安区社工",
        "label_en": "Social worker",
        "role": "social_worker",
        "area": COUNTY,
        "sub": "sw-mine-browser",
        "description_zh": "核实志愿服务时长",
    }
    with personas_installed(stack.settings, [persona, worker_persona]):
        yield {**prepared, "console": stack.url("gateway")}


async def points_become(c, shown: str, seconds: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while (await c.text("#points-balance")) != shown:
        assert asyncio.get_running_loop().time() < deadline, f"charity points never became {shown}"
        await asyncio.sleep(0.5)
        await c.page.reload()
        await c.page.wait_for_selector("#points-balance")


async def no_raw_codes(c) -> None:
    shown = await c.text("#view")
    assert not RAW.findall(shown), f"raw codes or ids on the page: {RAW.findall(shown)[:5]}"


async def small_or_wide(c) -> tuple[list, int]:
    tiny = await c.page.evaluate(
        """() => [...document.querySelectorAll('#view *')].filter((el) => el.offsetParent !== null
              && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
            .map((el) => [el.tagName + '.' + el.className, parseFloat(getComputedStyle(el).fontSize)])
            .filter(([, size]) => size < 12)"""
    )
    return tiny, await c.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


async def test_a_volunteer_signs_up_checks_in_and_out_and_sees_hours_credits_and_certificate(site, browser):
    c = await new_tab(browser, site["console"], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    failed: list[str] = []
    c.page.on("response", lambda r: (r.status == 403 or r.status >= 500) and failed.append(f"{r.status} {r.url}"))
    await c.sign_in("mine-volunteer")
    await c.page.click("nav.nav a[data-nav='mine']")
    offered = f"#open-tasks [data-open-task='{site['task']}']"
    await c.page.wait_for_selector(offered)
    assert "理发" in await c.text(offered) and "社区活动室" in await c.text(offered)
    await no_raw_codes(c)
    await c.shot("mine-01-offered")

    await c.page.click(f"{offered} button:has-text('报名')")
    mine = f"#my-tasks [data-task='{site['task']}']"
    await c.page.wait_for_selector(f"{mine}:has-text('已报名')")
    # arrived 20 minutes ago and forgot: the arrival time, then a time in the future, which is refused
    arrived = (datetime.now(UTC) + timedelta(hours=8) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    later = (datetime.now(UTC) + timedelta(hours=8) + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    await c.page.fill(f"{mine} input[name='arrived']", later)
    await c.page.click(f"{mine} button:has-text('签到')")
    await c.page.wait_for_selector(f"{mine} .problem:has-text('不能晚于当前时间')")
    await c.page.fill(f"{mine} input[name='arrived']", arrived)
    await c.page.click(f"{mine} button:has-text('签到')")
    await c.page.wait_for_selector(f"{mine} button:has-text('签退')")
    await c.shot("mine-02-checked-in")
    await c.page.click(f"{mine} button:has-text('签退')")
    await c.page.wait_for_selector("#my-hours li:has-text('待核实')")
    pending = await c.text("[data-kpi='hours-pending']")
    assert re.search(r"(19|20|21) 分钟", pending), pending

    # the social worker verifies the hours in their own console: a rejection without a reason is
    # refused, then the record is verified and leaves the queue
    log_id = await c.page.get_attribute("#my-hours li[data-log]", "data-log")
    w = await new_tab(browser, site["console"], viewport={"width": 1280, "height": 900})
    await w.sign_in("mine-worker")
    await w.open("volunteers")
    record = f"#hours-to-verify [data-log='{log_id}']"
    await w.page.wait_for_selector(record)
    assert "花**" in await w.text(record) and "本人签到签退" in await w.text(record)
    await w.page.click(f"{record} button:has-text('驳回')")
    await w.page.wait_for_selector(f"{record} .problem:has-text('理由')")
    await w.page.click(f"{record} button:has-text('核实')")
    await w.page.wait_for_selector(record, state="detached")
    await w.shot("mine-worker-queue")
    w.check()
    await c.page.reload()
    await c.page.wait_for_selector("#my-hours li:has-text('已核实')")
    assert await c.page.query_selector("#my-hours li:has-text('待核实')") is None
    assert re.search(r"(19|20|21) 分钟", await c.text("[data-kpi='hours-verified']"))
    assert re.fullmatch(r"0\.3[2-5]", await c.text("[data-kpi='credits'] .v"))  # 20 minutes at a credit an hour
    await c.page.click("#my-certificates button:has-text('申请近一年的证明')")
    code = await c.page.get_attribute("#my-certificates [data-certificate]", "data-certificate")
    async with c.page.expect_download() as waiting:
        await c.page.click("#my-certificates [data-certificate] button:has-text('下载')")
    download = await waiting.value
    assert download.suggested_filename.startswith("志愿服务记录证明-")
    printed = (await download.path()).read_text(encoding="utf-8")
    assert "志愿服务记录证明" in printed and code in printed

    # 积分互兑: 0.30 credits become 3 charity points (10 a credit), and buy a towel (2 points)
    await c.page.fill("#exchange-form input[name='credits']", "0.30")
    await c.page.click("#exchange-form button[type=submit]")
    await points_become(c, "3")  # they arrive through the charity service's consumer
    assert "兑换爱心积分" in await c.text("#credit-statement")
    await c.page.click("#supermarket [data-item='毛巾'] button:has-text('兑换一件')")
    await points_become(c, "1")
    assert "余 4" in await c.text("#supermarket [data-item='毛巾']")
    await c.shot("mine-04-supermarket")

    # 转赠亲属: her father, a registered volunteer, named by his name and ID (a wrong name is refused
    # on its field), then a gift of what is left
    await c.page.click("#declare-relative summary")
    await c.page.fill("#family-form input[name='relative.name']", "花木")
    await c.page.fill("#family-form input[name='relative.citizen_id']", FATHER_ID)
    await c.page.select_option("#family-form select[name='relation']", "parent")
    await c.page.click("#family-form button[type=submit]")
    await c.page.wait_for_selector("#family-form [name='relative.citizen_id'][aria-invalid='true']")
    await c.page.fill("#family-form input[name='relative.name']", "花弧")
    await c.page.click("#family-form button[type=submit]")
    await c.page.wait_for_selector("#relatives li:has-text('父母')")
    assert "花*" in await c.text("#relatives")
    left = await c.text("[data-kpi='credits'] .v")
    await c.page.fill("#transfer-form input[name='credits']", left)
    await c.page.click("#transfer-form button[type=submit]")
    await c.page.wait_for_selector("#credit-statement li:has-text('亲属转赠')")
    assert await c.text("[data-kpi='credits'] .v") in ("0", "0.00")
    await c.shot("mine-05-family")

    # her skills, kept up to date by herself
    await c.page.fill("#skills-form input[name='skills']", "理发、陪诊")
    await c.page.click("#skills-form button[type=submit]")
    await c.page.wait_for_selector("#skills-shown:has-text('陪诊')")

    tiny, overflow = await small_or_wide(c)
    assert tiny == [], f"page text below 12 px: {tiny[:10]}"
    assert overflow <= 1, f"the page is wider than the phone by {overflow}px"
    await no_raw_codes(c)
    await c.shot("mine-03-verified")
    assert failed == [], failed
    c.check()
