"""GET /api/v1/status (系统状态) on a gateway that no supervisor runs, with only the needs service up:
any signed-in caller learns which services are ready and which are down, nothing personal; the
console's top bar shows it in words. (Under `wushe up`'s supervisor, with restarts: tests/faults/
test_supervisor.py.)"""

from __future__ import annotations

import json

import httpx
import pytest
from support.browser import SCREENSHOTS, needs_chromium, new_tab

from kit.settings import SERVICES

AREA = "130302001001"  # 秦皇岛市海港区文化路街道 001 社区: no other e2e module works here


@pytest.fixture(scope="module")
def gateway(stack) -> str:
    stack.start("needs", "gateway")
    return stack.url("gateway")


async def test_the_status_needs_a_token(gateway):
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        reply = await client.get("/api/v1/status")
    assert reply.status_code == 401 and reply.headers["content-type"].startswith("application/problem+json")


async def test_a_resident_sees_which_services_are_down_and_nothing_personal(gateway, token):
    secret = token("resident", AREA, "status-resident")
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
        reply = await client.get("/api/v1/status", headers={"Authorization": f"Bearer {secret}"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    by_service = {s["service"]: s for s in body["services"]}
    assert set(by_service) == {"gateway", *SERVICES}
    assert body["status"] == "degraded" and body["supervised"] is False
    assert by_service["gateway"]["ready"] and by_service["needs"]["ready"] and by_service["needs"]["detail"] is None
    assert by_service["volunteers"] == {
        "service": "volunteers",
        "ready": False,
        "detail": "无响应 / not answering",
        "processes": None,
        "restarting": None,
        "restarts": None,
        "last_exit": None,
    }
    text = json.dumps(body)
    assert secret not in text and "pid" not in text and "status-resident" not in text


@needs_chromium
async def test_the_console_header_says_some_services_are_unavailable(gateway, browser, token):
    c = await new_tab(browser, gateway)
    persona = {
        "id": "status",
        "role": "social_worker",
        "area": AREA,
        "sub": "status-sw",
        "label_zh": "海港区社工",
        "label_en": "Social worker",
    }
    await c.page.add_init_script(
        f"sessionStorage.setItem('wushe.token', {json.dumps(token('social_worker', AREA, 'status-sw'))});"
        f"sessionStorage.setItem('wushe.persona', {json.dumps(json.dumps(persona))});"
    )
    await c.open("")
    indicator = c.page.locator("#sys-status[data-status='degraded']")
    await indicator.wait_for()
    assert (await indicator.inner_text()).strip() == "部分服务不可用"
    title = await indicator.get_attribute("title")
    assert title.startswith("系统状态：部分服务不可用") and "志愿服务：不可用" in title and "社区需求" not in title
    assert "volunteers" not in title  # labels, never the internal names
    await c.page.screenshot(path=str(SCREENSHOTS / "status-degraded.png"))
    await c.page.click("#lang-switch")
    await c.page.locator("#sys-status[data-status='degraded']").wait_for()
    assert (await c.text("#sys-status")) == "Some services unavailable"
    # the services that are down fail the home page's cards (503s, shown on the page); no script broke
    assert [e for e in c.errors if "status of 503" not in e] == []
