"""HTTP routes of the needs service (社区 · 需求库). Every route checks role × jurisdiction."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from contracts.api import needs as api
from contracts.taxonomy import Channel, Route, TargetGroup, Urgency
from contracts.values import MAX_PAGE
from kit.app import DbPool, Keys
from kit.auth import (
    PURPOSE,
    Principal,
    Role,
    listing_area,
    may_unmask,
    require,
    require_jurisdiction,
    visible,
)
from kit.problems import Problem
from kit.uow import UnitOfWork
from services.needs import handlers, store
from services.needs.config import needs_settings
from services.needs.domain import Status
from services.needs.taxonomy import Taxonomy

router = APIRouter(tags=["需求库 needs"])
intake = APIRouter(tags=["需求库 needs"])  # the busiest write, first in the app: matched before any other route
PROVINCE = "130000"

AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / defaults to your area")
W = (Role.SOCIAL_WORKER, Role.GRID_WORKER)  # community workers
READERS = (*W, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)
UNMASKERS = W  # may see personal data unmasked, with a stated purpose, audited
Reader = Annotated[Principal, Depends(require(*READERS))]
Worker = Annotated[Principal, Depends(require(*W))]
SocialWorker = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER))]
CivilAffairs = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]
Raiser = Annotated[Principal, Depends(require(*W, Role.RESIDENT, Role.PARTNER))]
WorkerOrResident = Annotated[Principal, Depends(require(*W, Role.RESIDENT))]
Mediator = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER, Role.PARTY_SECRETARY))]
AnyRole = Annotated[Principal, Depends(require(*Role))]


def level_defaults() -> dict[str, float]:
    """The installation's default service levels; an area's own (set through the API) override them."""
    return needs_settings().level_defaults()


def taxonomy_of(request: Request) -> Taxonomy:
    return request.app.state.taxonomy


async def _labels(request: Request) -> dict[str, str]:
    return await taxonomy_of(request).labels()


# --- need intake and reads ---------------------------------------------------------------------

# who may raise a need through which channel: a resident only for themself, a portal only as an import
CHANNELS_OF = {Role.RESIDENT: {Channel.SELF_REPORT}, Role.PARTNER: {Channel.PORTAL_IMPORT}}


@intake.post("/needs", status_code=201, response_model=api.NeedCreated, summary="登记需求 / raise a need")
async def raise_need(need: api.NeedIn, request: Request, who: Raiser, keyring: Keys) -> api.NeedCreated:
    require_jurisdiction(who, need.area_code, hide=False)
    allowed = CHANNELS_OF.get(who.role)
    if allowed is not None and need.channel not in allowed:
        raise Problem(
            403,
            "无权操作 / Forbidden",
            f"此角色只能通过 {', '.join(sorted(allowed))} 渠道登记需求",
            errors=[{"field": "channel", "message": f"must be one of {sorted(allowed)}"}],
        )
    if (
        who.role == Role.RESIDENT
        and need.resident is not None
        and keyring.pseudonym(need.resident.citizen_id, "resident") != who.sub
    ):
        raise Problem(
            403,
            "无权操作 / Forbidden",
            "居民只能为本人登记需求 / a resident raises needs for themself",
            errors=[{"field": "resident.citizen_id", "message": "not the caller"}],
        )
    await taxonomy_of(request).require(need.category)
    return await handlers.raise_need(request.app.state.intake, keyring, who, need)


@router.get("/needs", response_model=api.NeedPage, summary="需求库检索 / search the need library")
async def search_needs(
    request: Request,
    who: Reader,
    pool: DbPool,
    keyring: Keys,
    area: str | None = Query(default=None, description="行政区划代码，默认为令牌辖区 / defaults to your area"),
    category: str | None = None,
    target_group: TargetGroup | None = None,
    status: Status | None = None,
    urgency: Urgency | None = None,
    overdue: bool | None = None,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    page_size: int = Query(default=20, ge=1, le=200),
) -> api.NeedPage:
    where, args = _library_filter(who, area, category, target_group, status, urgency, overdue)
    total, rows = await store.search(pool, where, args, page_size, (page - 1) * page_size)
    at, labels = handlers.now(), await _labels(request)
    return api.NeedPage(
        items=[handlers.need_view(r, keyring, labels, at) for r in rows], total=total, page=page, page_size=page_size
    )


CSV_COLUMNS = (
    "id",
    "area_code",
    "area_name",
    "category_label",
    "urgency",
    "status_label",
    "channel",
    "raised_at",
    "first_response_due",
    "overdue",
    "route",
    "resolved_at",
    "satisfaction",
    "resident_name",
    "resident_phone",
)
CSV_HEADER = (
    "需求编号",
    "区划代码",
    "区划名称",
    "类别",
    "紧急程度",
    "状态",
    "渠道",
    "登记时间",
    "首次响应时限",
    "是否超时",
    "分派路径",
    "解决时间",
    "满意度",
    "居民（脱敏）",
    "电话（脱敏）",
)


@router.get("/needs/export.csv", summary="导出需求库（CSV，脱敏）/ export the library as CSV (masked)")
async def export_needs(
    request: Request,
    who: Reader,
    pool: DbPool,
    keyring: Keys,
    area: str | None = None,
    category: str | None = None,
    target_group: TargetGroup | None = None,
    status: Status | None = None,
    urgency: Urgency | None = None,
    overdue: bool | None = None,
) -> StreamingResponse:
    where, args = _library_filter(who, area, category, target_group, status, urgency, overdue)
    at, labels = handlers.now(), await _labels(request)

    async def lines():
        yield "\ufeff" + _csv_line(CSV_HEADER)  # BOM: Excel opens UTF-8 Chinese correctly
        async with pool.acquire() as conn:
            async for row in store.stream_rows(conn, where, args):
                view = handlers.need_view(row, keyring, labels, at)
                values = {
                    **view.model_dump(mode="json"),
                    "resident_name": view.resident.name,
                    "resident_phone": view.resident.phone,
                    "urgency": Urgency(view.urgency).zh,
                    "channel": Channel(view.channel).zh,
                    "route": Route(view.route).zh if view.route else "",
                    "overdue": "是" if view.overdue else "否",
                }
                yield _csv_line([values[c] if values[c] is not None else "" for c in CSV_COLUMNS])

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="needs.csv"'},
    )


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


@router.get("/needs/stats", response_model=api.NeedStats, summary="需求统计 / statistics for an area")
async def need_stats(who: Reader, pool: DbPool, area: str | None = None) -> api.NeedStats:
    where, args = _library_filter(who, area, None, None, None, None, None)
    row = await store.stats(pool, where, args, handlers.now())
    return handlers.stats_view(area or who.area, row)


@router.get(
    "/needs/trend",
    response_model=list[api.NeedTrendPoint],
    summary="需求月度趋势 / raised, resolved and first response, month by month",
)
async def need_trend(
    who: Reader,
    pool: DbPool,
    area: str | None = AREA,
    months: int = Query(default=12, ge=1, le=36, description="最近几个月（含本月）/ how many months"),
) -> list[api.NeedTrendPoint]:
    return await handlers.trend(pool, listing_area(who, area), months)


@router.get(
    "/needs/linkage", response_model=api.NeedLinkage, summary="五社联动指数 / the five actors' share of resolved needs"
)
async def need_linkage(who: Reader, pool: DbPool, area: str | None = AREA) -> api.NeedLinkage:
    return await handlers.linkage(pool, listing_area(who, area))


def _library_filter(who: Principal, area, category, target_group, status, urgency, overdue):
    area = listing_area(who, area)
    return store.library_filter(area, category, target_group, status, urgency, overdue, handlers.now())


@router.get("/needs/{need_id:uuid}", response_model=api.NeedView, summary="需求详情 / one need")
async def get_need(
    need_id: UUID, request: Request, who: Reader, pool: DbPool, keyring: Keys, purpose: str | None = PURPOSE
) -> api.NeedView:
    may_unmask(who, purpose, UNMASKERS)
    async with UnitOfWork(pool) as uow:
        row = visible(who, await store.get_need(uow.conn, need_id))
        if purpose is not None:
            handlers.audit_read(uow, who, f"need/{need_id}", row["area_code"], purpose, ["name", "phone", "citizen_id"])
    return handlers.need_view(row, keyring, await _labels(request), masked=purpose is None)


@router.get(
    "/needs/{need_id:uuid}/timeline", response_model=list[api.TimelineEntry], summary="需求时间线 / what each actor did"
)
async def need_timeline(need_id: UUID, who: Reader, pool: DbPool) -> list[api.TimelineEntry]:
    visible(who, await store.get_need(pool, need_id))
    return handlers.timeline_view(await store.timeline(pool, need_id))


# --- the need's life ----------------------------------------------------------------------------


@router.post("/needs/{need_id:uuid}/assessment", summary="评估并分派 / assess and route")
async def assess(need_id: UUID, body: api.AssessmentIn, request: Request, who: SocialWorker, pool: DbPool) -> dict:
    await taxonomy_of(request).require(body.category)
    return {"id": need_id, "status": await handlers.assess(pool, who, need_id, body)}


@router.post("/needs/{need_id:uuid}/resolution", summary="确认解决 / confirm the need is met")
async def resolve(need_id: UUID, body: api.ResolutionIn, who: WorkerOrResident, pool: DbPool) -> dict:
    return {"id": need_id, "status": await handlers.resolve(pool, level_defaults(), who, need_id, body)}


@router.post("/needs/{need_id:uuid}/return", summary="退回（退单）/ return a need the community will not take on")
async def return_need(need_id: UUID, body: api.ReturnIn, who: SocialWorker, pool: DbPool) -> dict:
    return {"id": need_id, "status": await handlers.return_need(pool, who, need_id, body)}


@router.post("/needs/{need_id:uuid}/feedback", summary="满意度评价 / the resident's judgement")
async def feedback(need_id: UUID, body: api.FeedbackIn, who: WorkerOrResident, pool: DbPool) -> dict:
    return {"id": need_id, "status": await handlers.give_feedback(pool, level_defaults(), who, need_id, body)}


@router.post(
    "/needs/{need_id:uuid}/disputes", status_code=201, summary="提出异议，进入调处 / dispute: open a mediation"
)
async def dispute(need_id: UUID, body: api.DisputeIn, who: WorkerOrResident, pool: DbPool) -> dict:
    return {"case_id": await handlers.open_dispute(pool, who, need_id, body), "status": Status.DISPUTED}


@router.post("/mediations/{case_id}/settlement", summary="调处办结 / settle a mediation")
async def settle(case_id: UUID, body: api.MediationDecisionIn, who: Mediator, pool: DbPool) -> dict:
    await handlers.settle_mediation(pool, who, case_id, body)
    return {"case_id": case_id, "status": "settled"}


@router.post("/mediations/{case_id}/escalation", summary="提交党建联席会议 / escalate to the joint meeting")
async def escalate(case_id: UUID, body: api.DisputeIn, who: Mediator, pool: DbPool) -> dict:
    await handlers.escalate_mediation(pool, who, case_id, body)
    return {"case_id": case_id, "status": "escalated"}


@router.get("/mediations/{case_id}", response_model=api.MediationView, summary="调处案件 / a mediation case")
async def get_mediation(case_id: UUID, who: Reader, pool: DbPool) -> api.MediationView:
    case = visible(who, await store.get_mediation(pool, case_id))
    return api.MediationView.model_validate(dict(case))


@router.post("/needs/{need_id:uuid}/revisits", status_code=201, summary="记录回访 / record a revisit")
async def revisit(need_id: UUID, body: api.RevisitIn, who: Worker, pool: DbPool) -> dict:
    return {"id": await handlers.record_revisit(pool, who, need_id, body)}


@router.get("/revisits/due", response_model=list[api.NeedView], summary="待回访清单 / needs due for a revisit")
async def revisits_due(
    request: Request, who: Worker, pool: DbPool, keyring: Keys, area: str | None = None, on: date | None = None
) -> list[api.NeedView]:
    area = listing_area(who, area)
    rows = await store.revisits_due(pool, area, on or handlers.now().date())
    labels = await _labels(request)
    return [handlers.need_view(r, keyring, labels) for r in rows]


# --- the taxonomy -----------------------------------------------------------------------------------


@router.get("/taxonomy/categories", response_model=list[api.CategoryView], summary="需求类别 / need categories")
async def categories(request: Request, who: AnyRole) -> list[api.CategoryView]:
    return list((await taxonomy_of(request).all()).values())


@router.post(
    "/taxonomy/categories",
    status_code=201,
    response_model=api.CategoryView,
    summary="新增需求类别 / add a need category",
)
async def add_category(body: api.CategoryIn, request: Request, who: CivilAffairs) -> api.CategoryView:
    # one taxonomy for the whole installation: only the provincial department extends it
    require_jurisdiction(who, PROVINCE, hide=False)
    return await taxonomy_of(request).add(who, body)
