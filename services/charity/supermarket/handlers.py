"""Use cases of the love supermarket (爱心超市): donated goods received and stocked, points granted
for activities or exchanged from time-bank credits, and redeemed for goods. Stock moves in the
same transaction as the points, so goods never leave without being paid for."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.api import supermarket as api
from contracts.envelope import Envelope, new_id
from contracts.events.charity import PointsGranted, PointsRedeemed
from contracts.events.timebank import CreditsExchanged
from kit.auth import Principal, Role, require_jurisdiction
from kit.clock import now
from kit.problems import Problem, invalid, not_found
from kit.uow import UnitOfWork
from services.charity import store as ledger_store
from services.charity.ledger import Entry
from services.charity.supermarket import store
from services.charity.supermarket.config import SupermarketSettings, supermarket_settings
from services.charity.supermarket.domain import (
    HolderEvent,
    holder_account,
    month_bounds,
    points_for_credits,
    pool_account,
    publication,
    seen_holder,
)

HOLDER_ROLES = {"volunteer": Role.VOLUNTEER, "resident": Role.RESIDENT}
WORKERS = (Role.SOCIAL_WORKER, Role.CHARITY_ADMIN)


# --- refusals and authorization ---------------------------------------------------------------


def refused(rule: str, field: str, message: str) -> Problem:
    return Problem(
        409,
        "爱心超市规则不允许 / Refused by a love-supermarket rule",
        message,
        rule=rule,
        errors=[{"field": field, "message": message, "type": rule}],
    )


def is_holder(who: Principal, kind: str, ref: str) -> bool:
    return who.role == HOLDER_ROLES[kind] and who.sub == ref


def check_acting_for(who: Principal, kind: str, ref: str) -> None:
    """A resident or volunteer acts only for themself; workers are checked against the area later."""
    if who.role in HOLDER_ROLES.values() and not is_holder(who, kind, ref):
        message = "只能为本人兑换 / you may redeem only for yourself"
        raise Problem(
            403,
            "无权操作 / Forbidden",
            message,
            errors=[{"field": "holder_ref", "message": message, "type": "not_the_holder"}],
        )


# --- goods ------------------------------------------------------------------------------------


async def receive_goods(pool: asyncpg.Pool, who: Principal, body: api.GoodsReceiptIn) -> api.GoodsReceiptView:
    """Donated goods go on the community's shelf: stock up, one movement in, the receipt for 公示."""
    require_jurisdiction(who, body.area_code, hide=False)
    async with UnitOfWork(pool) as uow:
        receipt_id, at = new_id(), now()
        item = await store.stock_in(
            uow.conn, body.area_code, body.item, body.unit, body.quantity, body.price_points, at
        )
        await store.add_movement(uow.conn, item["id"], "in", body.quantity, "donation", str(receipt_id), who.sub, at)
        donor = body.donor
        await store.add_receipt(
            uow.conn,
            receipt_id,
            item["id"],
            body.area_code,
            body.quantity,
            body.estimated_value_fen,
            donor.kind,
            donor.uscc,
            donor.name,
            who.sub,
            at,
        )
        view = api.GoodsReceiptView(
            receipt_id=receipt_id,
            item_id=item["id"],
            area_code=body.area_code,
            item=item["name"],
            unit=item["unit"],
            quantity_received=body.quantity,
            stock_quantity=item["quantity"],
            price_points=item["price_points"],
            estimated_value_fen=body.estimated_value_fen,
            donor_kind=body.donor.kind,
            received_at=at,
        )
    return view


async def stock(pool: asyncpg.Pool, area_code: str) -> api.StockView:
    items = [
        api.StockItemView(
            item_id=r["id"], item=r["name"], unit=r["unit"], quantity=r["quantity"], price_points=r["price_points"]
        )
        for r in await store.stock(pool, area_code)
    ]
    return api.StockView(area_code=area_code, items=items)


# --- points -----------------------------------------------------------------------------------


async def post_grant(
    conn: asyncpg.Connection,
    *,
    area_code: str,
    kind: str,
    ref: str,
    points: int,
    source: str,
    reason: str,
    reference: str,
    by: str,
    exchange_id: UUID | None = None,
) -> PointsGranted | None:
    """Points from the community's pool to the holder, inside the caller's transaction; the event
    to emit, or None when `reference` was granted already."""
    at, holder = now(), holder_account(kind, ref)
    await ledger_store.ensure_account(
        conn,
        pool_account(area_code),
        "points_pool",
        "points",
        area_code,
        f"爱心超市积分池 / love-supermarket points pool {area_code}",
        may_go_negative=True,
    )
    await ledger_store.ensure_account(conn, holder, "points", "points", area_code, f"爱心积分 / points of {kind}")
    entry = Entry(
        id=new_id(),
        kind="points_grant",
        reference=reference,
        memo=reason,
        unit="points",
        created_by=by,
        created_at=at,
        postings=((pool_account(area_code), -points), (holder, points)),
    )
    if not await ledger_store.post(conn, entry):
        return None
    grant_id = new_id()
    await store.add_grant(conn, grant_id, reference, area_code, kind, ref, points, source, reason, by, at)
    return PointsGranted(
        grant_id=grant_id,
        area_code=area_code,
        holder_kind=kind,
        holder_ref=ref,
        points=points,
        source=source,
        exchange_id=exchange_id,
        granted_at=at,
    )


async def grant_points(pool: asyncpg.Pool, who: Principal, body: api.PointsGrantIn) -> api.PointsGrantView:
    """Points for taking part in a community activity, granted by a social worker of that community,
    to a volunteer or resident the platform knows."""
    require_jurisdiction(who, body.area_code, hide=False)
    async with UnitOfWork(pool) as uow:
        if not await store.holder_known(uow.conn, body.holder_kind, body.holder_ref):
            raise invalid(
                "holder_ref",
                "没有这位登记的志愿者或居民（刚登记的请稍后重试）/ no registered "
                f"{body.holder_kind} with this ref (one registered a moment ago: retry shortly)",
            )
        event = await post_grant(
            uow.conn,
            area_code=body.area_code,
            kind=body.holder_kind,
            ref=body.holder_ref,
            points=body.points,
            source="activity",
            reason=body.reason,
            reference=f"grant:{new_id()}",
            by=who.sub,
        )
        uow.emit(event, subject=str(event.grant_id), area_code=body.area_code)
        balance = await ledger_store.balance(uow.conn, holder_account(body.holder_kind, body.holder_ref))
        view = api.PointsGrantView(
            grant_id=event.grant_id,
            area_code=body.area_code,
            holder_kind=body.holder_kind,
            holder_ref=body.holder_ref,
            points=body.points,
            balance=balance,
            reason=body.reason,
            granted_at=event.granted_at,
        )
    return view


async def on_credits_exchanged(
    conn: asyncpg.Connection, envelopes: list[Envelope[CreditsExchanged]], settings: SupermarketSettings | None = None
) -> None:
    """积分互兑: credits a volunteer exchanged become points from their home community's pool, at the
    rate of `settings` (by default WUSHE_SUPERMARKET_POINTS_PER_CREDIT, read once per process).
    Keyed by the exchange, so a redelivered event (even under a new envelope id) grants once."""
    settings = settings or supermarket_settings()
    uow = UnitOfWork.joining(conn)
    for envelope in envelopes:
        event = envelope.data
        # the exchange came from the volunteers service: the volunteer is real
        await store.add_holder(conn, "volunteer", event.volunteer_ref, event.area_code, event.exchanged_at)
        points = points_for_credits(event.credits, settings.points_per_credit)
        if points == 0:
            continue  # fewer units than half a point: nothing to grant
        granted = await post_grant(
            conn,
            area_code=event.area_code,
            kind="volunteer",
            ref=event.volunteer_ref,
            points=points,
            source="time_credits",
            reason=f"时间银行积分兑换 / time-bank credits exchanged ({event.credits} units)",
            reference=f"credits:{event.exchange_id}",
            by="timebank-exchange",
            exchange_id=event.exchange_id,
        )
        if granted is not None:
            uow.emit(
                granted,
                subject=str(granted.grant_id),
                area_code=event.area_code,
                causation_id=envelope.id,
                correlation_id=envelope.correlation_id,
            )
    await uow.flush()


async def on_holder_seen(conn: asyncpg.Connection, envelopes: list[Envelope[HolderEvent]]) -> None:
    """Keep the projection of known holders (points may be granted only to them); idempotent."""
    for envelope in envelopes:
        await store.add_holder(conn, *seen_holder(envelope.data))


async def points_account(
    pool: asyncpg.Pool, who: Principal, kind: str, ref: str, limit: int = 100
) -> api.PointsAccountView:
    """The holder themself, or a worker whose area covers the account's community; others learn nothing."""
    account = await store.points_account(pool, holder_account(kind, ref))
    if account is None or not (is_holder(who, kind, ref) or who.role in WORKERS):
        raise not_found()
    if not is_holder(who, kind, ref):
        require_jurisdiction(who, account["area_code"])
    rows = await ledger_store.statement(pool, account["id"], limit)
    return api.PointsAccountView(
        holder_kind=kind,
        holder_ref=ref,
        area_code=account["area_code"],
        balance=await ledger_store.balance(pool, account["id"]),
        statement=[
            api.PointsStatementEntry(
                seq=r["seq"], kind=r["kind"], memo=r["memo"], at=r["created_at"], points=r["amount"]
            )
            for r in rows
        ],
    )


# --- redemption -------------------------------------------------------------------------------


async def redeem(pool: asyncpg.Pool, who: Principal, body: api.RedemptionIn) -> api.RedemptionView:
    """Goods for points: stock down and points from the holder to the community's pool, in one
    transaction; refused (409, naming the rule) without enough stock or points."""
    check_acting_for(who, body.holder_kind, body.holder_ref)
    async with UnitOfWork(pool) as uow:
        item = await _item_for(uow.conn, who, body.item_id)
        taken = await store.take_stock(uow.conn, item["id"], body.quantity)
        if taken is None:
            raise refused(
                "insufficient_stock",
                "quantity",
                f"库存不足：现有 {item['quantity']} {item['unit']} / only {item['quantity']} in stock",
            )
        points = item["price_points"] * body.quantity
        redemption_id, at = new_id(), now()
        await _pay(uow.conn, who, body, item, points, redemption_id, at)
        await store.add_movement(
            uow.conn, item["id"], "out", body.quantity, "redemption", str(redemption_id), who.sub, at
        )
        await store.add_redemption(
            uow.conn,
            redemption_id,
            item["id"],
            item["area_code"],
            body.holder_kind,
            body.holder_ref,
            body.quantity,
            points,
            who.sub,
            at,
        )
        uow.emit(
            PointsRedeemed(
                redemption_id=redemption_id,
                area_code=item["area_code"],
                holder_kind=body.holder_kind,
                holder_ref=body.holder_ref,
                item_id=item["id"],
                quantity=body.quantity,
                points=points,
                redeemed_at=at,
            ),
            subject=str(redemption_id),
            area_code=item["area_code"],
        )
        view = api.RedemptionView(
            redemption_id=redemption_id,
            area_code=item["area_code"],
            holder_kind=body.holder_kind,
            holder_ref=body.holder_ref,
            item_id=item["id"],
            item=item["name"],
            quantity=body.quantity,
            points=points,
            balance=await ledger_store.balance(uow.conn, holder_account(body.holder_kind, body.holder_ref)),
            stock_quantity=taken["quantity"],
            redeemed_at=at,
        )
    return view


async def _item_for(conn: asyncpg.Connection, who: Principal, item_id: UUID) -> asyncpg.Record:
    """The item (stock is public, so an unknown one is a field error); a worker must serve its community."""
    item = await store.item(conn, item_id)
    if item is None:
        message = "没有这种物品 / no such item"
        raise Problem(
            422,
            "请求参数无效 / Invalid request",
            message,
            errors=[{"field": "item_id", "message": message, "type": "unknown_item"}],
        )
    if who.role in WORKERS:
        require_jurisdiction(who, item["area_code"], hide=False)
    return item


async def _pay(
    conn: asyncpg.Connection,
    who: Principal,
    body: api.RedemptionIn,
    item: asyncpg.Record,
    points: int,
    redemption_id: UUID,
    at: datetime,
) -> None:
    holder, pool_id = holder_account(body.holder_kind, body.holder_ref), pool_account(item["area_code"])
    held = await ledger_store.balances(conn, [holder])
    if holder not in held:  # never granted anything: no account to pay from
        raise refused(
            "insufficient_points", "holder_ref", f"积分不足：余额 0，需要 {points} / holds 0 points, needs {points}"
        )
    await ledger_store.ensure_account(
        conn,
        pool_id,
        "points_pool",
        "points",
        item["area_code"],
        f"爱心超市积分池 / love-supermarket points pool {item['area_code']}",
        may_go_negative=True,
    )
    entry = Entry(
        id=new_id(),
        kind="points_redemption",
        reference=f"redemption:{redemption_id}",
        memo=f"兑换 {item['name']} × {body.quantity} / redeemed",
        unit="points",
        created_by=who.sub,
        created_at=at,
        postings=((holder, -points), (pool_id, points)),
    )
    try:
        await ledger_store.post(conn, entry)
    except ledger_store.Overdrawn as exc:
        raise refused(
            "insufficient_points",
            "holder_ref",
            f"积分不足：余额 {exc.balance}，需要 {points} / holds {exc.balance} points, needs {points}",
        ) from None


async def publication_of(pool: asyncpg.Pool, area_code: str, month: str) -> api.PublicationView:
    start, end = month_bounds(month)
    return publication(
        area_code,
        month,
        await store.grants_between(pool, area_code, start, end),
        await store.redemptions_between(pool, area_code, start, end),
        await store.receipts_between(pool, area_code, start, end),
    )
