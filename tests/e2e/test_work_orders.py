"""A portal (a county's 12345 hotline) posts a work order (工单) as a signed CloudEvent through the
gateway: it becomes one need however often and however concurrently it is posted; a tampered,
old or unsigned post gets 401; a bad one gets a problem naming the field; nothing is stored for
either. Signatures are made with the `standardwebhooks` library, as a portal would.

Everything happens in 平山县 (130131), which no other test uses."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from support.work_orders import signed, structured

from contracts.api.needs import WORK_ORDER_TYPE
from deploy import portals

PORTAL, COUNTY, COMMUNITY = "pingshan-12345", "130131", "130131100001"
CALLER = {"name": "司马相如", "phone": "13812345678", "citizen_id": "11010519491231002X"}


@pytest.fixture(scope="module")
def gateway_url(stack):
    stack.start("needs", "gateway")
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def gateway(gateway_url):
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
async def secret(settings, capsys) -> str:
    """The secret `wushe portal add` prints (once)."""
    assert await portals.add(settings, PORTAL, COUNTY, "平山县12345热线") == 0
    printed = capsys.readouterr().out
    return next(word for word in printed.split() if word.startswith("whsec_"))


def order(order_id: str, **changes) -> dict:
    return {
        "order_id": order_id,
        "area_code": COMMUNITY,
        "category": "daily_care",
        "urgency": "major",
        "description": "老人独居，需要有人每周上门打扫卫生",
        "resident": CALLER,
        **changes,
    }


def binary(data) -> tuple[bytes, dict]:
    headers = {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": f"ce-{os.urandom(4).hex()}",
        "ce-source": "urn:hebei:12345:pingshan",
        "ce-type": WORK_ORDER_TYPE,
    }
    return orjson.dumps(data), headers


async def post(gateway, secret, body_and_headers, **signing) -> httpx.Response:
    body, headers = body_and_headers
    return await gateway.post(
        f"/needs/work-orders/{PORTAL}", content=body, headers=signed(secret, body, headers, **signing)
    )


async def needs_of_order(db, order_id: str) -> list:
    conn = await db("needs")
    return await conn.fetch("SELECT need_id FROM work_orders WHERE portal = $1 AND order_id = $2", PORTAL, order_id)


async def test_a_work_order_posted_three_times_and_concurrently_is_one_need(gateway, secret, db, token):
    first = await post(gateway, secret, structured(order("PS-2026-0001")))
    assert first.status_code == 201, first.text
    need_id = first.json()["need_id"]
    again = await post(gateway, secret, binary(order("PS-2026-0001")))  # the same order, the other mode
    assert again.status_code == 200 and again.json() | {"duplicate": False} == first.json()
    assert again.json()["need_id"] == need_id and again.json()["duplicate"] is True

    racing = await asyncio.gather(*(post(gateway, secret, structured(order("PS-2026-0002"))) for _ in range(6)))
    assert sorted(r.status_code for r in racing) == [200] * 5 + [201]
    assert len({r.json()["need_id"] for r in racing}) == 1

    worker = {"Authorization": f"Bearer {token('social_worker', COUNTY, 'sw-pingshan')}"}
    need = (await gateway.get(f"/needs/{need_id}", headers=worker)).json()["need"]
    assert need["channel"] == "portal_import" and need["area_code"] == COMMUNITY
    assert need["description"] == order("x")["description"]
    timeline = (await gateway.get(f"/needs/{need_id}/timeline", headers=worker)).json()
    assert "PS-2026-0001" in orjson.dumps(timeline).decode()  # the portal's order number is kept


async def test_a_tampered_old_or_unsigned_work_order_is_refused_and_nothing_is_stored(gateway, secret, db):
    body, headers = structured(order("PS-2026-0100"))
    honest = signed(secret, body, headers)
    tampered = body.replace("打扫卫生".encode(), "转账五千元".encode())
    assert (await gateway.post(f"/needs/work-orders/{PORTAL}", content=tampered, headers=honest)).status_code == 401
    old = await post(gateway, secret, (body, headers), at=datetime.now(UTC) - timedelta(minutes=10))
    assert old.status_code == 401 and old.headers["content-type"].startswith("application/problem+json")
    unsigned = await gateway.post(f"/needs/work-orders/{PORTAL}", content=body, headers=headers)
    assert unsigned.status_code == 401
    stranger = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    assert (await post(gateway, stranger, (body, headers))).status_code == 401
    other_portal = await gateway.post("/needs/work-orders/nobody-here", content=body, headers=honest)
    assert other_portal.status_code == 401
    assert await needs_of_order(db, "PS-2026-0100") == []


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (
            lambda: structured(order("PS-2026-0200", resident={**CALLER, "citizen_id": "110105194912310021"})),
            "data.resident.citizen_id",
        ),
        (lambda: structured(order("PS-2026-0201", area_code="130131100")), "data.area_code"),
        (lambda: structured(order("PS-2026-0202", category="no_such_category")), "data.category"),
        (
            lambda: structured({k: v for k, v in order("PS-2026-0203").items() if k != "description"}),
            "data.description",
        ),
        (lambda: structured(order("PS-2026-0204"), type="cn.gov.other.v1"), "type"),
        (lambda: structured(order("PS-2026-0205"), specversion="0.3"), "specversion"),
        (lambda: structured(order("PS-2026-0206"), id=None), "id"),
        (lambda: (b"{not json", {"content-type": "application/cloudevents+json"}), "body"),
    ],
)
async def test_a_bad_work_order_gets_a_problem_naming_the_field(gateway, secret, db, event, field):
    reply = await post(gateway, secret, event())
    assert reply.status_code == 422, reply.text
    assert field in [e["field"] for e in reply.json()["errors"]]
    conn = await db("needs")
    assert await conn.fetchval("SELECT count(*) FROM work_orders WHERE order_id LIKE 'PS-2026-02%'") == 0


async def test_a_work_order_outside_the_portals_area_is_forbidden_and_a_revoked_portal_refused(
    gateway, secret, settings
):
    elsewhere = await post(gateway, secret, structured(order("PS-2026-0300", area_code="130102001001")))
    assert elsewhere.status_code == 403 and elsewhere.json()["errors"][0]["field"] == "data.area_code"
    assert await portals.rotate(settings, PORTAL) == 0  # the previous secret holds until the next rotation
    assert (await post(gateway, secret, structured(order("PS-2026-0301")))).status_code == 201
    assert await portals.revoke(settings, PORTAL) == 0
    assert (await post(gateway, secret, structured(order("PS-2026-0302")))).status_code == 401


async def test_malformed_signatures_and_bodies_are_refused_not_failed(gateway, secret):
    body, headers = structured(order("PS-2026-0400"))
    honest = signed(secret, body, headers)
    for signature in ("v1", "v1,not-base64!", "garbage", ""):
        reply = await gateway.post(
            f"/needs/work-orders/{PORTAL}", content=body, headers={**honest, "webhook-signature": signature}
        )
        assert reply.status_code == 401, (signature, reply.text)
    latin = "工单".encode("gb18030")  # not UTF-8
    reply = await gateway.post(f"/needs/work-orders/{PORTAL}", content=latin, headers=honest)
    assert reply.status_code == 401


async def test_open311_georeport_v2_raises_the_same_needs(gateway_url, secret, db):
    open311 = gateway_url.removesuffix("/api/v1") + "/open311/v2"
    form = {
        "api_key": secret,
        "service_code": "daily_care",
        "address_id": COMMUNITY,
        "description": "楼道灯坏了，老人夜里出门不便",
        "last_name": "司马",
        "first_name": "相如",
        "phone": CALLER["phone"],
        "attribute[citizen_id]": CALLER["citizen_id"],
        "attribute[order_id]": "PS-311-0001",
    }
    async with httpx.AsyncClient(base_url=open311, timeout=10) as client:
        services = (await client.get("/services.json")).json()
        daily = next(s for s in services if s["service_code"] == "daily_care")
        assert daily["service_name"] == "生活照料" and daily["metadata"] is True
        definition = (await client.get("/services/daily_care.json")).json()
        assert {a["code"] for a in definition["attributes"]} == {"citizen_id", "urgency", "order_id"}

        first = await client.post("/requests.json", data=form)
        assert first.status_code == 200, first.text
        assert first.json()[0]["service_request_id"] == "PS-311-0001"
        again = await client.post("/requests.json", data=form)
        assert again.json()[0]["service_notice"] == first.json()[0]["service_notice"]  # the same need

        missing = await client.post("/requests.json", data={k: v for k, v in form.items() if k != "address_id"})
        assert missing.status_code == 400 and missing.json()[0]["field"] == "address_id"
        bad_id = await client.post("/requests.json", data={**form, "attribute[citizen_id]": "110105194912310021"})
        assert bad_id.status_code == 400 and bad_id.json()[0]["field"] == "attribute[citizen_id]"
        stranger = await client.post("/requests.json", data={**form, "api_key": "whsec_nobody"})
        assert stranger.status_code == 403 and stranger.json()[0]["field"] == "api_key"

        found = (
            await client.get("/requests.json", params={"api_key": secret, "service_request_id": "PS-311-0001"})
        ).json()
        assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in found] == [
            ("PS-311-0001", "open", "已登记")
        ]
        assert (await client.get("/requests.json")).status_code == 403
    conn = await db("needs")
    need_id = await conn.fetchval("SELECT need_id FROM work_orders WHERE order_id = 'PS-311-0001'")
    assert await conn.fetchval("SELECT channel FROM needs WHERE id = $1", need_id) == "portal_import"
    assert str(need_id) in first.json()[0]["service_notice"]
