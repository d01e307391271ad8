"""HTTP routes of 公益创投 and 项目大赛. Civil affairs and charity administrators run calls;
organizations apply through their administrators; workers of the area judge."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import venture as api
from contracts.api.projects import Created, ScoreIn
from kit.app import DbPool
from kit.auth import Principal, Role, listing_area, require
from services.projects.venture import handlers, store

router = APIRouter(tags=["公益创投 venture philanthropy"])
ORGANIZERS = (Role.CIVIL_AFFAIRS, Role.CHARITY_ADMIN)
JUDGES = (*ORGANIZERS, Role.SOCIAL_WORKER)
READERS = (*JUDGES, Role.ORG_ADMIN, Role.PARTY_SECRETARY, Role.AUDITOR)
Organizer = Annotated[Principal, Depends(require(*ORGANIZERS))]
Judge = Annotated[Principal, Depends(require(*JUDGES))]
Reader = Annotated[Principal, Depends(require(*READERS))]
OrgAdmin = Annotated[Principal, Depends(require(Role.ORG_ADMIN))]


@router.post("/venture-calls", status_code=201, response_model=Created, summary="发布公益创投 / 项目大赛 / open a call")
async def open_call(body: api.CallIn, who: Organizer, pool: DbPool):
    return Created(id=await handlers.open_call(pool, who, body))


@router.get("/venture-calls", response_model=list[api.CallView], summary="公益创投 / calls")
async def list_calls(who: Reader, pool: DbPool, area: str | None = Query(default=None)):
    area = listing_area(who, area)
    return [await handlers.call_view(pool, who, c["id"]) for c in await store.list_calls(pool, area)]


@router.get("/venture-calls/{call_id}", response_model=api.CallView, summary="大赛详情 / a call")
async def get_call(call_id: UUID, who: Reader, pool: DbPool):
    return await handlers.call_view(pool, who, call_id)


@router.post("/venture-calls/{call_id}/applications", status_code=201, response_model=Created, summary="申报 / apply")
async def apply(call_id: UUID, body: api.ApplicationIn, who: OrgAdmin, pool: DbPool):
    return Created(id=await handlers.apply(pool, who, call_id, body))


@router.post("/venture-calls/{call_id}/applications/{application_id}/withdrawal", summary="撤回申报 / withdraw")
async def withdraw(call_id: UUID, application_id: UUID, who: OrgAdmin, pool: DbPool) -> dict:
    await handlers.withdraw(pool, who, call_id, application_id)
    return {"id": application_id, "status": "withdrawn"}


@router.post("/venture-calls/{call_id}/applications/{application_id}/scores", summary="评审 / score")
async def score(call_id: UUID, application_id: UUID, body: ScoreIn, who: Judge, pool: DbPool) -> dict:
    return {"id": application_id, "total": round(await handlers.score(pool, who, call_id, application_id, body), 2)}


@router.post("/venture-calls/{call_id}/award", response_model=api.AwardView, summary="评定获资助项目 / award")
async def award(call_id: UUID, who: Organizer, pool: DbPool):
    return await handlers.award(pool, who, call_id)
