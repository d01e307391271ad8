"""HTTP API of the exchange service (mounted at /api/v1 behind the gateway): the events API for
partners who cannot speak NATS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from contracts.api import exchange as api
from kit.app import DbPool
from kit.auth import Principal, Role, require
from services.exchange import handlers

Partner = Annotated[Principal, Depends(require(Role.PARTNER))]

router = APIRouter(tags=["数据交换 exchange"])


@router.get(
    "/events",
    response_model=api.EventPage,
    summary="公开事件（游标分页）/ public events, by cursor",
    description="与 PUBLIC 消息流相同的公开事件，限于合作方的辖区与事件类型，按发布顺序。"
    " / The same public events as the PUBLIC stream, in the partner's area and types, in published order.",
)
async def events(
    who: Partner,
    pool: DbPool,
    after: str | None = Query(default=None, description="上一页的 next；不带则从最早保留的事件起 / a page's `next`"),
    types: str | None = Query(
        default=None, description="逗号分隔，如 needs.need_raised；默认为合作方的全部类型 / comma-separated types"
    ),
    area: str | None = Query(default=None, description="合作方辖区内的区划代码 / an area inside the partner's"),
    limit: int = Query(default=100, ge=1, le=1000, description="每页条数 / events per page"),
) -> api.EventPage:
    asked = [t.strip() for t in (types or "").split(",") if t.strip()]
    return await handlers.events_page(pool, who, after, asked, area, limit)


Office = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]


@router.get(
    "/exchange/partners",
    response_model=list[api.PartnerOverview],
    summary="合作方、订阅及投递情况 / partners, their subscriptions and deliveries",
    description="辖区内的合作方（含已撤销）及其 Webhook 订阅的投递健康度。 / The partners in the office's area "
    "(revoked ones too) and the delivery health of their webhook subscriptions.",
)
async def partners(who: Office, pool: DbPool) -> list[api.PartnerOverview]:
    return await handlers.partners_overview(pool, who)
