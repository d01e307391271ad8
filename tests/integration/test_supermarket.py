"""The love supermarket (爱心超市) against the real PostgreSQL and NATS: credits exchanged become
points once, however often the event arrives; redemptions move points and stock together or not
at all; the charity ledger's hash chain still verifies."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import httpx
import nats.js.errors
import pytest
from support.waiting import eventually

from contracts.api import supermarket as models
from contracts.envelope import new_id, wrap
from contracts.events.needs import NeedRaised, ResidentRegistered
from contracts.events.timebank import CreditsExchanged
from contracts.events.volunteers import VolunteerRegistered
from contracts.subjects import event_subject
from contracts.values import uscc_check_char
from kit import db as kit_db
from kit import wiring
from kit.app import create_app
from kit.auth import Principal, Role
from kit.bus import EventConsumer
from kit.problems import Problem
from services.charity import ledger
from services.charity import store as ledger_store
from services.charity.supermarket import config, domain, handlers, store
from services.charity.supermarket.api import public_router, router
from services.charity.supermarket.subscribers import HANDLERS

WORKER = Principal(sub="sw-1", role=Role.SOCIAL_WORKER, area="130102")
POLICY = config.SupermarketSettings(points_per_credit=Decimal(10))
USCC = "91130100MA0ABCDE1" + uscc_check_char("91130100MA0ABCDE1")


@pytest.fixture
async def pool(settings):
    pool = await kit_db.create_pool(settings, "charity", size=4)
    yield pool
    await pool.close()


def community(n: int) -> str:
    """Communities of 长安区 only these tests use (a fresh one per test keeps their books apart)."""
    return f"130102001{100 + n:03d}"


def ref() -> str:
    return f"v-{new_id().hex[-16:]}"


def holder(kind: str, holder_ref: str) -> Principal:
    return Principal(sub=holder_ref, role=Role(kind), area="130102")


async def shelve(pool, area: str, quantity: int = 10, price: int = 30, item: str = "大米") -> models.GoodsReceiptView:
    body = models.GoodsReceiptIn(
        area_code=area,
        item=item,
        unit="袋",
        quantity=quantity,
        estimated_value_fen=5000,
        price_points=price,
        donor=models.DonorIn(kind="anonymous"),
    )
    return await handlers.receive_goods(pool, WORKER, body)


async def register(pool, kind: str, holder_ref: str, area: str = "130102001001") -> None:
    """The holder becomes known as the charity service learns people: from their registration event."""
    at = datetime.now(UTC)
    event = (
        VolunteerRegistered(volunteer_ref=holder_ref, area_code=area, registered_at=at)
        if kind == "volunteer"
        else ResidentRegistered(resident_ref=holder_ref, area_code=area, registered_at=at)
    )
    async with pool.acquire() as conn:
        await handlers.on_holder_seen(conn, [wrap(event, subject=holder_ref, area_code=area)])


async def grant(pool, area: str, holder_ref: str, points: int, kind: str = "volunteer") -> models.PointsGrantView:
    await register(pool, kind, holder_ref, area)
    body = models.PointsGrantIn(
        area_code=area,
        holder_kind=kind,
        holder_ref=holder_ref,
        points=points,
        reason="社区清洁活动 / community clean-up",
    )
    return await handlers.grant_points(pool, WORKER, body)


async def redeem(
    pool, who: Principal, holder_ref: str, item_id, quantity: int, kind: str = "volunteer"
) -> models.RedemptionView:
    body = models.RedemptionIn(holder_kind=kind, holder_ref=holder_ref, item_id=item_id, quantity=quantity)
    return await handlers.redeem(pool, who, body)


async def points_of(pool, kind: str, holder_ref: str) -> int:
    return await ledger_store.balance(pool, domain.holder_account(kind, holder_ref))


async def quantity_of(pool, item_id) -> int:
    return await pool.fetchval("SELECT quantity FROM supermarket_items WHERE id = $1", item_id)


async def chain_verifies(pool) -> None:
    async with pool.acquire() as conn:
        assert ledger.verify_chain(await ledger_store.chain(conn)) is None


async def outbox(pool, event: str, field: str, value) -> list[dict]:
    return await pool.fetch(
        """SELECT convert_from(payload, 'UTF8')::jsonb AS envelope FROM outbox
            WHERE subject LIKE $1 AND convert_from(payload, 'UTF8')::jsonb -> 'data' ->> $2 = $3""",
        f"evt.charity.{event}.v1.%",
        field,
        str(value),
    )


def refused(excinfo, status: int, rule: str | None = None) -> None:
    problem = excinfo.value
    assert problem.status == status, problem.body("/")
    if rule is not None:
        assert problem.extensions["rule"] == rule and problem.errors[0]["type"] == rule, problem.body("/")


# --- 积分互兑: CreditsExchanged → points, once ------------------------------------------------


async def _drained(js, durable: str) -> bool:
    try:
        info = await js.consumer_info("VOLUNTEERS", durable)
    except nats.js.errors.NotFoundError:
        return False
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_credits_exchanged_twice_grants_points_once(pool, js):
    area, volunteer_ref = community(1), ref()
    event = CreditsExchanged(
        exchange_id=new_id(), volunteer_ref=volunteer_ref, area_code=area, credits=255, exchanged_at=datetime.now(UTC)
    )
    envelope = wrap(event, subject=str(event.exchange_id), area_code=area)
    data = envelope.model_dump_json().encode()
    await js.publish(event_subject(CreditsExchanged, area), data, headers={"Nats-Msg-Id": str(envelope.id)})
    await js.publish(event_subject(CreditsExchanged, area), data)  # no Nats-Msg-Id: JetStream keeps both
    # redelivered by the producer under a new envelope id: the exchange id still grants once
    again = wrap(event, subject=str(event.exchange_id), area_code=area)
    await js.publish(event_subject(CreditsExchanged, area), again.model_dump_json().encode())

    durable = "charity-credits-exchanged"
    sub = wiring.subscription(durable, partial(HANDLERS[durable], settings=POLICY), 5)
    sub = dataclasses.replace(sub, durable=f"probe-credits-exchanged-{new_id().hex[-8:]}")  # this test's own cursor
    consumer = EventConsumer(sub, pool, js)
    task = asyncio.create_task(consumer.run())

    async def granted_and_drained() -> bool:
        return bool(await points_of(pool, "volunteer", volunteer_ref)) and await _drained(js, sub.durable)

    try:
        await eventually(granted_and_drained, "the consumer to grant the points and drain", 20)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 5)

    assert consumer.dead_lettered == 0
    assert await store.holder_known(pool, "volunteer", volunteer_ref)  # the exchange proves them real
    seen = await pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
        sub.durable,
        [envelope.id, again.id],
    )
    assert seen == 2  # both envelopes were applied: the exchange id, not the inbox, kept the second out
    assert await points_of(pool, "volunteer", volunteer_ref) == 26  # 2.55 credits × 10 = 25.5 → 26
    assert await ledger_store.balance(pool, domain.pool_account(area)) == -26
    grants = await pool.fetch("SELECT * FROM supermarket_grants WHERE reference = $1", f"credits:{event.exchange_id}")
    assert [(g["holder_ref"], g["points"], g["source"]) for g in grants] == [(volunteer_ref, 26, "time_credits")]
    [granted] = await outbox(pool, "points_granted", "exchange_id", event.exchange_id)
    assert granted["envelope"]["data"]["points"] == 26 and granted["envelope"]["causation_id"] == str(envelope.id)
    assert granted["envelope"]["data"]["holder_ref"] == volunteer_ref and "name" not in granted["envelope"]["data"]
    await chain_verifies(pool)


# --- known holders: points go only to real volunteers and residents ------------------------------


async def test_points_go_only_to_a_volunteer_or_resident_the_platform_knows(pool):
    area, nobody, volunteer_ref, resident_ref = community(10), ref(), ref(), ref()
    with pytest.raises(Problem) as excinfo:  # a ref nobody registered
        await handlers.grant_points(
            pool,
            WORKER,
            models.PointsGrantIn(
                area_code=area, holder_kind="volunteer", holder_ref=nobody, points=10, reason="社区清洁活动"
            ),
        )
    assert excinfo.value.status == 422 and excinfo.value.errors[0]["field"] == "holder_ref"
    assert await pool.fetchval("SELECT count(*) FROM supermarket_grants WHERE holder_ref = $1", nobody) == 0
    assert await points_of(pool, "volunteer", nobody) == 0

    await register(pool, "volunteer", volunteer_ref, area)
    await register(pool, "volunteer", volunteer_ref, area)  # seen twice: still one holder
    with pytest.raises(Problem) as excinfo:  # a volunteer's ref is not a resident's
        await handlers.grant_points(
            pool,
            WORKER,
            models.PointsGrantIn(
                area_code=area, holder_kind="resident", holder_ref=volunteer_ref, points=10, reason="社区清洁活动"
            ),
        )
    assert excinfo.value.errors[0]["field"] == "holder_ref"
    granted = await handlers.grant_points(
        pool,
        WORKER,
        models.PointsGrantIn(
            area_code=area, holder_kind="volunteer", holder_ref=volunteer_ref, points=10, reason="社区清洁活动"
        ),
    )
    assert granted.balance == 10

    # a resident who raised a need is a resident under the same ref (registered before ResidentRegistered existed)
    raised = NeedRaised(
        need_id=new_id(),
        area_code=area,
        category="daily_care",
        urgency="routine",
        channel="social_worker_visit",
        resident_ref=resident_ref,
        raised_by="sw-1",
        raised_at=datetime.now(UTC),
    )
    async with pool.acquire() as conn:
        await handlers.on_holder_seen(conn, [wrap(raised, subject=str(raised.need_id), area_code=area)])
    granted = await handlers.grant_points(
        pool,
        WORKER,
        models.PointsGrantIn(
            area_code=area, holder_kind="resident", holder_ref=resident_ref, points=7, reason="社区清洁活动"
        ),
    )
    assert granted.balance == 7 and await points_of(pool, "resident", resident_ref) == 7


# --- redemption -------------------------------------------------------------------------------


async def test_redemption_without_points_is_refused(pool):
    area, volunteer_ref = community(2), ref()
    item = await shelve(pool, area)
    with pytest.raises(Problem) as excinfo:  # never granted anything
        await redeem(pool, holder("volunteer", volunteer_ref), volunteer_ref, item.item_id, 1)
    refused(excinfo, 409, "insufficient_points")

    await grant(pool, area, volunteer_ref, 50)
    with pytest.raises(Problem) as excinfo:  # 2 × 30 > 50
        await redeem(pool, holder("volunteer", volunteer_ref), volunteer_ref, item.item_id, 2)
    refused(excinfo, 409, "insufficient_points")
    assert "50" in excinfo.value.detail
    assert await quantity_of(pool, item.item_id) == 10  # the stock taken before the refusal came back
    assert await points_of(pool, "volunteer", volunteer_ref) == 50
    assert await pool.fetchval("SELECT count(*) FROM supermarket_redemptions WHERE holder_ref = $1", volunteer_ref) == 0


async def test_redemption_without_stock_is_refused(pool):
    area, resident_ref = community(3), ref()
    item = await shelve(pool, area, quantity=1)
    await grant(pool, area, resident_ref, 500, kind="resident")
    with pytest.raises(Problem) as excinfo:
        await redeem(pool, holder("resident", resident_ref), resident_ref, item.item_id, 2, kind="resident")
    refused(excinfo, 409, "insufficient_stock")
    assert excinfo.value.errors[0]["field"] == "quantity"
    assert await points_of(pool, "resident", resident_ref) == 500


async def test_redemption_moves_points_to_the_pool_and_takes_stock(pool):
    area, volunteer_ref = community(4), ref()
    item = await shelve(pool, area, quantity=10, price=30)
    await grant(pool, area, volunteer_ref, 100)
    pool_before = await ledger_store.balance(pool, domain.pool_account(area))

    done = await redeem(pool, holder("volunteer", volunteer_ref), volunteer_ref, item.item_id, 3)
    assert (done.points, done.balance, done.stock_quantity) == (90, 10, 7)
    assert await points_of(pool, "volunteer", volunteer_ref) == 10
    assert await quantity_of(pool, item.item_id) == 7
    assert await ledger_store.balance(pool, domain.pool_account(area)) == pool_before + 90  # less negative
    moves = await pool.fetch(
        "SELECT direction, quantity, reason FROM supermarket_stock_movements WHERE item_id = $1 ORDER BY seq",
        item.item_id,
    )
    assert [tuple(m) for m in moves] == [("in", 10, "donation"), ("out", 3, "redemption")]
    [redeemed] = await outbox(pool, "points_redeemed", "redemption_id", done.redemption_id)
    assert redeemed["envelope"]["data"]["points"] == 90 and redeemed["envelope"]["area_code"] == area
    await chain_verifies(pool)


async def test_a_worker_redeems_on_behalf_and_a_retried_request_redeems_once(client, pool, token):
    area, volunteer_ref = community(5), ref()
    item = await shelve(pool, area, quantity=5, price=10)
    await grant(pool, area, volunteer_ref, 100)
    till = {"Authorization": f"Bearer {token('social_worker', area, 'sw-till')}", "Idempotency-Key": "till-1"}
    body = {"holder_kind": "volunteer", "holder_ref": volunteer_ref, "item_id": str(item.item_id), "quantity": 2}
    first = await client.post("/supermarket/redemptions", json=body, headers=till)
    again = await client.post("/supermarket/redemptions", json=body, headers=till)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await points_of(pool, "volunteer", volunteer_ref) == 80 and await quantity_of(pool, item.item_id) == 3


async def test_only_the_holder_or_a_worker_of_the_community_may_redeem(pool):
    area, volunteer_ref = community(6), ref()
    item = await shelve(pool, area)
    await grant(pool, area, volunteer_ref, 100)
    with pytest.raises(Problem) as excinfo:  # another volunteer
        await redeem(pool, holder("volunteer", ref()), volunteer_ref, item.item_id, 1)
    refused(excinfo, 403)
    with pytest.raises(Problem) as excinfo:  # a resident token for a volunteer's points
        await redeem(pool, holder("resident", volunteer_ref), volunteer_ref, item.item_id, 1)
    refused(excinfo, 403)
    outsider = Principal(sub="sw-9", role=Role.SOCIAL_WORKER, area="130104")
    with pytest.raises(Problem) as excinfo:
        await redeem(pool, outsider, volunteer_ref, item.item_id, 1)
    refused(excinfo, 403)
    assert await points_of(pool, "volunteer", volunteer_ref) == 100


async def test_records_are_append_only(pool):
    area = community(7)
    item = await shelve(pool, area)
    with pytest.raises(Exception, match="append-only"):
        await pool.execute("UPDATE supermarket_stock_movements SET quantity = 99 WHERE item_id = $1", item.item_id)


# --- publication ------------------------------------------------------------------------------


async def test_monthly_publication_masks_refs_and_totals(pool):
    area, alice, bob = community(8), "abcd" + ref(), "abcd" + ref()  # same first four characters
    item = await shelve(pool, area, quantity=10, price=20)
    await grant(pool, area, alice, 60)
    await grant(pool, area, bob, 25)
    await redeem(pool, holder("volunteer", alice), alice, item.item_id, 2)
    month = datetime.now(domain.CHINA).strftime("%Y-%m")

    view = await handlers.publication_of(pool, area, month)
    assert {h.holder for h in view.holders} == {"abcd…"}
    assert sorted((h.granted, h.redeemed) for h in view.holders) == [(25, 0), (60, 40)]  # two people, two lines
    assert view.totals.model_dump() == {
        "points_granted": 85,
        "points_redeemed": 40,
        "goods_received_value_fen": 5000,
        "receipts": 1,
        "redemptions": 1,
    }
    assert [(g.item, g.quantity, g.points) for g in view.goods_given_out] == [("大米", 2, 40)]
    assert alice not in view.model_dump_json() and bob not in view.model_dump_json()
    assert (await handlers.publication_of(pool, area, "2000-01")).holders == []


# --- HTTP -------------------------------------------------------------------------------------


@pytest.fixture
async def client(pool):
    app = create_app("charity", title="爱心超市", routers=[router, public_router], idempotent_writes=True)
    app.state.pool = pool
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sm") as c:
        yield c


async def test_http_routes(client, pool, token):
    area, volunteer_ref = community(9), ref()
    worker = {"Authorization": f"Bearer {token('social_worker', area, 'sw-2')}"}
    admin = {"Authorization": f"Bearer {token('charity_admin', '130102', 'ca-1')}"}
    me = {"Authorization": f"Bearer {token('volunteer', area, volunteer_ref)}"}

    goods = {
        "area_code": area,
        "item": "食用油",
        "unit": "桶",
        "quantity": 4,
        "estimated_value_fen": 24000,
        "price_points": 50,
        "donor": {"kind": "enterprise", "uscc": USCC, "name": "某某粮油公司"},
    }
    r = await client.post("/supermarket/goods", json=goods, headers=admin)
    assert r.status_code == 201, r.text
    item_id = r.json()["item_id"]
    r = await client.post(
        "/supermarket/goods", json={**goods, "donor": {"kind": "enterprise", "name": "x"}}, headers=admin
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "donor"
    r = await client.post("/supermarket/goods", json=goods, headers=me)
    assert r.status_code == 403

    r = await client.get("/supermarket/stock", params={"area": area}, headers=me)
    assert r.status_code == 200 and r.json()["items"][0]["quantity"] == 4

    grant_body = {
        "area_code": area,
        "holder_kind": "volunteer",
        "holder_ref": volunteer_ref,
        "points": 120,
        "reason": "助老活动 / elderly care",
    }
    r = await client.post("/supermarket/points-grants", json=grant_body, headers=admin)
    assert r.status_code == 403  # activities are granted by social workers
    r = await client.post("/supermarket/points-grants", json=grant_body, headers=worker)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "holder_ref"  # not a registered volunteer yet
    await register(pool, "volunteer", volunteer_ref, area)
    r = await client.post("/supermarket/points-grants", json=grant_body, headers=worker)
    assert r.status_code == 201 and r.json()["balance"] == 120

    r = await client.post(
        "/supermarket/redemptions",
        json={"holder_kind": "volunteer", "holder_ref": volunteer_ref, "item_id": item_id, "quantity": 3},
        headers=me,
    )
    assert r.status_code == 409 and r.json()["rule"] == "insufficient_points"
    assert r.json()["errors"][0]["field"] == "holder_ref"
    r = await client.post(
        "/supermarket/redemptions",
        json={"holder_kind": "volunteer", "holder_ref": volunteer_ref, "item_id": item_id, "quantity": 2},
        headers=me,
    )
    assert r.status_code == 201 and (r.json()["balance"], r.json()["stock_quantity"]) == (20, 2)

    r = await client.get(f"/supermarket/points/volunteer/{volunteer_ref}", headers=me)
    assert r.status_code == 200 and r.json()["balance"] == 20
    assert [e["points"] for e in r.json()["statement"]] == [-100, 120]
    stranger = {"Authorization": f"Bearer {token('volunteer', area, ref())}"}
    r = await client.get(f"/supermarket/points/volunteer/{volunteer_ref}", headers=stranger)
    assert r.status_code == 404
    outsider = {"Authorization": f"Bearer {token('social_worker', '130104', 'sw-9')}"}
    r = await client.get(f"/supermarket/points/volunteer/{volunteer_ref}", headers=outsider)
    assert r.status_code == 404

    month = datetime.now(domain.CHINA).strftime("%Y-%m")
    r = await client.get("/supermarket/publications", params={"area": area, "month": month}, headers=me)
    assert r.status_code == 200 and r.json()["goods_received"][0]["donor_name"] == "某某粮油公司"
    r = await client.get("/supermarket/publications", params={"area": area, "month": "2025-13"}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "month"


async def test_stock_and_publication_are_public_and_scoped_when_signed_in(client, pool, token):
    area, other = community(11), "130104002001"  # 桥西区
    item = await shelve(pool, area, quantity=3, price=12)
    month = datetime.now(domain.CHINA).strftime("%Y-%m")
    public = await client.get("/public/supermarket/stock", params={"area": area})  # no token: public disclosure
    assert public.status_code == 200 and [
        (i["item_id"], i["quantity"], i["price_points"]) for i in public.json()["items"]
    ] == [(str(item.item_id), 3, 12)]
    notice = await client.get("/public/supermarket/publications", params={"area": area, "month": month})
    assert notice.status_code == 200 and notice.json()["totals"]["receipts"] == 1
    bad = await client.get("/public/supermarket/publications", params={"area": area, "month": "2026-13"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"

    def signed(role: str, where: str) -> dict:
        return {"Authorization": f"Bearer {token(role, where, f'{role}-scope')}"}

    for role, where in (
        ("social_worker", "130102"),
        ("grid_worker", area),
        ("charity_admin", "130102"),
        ("civil_affairs", "130100"),
        ("auditor", "130102"),
        ("party_secretary", area),
        ("volunteer", area),
        ("resident", area),
    ):
        for path, params in (
            ("/supermarket/stock", {"area": area}),
            ("/supermarket/publications", {"area": area, "month": month}),
        ):
            r = await client.get(path, params=params, headers=signed(role, where))
            assert r.status_code == 200, (role, path, r.text)
    for role, where in (("partner", "130102"), ("org_admin", "130102")):
        r = await client.get("/supermarket/stock", params={"area": area}, headers=signed(role, where))
        assert r.status_code == 403, (role, r.text)  # they read the public routes
    for role, where in (("social_worker", "130104"), ("volunteer", community(12)), ("resident", other)):
        for path, params in (
            ("/supermarket/stock", {"area": area}),
            ("/supermarket/publications", {"area": area, "month": month}),
        ):
            r = await client.get(path, params=params, headers=signed(role, where))
            assert r.status_code == 403 and r.json()["errors"][0]["field"] == "area_code", (role, path, r.text)
