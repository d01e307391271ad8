"""HTTP routes of 社区吹哨、党员报到 and 微心愿. Every route checks role × jurisdiction; a dispatched
member or unit acts and reads for themself by their login, whatever their role."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import whistles as api
from kit.app import DbPool, Keys
from kit.auth import Caller, Principal, require
from services.party.whistles import handlers
from services.party.whistles.handlers import READERS, WORKERS

Worker = Annotated[Principal, Depends(require(*WORKERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]

router = APIRouter(tags=["社区吹哨 whistles"])
AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / defaults to your area")


# --- whistles -------------------------------------------------------------------------------------


@router.post(
    "/whistles",
    status_code=201,
    response_model=api.WhistleCreated,
    summary="社区吹哨：派给报到党员和责任单位 / blow the whistle",
)
async def blow(body: api.WhistleIn, who: Worker, pool: DbPool) -> api.WhistleCreated:
    return await handlers.blow_whistle(pool, who, body)


@router.get("/whistles", response_model=list[api.WhistleSummary], summary="吹哨列表 / whistles of an area")
async def list_whistles(
    who: Reader,
    pool: DbPool,
    area: str | None = AREA,
    status: Literal["open", "responded", "closed"] | None = None,
    need_id: UUID | None = Query(default=None, description="只列出为该需求吹的哨 / whistles for this need"),
) -> list[api.WhistleSummary]:
    return await handlers.list_whistles(pool, who, area, status, need_id)


@router.get(
    "/whistles/stats", response_model=api.WhistleStats, summary="吹哨响应时效统计 / response times by community"
)
async def whistle_stats(who: Reader, pool: DbPool, area: str | None = AREA) -> api.WhistleStats:
    return await handlers.stats(pool, who, area)


@router.get(
    "/whistles/{whistle_id:uuid}",
    response_model=api.WhistleView,
    summary="吹哨详情与派单 / a whistle and its dispatches",
)
async def get_whistle(whistle_id: UUID, who: Caller, pool: DbPool, keyring: Keys) -> api.WhistleView:
    return await handlers.whistle_view(pool, keyring, who, whistle_id)


@router.post(
    "/whistles/{whistle_id:uuid}/reports",
    status_code=201,
    response_model=api.ReportRecorded,
    summary="党员报到（接单）/ a dispatched member or unit takes the whistle on",
)
async def report(whistle_id: UUID, body: api.ReportIn, who: Caller, pool: DbPool) -> api.ReportRecorded:
    return await handlers.report(pool, who, whistle_id, body)


@router.post(
    "/whistles/{whistle_id:uuid}/reports/{responder_id}/handled",
    response_model=api.HandledRecorded,
    summary="办理完毕 / the responder's work is done",
)
async def handled(
    whistle_id: UUID, responder_id: UUID, body: api.HandledIn, who: Caller, pool: DbPool
) -> api.HandledRecorded:
    return await handlers.mark_handled(pool, who, whistle_id, responder_id, body)


@router.post(
    "/whistles/{whistle_id:uuid}/close", response_model=api.WhistleClosedView, summary="评价并办结 / evaluate and close"
)
async def close(whistle_id: UUID, body: api.CloseIn, who: Worker, pool: DbPool) -> api.WhistleClosedView:
    return await handlers.close(pool, who, whistle_id, body)


# --- small wishes ---------------------------------------------------------------------------------


@router.post("/wishes", status_code=201, response_model=api.WishCreated, summary="发布微心愿 / post a small wish")
async def post_wish(body: api.WishIn, who: Worker, pool: DbPool) -> api.WishCreated:
    return await handlers.post_wish(pool, who, body)


@router.get("/wishes", response_model=list[api.WishView], summary="微心愿列表 / small wishes of an area")
async def list_wishes(
    who: Caller,
    pool: DbPool,
    keyring: Keys,
    area: str | None = AREA,
    status: Literal["open", "claimed", "fulfilled"] | None = None,
) -> list[api.WishView]:
    return await handlers.list_wishes(pool, keyring, who, area, status)


@router.post("/wishes/{wish_id}/claim", response_model=api.WishView, summary="认领微心愿 / claim a wish")
async def claim(wish_id: UUID, body: api.ClaimIn, who: Caller, pool: DbPool, keyring: Keys) -> api.WishView:
    return await handlers.claim_wish(pool, keyring, who, wish_id, body)


@router.post("/wishes/{wish_id}/fulfil", response_model=api.WishView, summary="实现微心愿 / the wish came true")
async def fulfil(wish_id: UUID, body: api.FulfilIn, who: Caller, pool: DbPool, keyring: Keys) -> api.WishView:
    return await handlers.fulfil_wish(pool, keyring, who, wish_id, body)
