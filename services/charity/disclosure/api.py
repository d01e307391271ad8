"""Public routes of the charity disclosure (慈善信息公开). No token: everything returned is public."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from contracts.api import disclosure as api
from contracts.values import MAX_PAGE
from kit.app import DbPool, Keys
from services.charity.disclosure import handlers

router = APIRouter(prefix="/public", tags=["慈善信息公开 public disclosure"])


@router.get(
    "/donations/{receipt_code}",
    response_model=api.DonationTrail,
    summary="按收据编号追踪捐赠去向 / follow a donation by its receipt code",
)
async def donation(receipt_code: str, pool: DbPool, keyring: Keys) -> api.DonationTrail:
    return await handlers.donation_trail(pool, keyring, receipt_code)


@router.get(
    "/projects/{project_id}/disclosure",
    response_model=api.ProjectDisclosure,
    summary="项目信息公开 / a project's disclosure report",
)
async def project(project_id: UUID, pool: DbPool) -> api.ProjectDisclosure:
    return await handlers.project_disclosure(pool, project_id)


@router.get("/funds/{fund_id}", response_model=api.FundDisclosure, summary="资金账户公开 / a fund's totals")
async def fund(
    fund_id: UUID,
    pool: DbPool,
    year: int | None = Query(default=None, ge=2020, le=2100, description="2% 规则的年度，默认今年"),
) -> api.FundDisclosure:
    return await handlers.fund_disclosure(pool, fund_id, year)


AREA = Query(default=None, description="行政区划代码；不填为全部 / an area code, all when absent")
FROM = Query(default=None, alias="from", description="起始日期（北京时间，含）/ first day")
TO = Query(default=None, alias="to", description="结束日期（北京时间，含）/ last day")


@router.get("/ledger", response_model=api.LedgerPage, summary="公开账目 / the public ledger")
async def ledger(
    pool: DbPool,
    keyring: Keys,
    area: str | None = AREA,
    date_from: date | None = FROM,
    date_to: date | None = TO,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    page_size: int = Query(default=50, ge=1, le=200),
) -> api.LedgerPage:
    return await handlers.ledger_page(pool, keyring, area, date_from, date_to, page, page_size)


@router.get("/ledger.csv", summary="下载公开账目（CSV）/ download the public ledger as CSV")
async def ledger_csv(
    pool: DbPool, keyring: Keys, area: str | None = AREA, date_from: date | None = FROM, date_to: date | None = TO
) -> StreamingResponse:
    lines = await handlers.ledger_csv(pool, keyring, area, date_from, date_to)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )
