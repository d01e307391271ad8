"""HTTP routes of the exchange's webhooks: a partner's subscriptions, their secret, their deliveries
log, replay and retry. A partner sees only its own: another's subscription answers 404."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from contracts.api import exchange as api
from kit.app import DbPool
from kit.auth import Principal, Role, require
from services.exchange.webhooks import handlers

Partner = Annotated[Principal, Depends(require(Role.PARTNER))]

router = APIRouter(prefix="/webhooks", tags=["数据交换 exchange"])


@router.post(
    "",
    status_code=201,
    response_model=api.WebhookWithSecret,
    summary="订阅 Webhook / subscribe an endpoint",
    description="按 Standard Webhooks 签名投递合作方范围内的公开事件；密钥仅在此处（及轮换时）显示一次。"
    " / Public events of the partner's scope, posted signed (Standard Webhooks); the secret is shown only here.",
)
async def subscribe(body: api.WebhookIn, who: Partner, pool: DbPool) -> api.WebhookWithSecret:
    return await handlers.subscribe(pool, who, body)


@router.get("", response_model=list[api.WebhookView], summary="我的 Webhook 订阅 / my subscriptions")
async def subscriptions(who: Partner, pool: DbPool) -> list[api.WebhookView]:
    return await handlers.subscriptions(pool, who)


@router.get("/{subscription_id:uuid}", response_model=api.WebhookView, summary="一个订阅 / one subscription")
async def subscription(subscription_id: UUID, who: Partner, pool: DbPool) -> api.WebhookView:
    return await handlers.subscription(pool, who, subscription_id)


@router.patch(
    "/{subscription_id:uuid}",
    response_model=api.WebhookView,
    summary="修改或重新启用订阅 / change or re-enable a subscription",
)
async def change(subscription_id: UUID, body: api.WebhookPatch, who: Partner, pool: DbPool) -> api.WebhookView:
    return await handlers.change(pool, who, subscription_id, body)


@router.delete("/{subscription_id:uuid}", status_code=204, summary="取消订阅 / unsubscribe")
async def unsubscribe(subscription_id: UUID, who: Partner, pool: DbPool) -> Response:
    await handlers.unsubscribe(pool, who, subscription_id)
    return Response(status_code=204)


@router.post(
    "/{subscription_id:uuid}/rotate-secret",
    response_model=api.WebhookWithSecret,
    summary="轮换签名密钥 / rotate the signing secret",
    description="旧密钥在重叠期内继续签名（webhook-signature 带两个签名）/ the old secret keeps signing for the overlap.",
)
async def rotate_secret(subscription_id: UUID, who: Partner, pool: DbPool) -> api.WebhookWithSecret:
    return await handlers.rotate_secret(pool, who, subscription_id)


@router.get(
    "/{subscription_id:uuid}/deliveries",
    response_model=api.DeliveryPage,
    summary="投递记录 / the deliveries log",
)
async def deliveries(
    subscription_id: UUID,
    who: Partner,
    pool: DbPool,
    status: api.DeliveryStatus | None = Query(default=None, description="只看此状态 / only this status"),
    after: str | None = Query(default=None, max_length=20, description="上一页的 next / a page's `next`"),
    limit: int = Query(default=100, ge=1, le=1000, description="每页条数 / deliveries per page"),
) -> api.DeliveryPage:
    return await handlers.deliveries(pool, who, subscription_id, status, after, limit)


@router.post(
    "/{subscription_id:uuid}/replay",
    status_code=202,
    response_model=api.ReplayView,
    summary="重发某时刻以来的事件 / re-send the events since a time",
)
async def replay(subscription_id: UUID, body: api.ReplayIn, who: Partner, pool: DbPool) -> api.ReplayView:
    return await handlers.replay(pool, who, subscription_id, body.since)


@router.post(
    "/{subscription_id:uuid}/deliveries/{delivery_id:uuid}/retry",
    status_code=202,
    response_model=api.DeliveryView,
    summary="重发一次投递 / re-send one delivery",
)
async def retry(subscription_id: UUID, delivery_id: UUID, who: Partner, pool: DbPool) -> api.DeliveryView:
    return await handlers.retry(pool, who, subscription_id, delivery_id)


# --- oversight: the civil-affairs office, over every endpoint in its area (partners' and portals') --

Office = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]

oversight = APIRouter(prefix="/exchange/endpoints", tags=["数据交换 exchange"])


@oversight.get(
    "/{subscription_id:uuid}/deliveries",
    response_model=list[api.DeliveryView],
    summary="最近的投递（管理）/ an endpoint's latest deliveries, newest first",
)
async def latest_deliveries(
    subscription_id: UUID,
    who: Office,
    pool: DbPool,
    status: api.DeliveryStatus | None = Query(default=None, description="只看此状态 / only this status"),
    limit: int = Query(default=50, ge=1, le=500, description="条数 / how many"),
) -> list[api.DeliveryView]:
    return await handlers.deliveries_for(pool, who, subscription_id, status, limit)


@oversight.post(
    "/{subscription_id:uuid}/replay",
    status_code=202,
    response_model=api.ReplayView,
    summary="重发某时刻以来的投递（管理）/ re-send an endpoint's deliveries since a time",
)
async def replay_for(subscription_id: UUID, body: api.ReplayIn, who: Office, pool: DbPool) -> api.ReplayView:
    return await handlers.replay(pool, who, subscription_id, body.since, find=handlers.overseen)


@oversight.post(
    "/{subscription_id:uuid}/deliveries/{delivery_id:uuid}/retry",
    status_code=202,
    response_model=api.DeliveryView,
    summary="重发一次投递（管理）/ re-send one delivery",
)
async def retry_for(subscription_id: UUID, delivery_id: UUID, who: Office, pool: DbPool) -> api.DeliveryView:
    return await handlers.retry(pool, who, subscription_id, delivery_id, find=handlers.overseen)
