"""HTTP routes of the love supermarket (爱心超市). Writes accept an Idempotency-Key: a retried
request gets the first response and changes nothing again."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request

from contracts.api import supermarket as api
from contracts.api.needs import CommunityCode
from kit import idempotency
from kit.app import pool_of
from kit.auth import Principal, Role, principal, require
from services.charity.supermarket import service

router = APIRouter(prefix="/supermarket", tags=["爱心超市 love supermarket"])
WORKERS = service.WORKERS
HOLDERS = (Role.VOLUNTEER, Role.RESIDENT)
KEY = Header(default=None, alias=idempotency.HEADER, description="幂等键 / idempotency key")
MONTH = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM（北京时间）/ Beijing time")



@router.post("/goods", status_code=201, response_model=api.GoodsReceiptView, summary="捐赠物品入库 / receive donated goods")
async def receive_goods(body: api.GoodsReceiptIn, request: Request, key: str | None = KEY,
                        who: Principal = Depends(require(*WORKERS))) -> api.GoodsReceiptView:
    return await service.receive_goods(pool_of(request), who, body, key)


@router.get("/stock", response_model=api.StockView, summary="爱心超市库存 / a community's stock")
async def stock(request: Request, area: CommunityCode = Query(description="村（社区）12 位代码 / community code"),
                who: Principal = Depends(principal)) -> api.StockView:
    return await service.stock(pool_of(request), area)


@router.post("/points-grants", status_code=201, response_model=api.PointsGrantView,
             summary="发放活动积分 / grant points for an activity")
async def grant_points(body: api.PointsGrantIn, request: Request, key: str | None = KEY,
                       who: Principal = Depends(require(Role.SOCIAL_WORKER))) -> api.PointsGrantView:
    return await service.grant_points(pool_of(request), who, body, key)


@router.get("/points/{kind}/{ref}", response_model=api.PointsAccountView, summary="积分余额与明细 / points and statement")
async def points(kind: api.HolderKind, ref: api.HolderRef, request: Request,
                 limit: int = Query(default=100, ge=1, le=1000),
                 who: Principal = Depends(require(*WORKERS, *HOLDERS))) -> api.PointsAccountView:
    return await service.points_account(pool_of(request), who, kind, ref, limit)


@router.post("/redemptions", status_code=201, response_model=api.RedemptionView,
             summary="积分兑换物品 / redeem points for goods")
async def redeem(body: api.RedemptionIn, request: Request, key: str | None = KEY,
                 who: Principal = Depends(require(*WORKERS, *HOLDERS))) -> api.RedemptionView:
    return await service.redeem(pool_of(request), who, body, key)


@router.get("/publications", response_model=api.PublicationView, summary="积分与物品月度公示 / monthly publication")
async def publication(request: Request, area: CommunityCode = Query(description="村（社区）12 位代码 / community code"),
                      month: str = MONTH, who: Principal = Depends(principal)) -> api.PublicationView:
    return await service.publication_of(pool_of(request), area, month)
