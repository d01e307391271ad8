"""HTTP routes of the love supermarket (爱心超市). Writes accept an Idempotency-Key: a retried
request gets the first response and changes nothing again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from contracts.api import supermarket as api
from contracts.api.needs import CommunityCode
from contracts.values import Month
from kit.app import DbPool
from kit.auth import Principal, Role, listing_area, require
from services.charity.supermarket import handlers

router = APIRouter(prefix="/supermarket", tags=["爱心超市 love supermarket"])
# a community's stock and its monthly 公示 are public disclosure: anyone reads them here, no token
public_router = APIRouter(prefix="/public/supermarket", tags=["慈善信息公开 public disclosure"])
WORKERS = handlers.WORKERS
HOLDERS = (Role.VOLUNTEER, Role.RESIDENT)
# signed in, the supermarket is read by those who work there or oversee it (the party organization,
# as it oversees the area's money), within their area (a resident or a volunteer: their own
# community); everyone else reads the public routes
READERS = (*WORKERS, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.PARTY_SECRETARY, *HOLDERS)
COMMUNITY = Query(description="村（社区）12 位代码 / community code")
MONTH = Query(description="YYYY-MM（北京时间，2000-01 至 2099-12）/ Beijing time")
Worker = Annotated[Principal, Depends(require(*WORKERS))]
SocialWorker = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER))]
WorkerOrHolder = Annotated[Principal, Depends(require(*WORKERS, *HOLDERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]


@router.post(
    "/goods", status_code=201, response_model=api.GoodsReceiptView, summary="捐赠物品入库 / receive donated goods"
)
async def receive_goods(body: api.GoodsReceiptIn, who: Worker, pool: DbPool) -> api.GoodsReceiptView:
    return await handlers.receive_goods(pool, who, body)


@router.get("/stock", response_model=api.StockView, summary="爱心超市库存 / a community's stock")
async def stock(area: Annotated[CommunityCode, COMMUNITY], who: Reader, pool: DbPool) -> api.StockView:
    return await handlers.stock(pool, listing_area(who, area))


@router.post(
    "/points-grants",
    status_code=201,
    response_model=api.PointsGrantView,
    summary="发放活动积分 / grant points for an activity",
)
async def grant_points(body: api.PointsGrantIn, who: SocialWorker, pool: DbPool) -> api.PointsGrantView:
    return await handlers.grant_points(pool, who, body)


@router.get(
    "/points/{kind}/{ref}", response_model=api.PointsAccountView, summary="积分余额与明细 / points and statement"
)
async def points(
    kind: api.HolderKind,
    ref: api.HolderRef,
    who: WorkerOrHolder,
    pool: DbPool,
    limit: int = Query(default=100, ge=1, le=1000),
) -> api.PointsAccountView:
    return await handlers.points_account(pool, who, kind, ref, limit)


@router.post(
    "/redemptions", status_code=201, response_model=api.RedemptionView, summary="积分兑换物品 / redeem points for goods"
)
async def redeem(body: api.RedemptionIn, who: WorkerOrHolder, pool: DbPool) -> api.RedemptionView:
    return await handlers.redeem(pool, who, body)


@router.get("/publications", response_model=api.PublicationView, summary="积分与物品月度公示 / monthly publication")
async def publication(
    area: Annotated[CommunityCode, COMMUNITY], month: Annotated[Month, MONTH], who: Reader, pool: DbPool
) -> api.PublicationView:
    return await handlers.publication_of(pool, listing_area(who, area), month)


@public_router.get("/stock", response_model=api.StockView, summary="爱心超市库存（公开）/ a community's stock, public")
async def public_stock(area: Annotated[CommunityCode, COMMUNITY], pool: DbPool) -> api.StockView:
    return await handlers.stock(pool, area)


@public_router.get(
    "/publications",
    response_model=api.PublicationView,
    summary="积分与物品月度公示（公开，持有人仅以化名编号脱敏显示）/ the monthly publication, public",
)
async def public_publication(
    area: Annotated[CommunityCode, COMMUNITY], month: Annotated[Month, MONTH], pool: DbPool
) -> api.PublicationView:
    return await handlers.publication_of(pool, area, month)
