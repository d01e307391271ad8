"""HTTP routes of the time bank (时间银行). Every transaction has a reference, so that it posts once;
a retried request with an Idempotency-Key gets the first answer (kit.idempotency)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from contracts.api import timebank as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.volunteers.timebank import config, handlers

router = APIRouter(prefix="/timebank", tags=["时间银行 time bank"])
READERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.AUDITOR)
ACTORS = (Role.VOLUNTEER, Role.SOCIAL_WORKER)  # the volunteer themself, or a social worker in jurisdiction
Reader = Annotated[Principal, Depends(require(*READERS))]
ReaderOrVolunteer = Annotated[Principal, Depends(require(*READERS, Role.VOLUNTEER))]
Actor = Annotated[Principal, Depends(require(*ACTORS))]
CivilAffairs = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]


def _settings(request: Request) -> config.TimebankSettings:
    return getattr(request.app.state, "timebank_settings", None) or config.timebank_settings()


@router.get(
    "/volunteers/{volunteer_id}",
    response_model=api.VolunteerAccountView,
    summary="时间银行余额与明细 / balance and statement",
)
async def account(
    volunteer_id: UUID, who: ReaderOrVolunteer, pool: DbPool, limit: int = Query(default=100, ge=1, le=1000)
) -> api.VolunteerAccountView:
    return await handlers.account_view(pool, who, volunteer_id, limit)


@router.post(
    "/family-links", status_code=201, response_model=api.FamilyLinkView, summary="登记亲属 / declare a family member"
)
async def family_link(body: api.FamilyLinkIn, who: Actor, pool: DbPool, keyring: Keys) -> api.FamilyLinkView:
    return await handlers.declare_family_link(pool, keyring, who, body)


@router.post(
    "/transfers",
    status_code=201,
    response_model=api.TransactionView,
    summary="转赠亲属 / give credits to a family member",
)
async def transfer(body: api.TransferIn, request: Request, who: Actor, pool: DbPool) -> api.TransactionView:
    return await handlers.transfer(
        pool, who, body.from_volunteer, body.to_volunteer, body.units, settings=_settings(request)
    )


@router.post(
    "/redemptions", status_code=201, response_model=api.TransactionView, summary="兑换服务 / pay a service with credits"
)
async def redemption(body: api.RedemptionIn, request: Request, who: Actor, pool: DbPool) -> api.TransactionView:
    return await handlers.redeem(
        pool, who, body.volunteer_id, body.units, body.service, body.at_bank_area, settings=_settings(request)
    )


@router.post(
    "/exchanges",
    status_code=201,
    response_model=api.TransactionView,
    summary="兑换爱心积分 / exchange credits for charity points",
)
async def exchange(body: api.ExchangeIn, request: Request, who: Actor, pool: DbPool) -> api.TransactionView:
    return await handlers.exchange(pool, who, body.volunteer_id, body.units, settings=_settings(request))


@router.post("/clearing", response_model=api.ClearingView, summary="银行间清算 / clear inter-bank positions")
async def clearing(body: api.ClearingIn, who: CivilAffairs, pool: DbPool) -> api.ClearingView:
    return await handlers.clearing(pool, who, body.area or who.area)


@router.get("/positions", response_model=api.PositionsView, summary="各社区银行头寸 / bank positions")
async def positions(
    who: Reader,
    pool: DbPool,
    area: str | None = Query(default=None, description="默认为令牌辖区 / defaults to your area"),
) -> api.PositionsView:
    return await handlers.positions(pool, who, area or who.area)
