"""A portal's work orders report back (门户回调): the portal (a county's 12345 hotline) registered
with a callback hears of each stage of each order's life — 受理, 派单, 办结, 回访, 改派 after a
reopening, 退单 with its reason — at its own receiver, in order, each signed with the portal's
secret (checked with the `standardwebhooks` library), each once; after a rotation both secrets
sign; a revoked portal is told nothing more; a callback the webhook rules refuse changes nothing.

Needs, exchange and gateway run as real processes. Everything happens in 元氏县 (130132), which no
other test uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.receiver import Endpoint, Received, Receiver
from support.waiting import eventually
from support.work_orders import signed, structured

from deploy import portals

PORTAL, COUNTY, COMMUNITY = "yuanshi-12345", "130132", "130132100001"
FAST_WEBHOOKS = {
    "WUSHE_EXCHANGE_WEBHOOK_RETRY_S": "[0.2, 0.3, 0.4]",
    "WUSHE_EXCHANGE_WEBHOOK_POLL_INTERVAL_S": "0.1",
}


@pytest.fixture(scope="module")
def gateway_url(stack):
    stack.start("needs", "exchange", "gateway", **FAST_WEBHOOKS)
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def gateway(gateway_url):
    async with httpx.AsyncClient(base_url=gateway_url, timeout=15) as client:
        yield client


@pytest.fixture
async def receiver():
    async with Receiver() as r:
        yield r


@pytest.fixture
def worker(token) -> dict:
    return {"Authorization": f"Bearer {token('social_worker', COUNTY, 'sw-yuanshi')}"}


def printed_secret(out: str) -> str:
    return next(word for word in out.split() if word.startswith("whsec_"))


async def raise_order(gateway, secret: str, order_id: str) -> str:
    data = {
        "order_id": order_id,
        "area_code": COMMUNITY,
        "category": "daily_care",
        "description": "独居老人需要每周上门打扫卫生",
        "resident": {"name": "欧阳修", "phone": "13912345678", "citizen_id": "11010519491231002X"},
    }
    body, headers = structured(data, source="urn:hebei:12345:yuanshi")
    reply = await gateway.post(f"/needs/work-orders/{PORTAL}", content=body, headers=signed(secret, body, headers))
    assert reply.status_code == 201, reply.text
    return reply.json()["need_id"]


async def act(gateway, worker: dict, need_id: str, step: str, body: dict) -> None:
    reply = await gateway.post(f"/needs/{need_id}/{step}", json=body, headers=worker)
    assert reply.status_code == 200, reply.text


async def assess(gateway, worker, need_id: str) -> None:
    plan = {"category": "daily_care", "urgency": "routine", "service_plan": "每周二上门保洁", "route": "volunteer_task"}
    await act(gateway, worker, need_id, "assessment", plan)


def told(receiver: Receiver, order_id: str) -> list[Received]:
    """What the portal was told of one order, answered 2xx, each message once (its webhook-id)."""
    seen: dict[str, Received] = {}
    for r in receiver.at("hotline"):
        if 200 <= r.answered < 300 and r.body["subject"] == order_id:
            seen.setdefault(r.webhook_id, r)
    return list(seen.values())


def stages(receiver: Receiver, order_id: str) -> list[str]:
    return [r.body["data"]["stage"] for r in told(receiver, order_id)]


def stages_are(receiver: Receiver, order_id: str, wanted: list[str]):
    async def check() -> bool:
        return stages(receiver, order_id) == wanted

    return check


async def test_each_stage_of_a_work_order_reaches_the_portal_signed_in_order(
    gateway, receiver, worker, settings, capsys, db, token
):
    receiver.endpoints["hotline"] = Endpoint(fail_first=2)  # the portal is down at first: it is retried
    assert await portals.add(settings, PORTAL, COUNTY, "元氏县12345热线", callback=receiver.url("hotline")) == 0
    secret = printed_secret(capsys.readouterr().out)
    receiver.endpoints["hotline"].secrets = [secret]

    need_id = await raise_order(gateway, secret, "YS-2026-0001")
    await assess(gateway, worker, need_id)  # 派单
    await act(gateway, worker, need_id, "resolution", {"on_behalf_of_resident": True})  # 办结
    await act(gateway, worker, need_id, "feedback", {"satisfaction": 2, "comment": "打扫不彻底"})  # 回访: reopened
    await assess(gateway, worker, need_id)  # 改派
    await act(gateway, worker, need_id, "resolution", {"on_behalf_of_resident": True})  # 办结 again
    returned_id = await raise_order(gateway, secret, "YS-2026-0002")
    await act(gateway, worker, returned_id, "return", {"reason": "属县住建局职责，请转办"})  # 退单
    office = {"Authorization": f"Bearer {token('civil_affairs', COUNTY, 'mz-yuanshi')}"}
    stats = (await gateway.get("/needs/stats", params={"area": COMMUNITY}, headers=office)).json()
    # the returned order went back to the portal: the one the community took on was resolved
    assert (stats["total"], stats["by_status"]["returned"], stats["resolution_rate"]) == (2, 1, 1.0)

    life = ["accepted", "dispatched", "completed", "revisited", "redispatched", "completed"]
    await eventually(stages_are(receiver, "YS-2026-0001", life), "the first order's whole life at the portal")
    await eventually(stages_are(receiver, "YS-2026-0002", ["accepted", "returned"]), "the returned order")

    first, second = told(receiver, "YS-2026-0001"), told(receiver, "YS-2026-0002")
    assert all(r.verified == {secret: True} for r in first + second)
    assert all(r.headers["content-type"] == "application/cloudevents+json" for r in first + second)
    assert {r.body["data"]["need_id"] for r in first} == {need_id}
    assert [r.body["data"]["stage_label"] for r in first] == ["受理", "派单", "办结", "回访", "改派", "办结"]
    assert first[1].body["data"]["route_label"] == "志愿服务任务"
    assert (first[3].body["data"]["satisfaction"], first[3].body["data"]["reopened"]) == (2, True)
    assert second[1].body["data"]["reason"] == "属县住建局职责，请转办"
    assert all(r.body["type"] == "cn.wushe.portal.work_order.progress.v1" for r in first)
    # nothing of the caller goes back: the portal has it already, and the platform keeps it in one place
    assert not any(word in str(r.body) for r in first + second for word in ("欧阳修", "13912345678", "1101051949"))

    # the civil-affairs office sees the callback and how it goes, and may send it all again
    [hotline] = [p for p in (await gateway.get("/exchange/portals", headers=office)).json() if p["portal"] == PORTAL]
    health = hotline["callback"]["health"]
    assert hotline["label"] == "元氏县12345热线" and hotline["callback"]["area_name"] == "元氏县"
    assert (health["delivered"], health["attempts"], health["pending"], health["dead"]) == (8, 10, 0, 0)
    assert health["success_rate"] == pytest.approx(0.8) and health["last_failure"] is None
    since = {"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    callback_id = hotline["callback"]["id"]
    replay = await gateway.post(f"/exchange/endpoints/{callback_id}/replay", json=since, headers=office)
    assert replay.status_code == 202 and replay.json()["queued"] == 8, replay.text

    async def all_twice():
        return len([r for r in receiver.at("hotline") if r.answered == 200]) == 16

    await eventually(all_twice, "every message sent again")
    assert stages(receiver, "YS-2026-0001") == life  # the same webhook-ids: the portal dedupes
    elsewhere = {"Authorization": f"Bearer {token('civil_affairs', '130102', 'mz-changan')}"}
    assert PORTAL not in [p["portal"] for p in (await gateway.get("/exchange/portals", headers=elsewhere)).json()]

    # a rotation: both secrets sign until the overlap ends, so the portal may switch at any moment
    assert await portals.rotate(settings, PORTAL) == 0
    new_secret = printed_secret(capsys.readouterr().out)
    receiver.endpoints["hotline"].secrets = [secret, new_secret]
    third = await raise_order(gateway, new_secret, "YS-2026-0003")
    await eventually(stages_are(receiver, "YS-2026-0003", ["accepted"]), "the order after the rotation")
    assert told(receiver, "YS-2026-0003")[0].verified == {secret: True, new_secret: True}

    # revoked: nothing more is posted to it (the stage is kept, unsent, should it be registered again)
    assert await portals.revoke(settings, PORTAL) == 0
    await act(gateway, worker, third, "return", {"reason": "门户已停用"})
    exchange = await db("exchange")
    kept = """SELECT d.status, d.attempts FROM webhook_deliveries d JOIN webhook_subscriptions s
              ON s.id = d.subscription_id WHERE s.portal = $1 AND d.body #>> '{data,stage}' = 'returned'
              AND d.body ->> 'subject' = 'YS-2026-0003'"""
    await eventually(lambda: exchange.fetchrow(kept, PORTAL), "the return queued on the stopped callback")
    await asyncio.sleep(1)  # ten polls of the delivery worker
    assert tuple(await exchange.fetchrow(kept, PORTAL)) == ("pending", 0)
    assert stages(receiver, "YS-2026-0003") == ["accepted"]


async def test_a_callback_the_webhook_rules_refuse_registers_nothing(settings, capsys):
    assert await portals.add(settings, "yuanshi-office", COUNTY, callback="ftp://portal.example/cb") == 2
    assert "url" in capsys.readouterr().out
    assert "yuanshi-office" not in portals._read(settings)


async def test_a_need_can_be_returned_only_before_it_is_routed(gateway, worker, settings, capsys):
    assert await portals.add(settings, "yuanshi-desk", COUNTY) == 0
    secret = printed_secret(capsys.readouterr().out)
    data = {
        "order_id": "YS-2026-0100",
        "area_code": COMMUNITY,
        "category": "daily_care",
        "description": "楼道灯坏了",
        "resident": {"name": "苏轼", "phone": "13912345679", "citizen_id": "11010519491231002X"},
    }
    body, headers = structured(data)
    reply = await gateway.post("/needs/work-orders/yuanshi-desk", content=body, headers=signed(secret, body, headers))
    need_id = reply.json()["need_id"]
    await assess(gateway, worker, need_id)
    refused = await gateway.post(f"/needs/{need_id}/return", json={"reason": "不属本社区"}, headers=worker)
    assert refused.status_code == 409, refused.text
    short = await gateway.post(f"/needs/{need_id}/return", json={"reason": ""}, headers=worker)
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
