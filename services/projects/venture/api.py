"""HTTP routes of 公益创投 and 项目大赛. Civil affairs and charity administrators run calls;
organizations apply through their administrators; workers of the area judge."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from contracts.api import venture as api
from contracts.api.projects import Created, ScoreIn
from kit.app import pool_of
from kit.auth import Principal, Role, listing_area, require
from services.projects.venture import handlers, store

router = APIRouter(tags=["公益创投 venture philanthropy"])
ORGANIZERS = (Role.CIVIL_AFFAIRS, Role.CHARITY_ADMIN)
JUDGES = (*ORGANIZERS, Role.SOCIAL_WORKER)
READERS = (*JUDGES, Role.ORG_ADMIN, Role.PARTY_SECRETARY, Role.AUDITOR)


@router.post("/venture-calls", status_code=201, response_model=Created, summary="发布公益创投 / 项目大赛 / open a call")
async def open_call(body: api.CallIn, request: Request, who: Principal = Depends(require(*ORGANIZERS))):
    return Created(id=await handlers.open_call(pool_of(request), who, body))


@router.get("/venture-calls", response_model=list[api.CallView], summary="公益创投 / calls")
async def list_calls(request: Request, area: str | None = Query(default=None), who: Principal = Depends(require(*READERS))):
    area = listing_area(who, area)
    return [await handlers.call_view(pool_of(request), who, c["id"]) for c in await store.list_calls(pool_of(request), area)]


@router.get("/venture-calls/{call_id}", response_model=api.CallView, summary="大赛详情 / a call")
async def get_call(call_id: UUID, request: Request, who: Principal = Depends(require(*READERS))):
    return await handlers.call_view(pool_of(request), who, call_id)


@router.post("/venture-calls/{call_id}/applications", status_code=201, response_model=Created, summary="申报 / apply")
async def apply(call_id: UUID, body: api.ApplicationIn, request: Request, who: Principal = Depends(require(Role.ORG_ADMIN))):
    return Created(id=await handlers.apply(pool_of(request), who, call_id, body))


@router.post("/venture-calls/{call_id}/applications/{application_id}/withdrawal", summary="撤回申报 / withdraw")
async def withdraw(call_id: UUID, application_id: UUID, request: Request,
                   who: Principal = Depends(require(Role.ORG_ADMIN))) -> dict:
    await handlers.withdraw(pool_of(request), who, call_id, application_id)
    return {"id": application_id, "status": "withdrawn"}


@router.post("/venture-calls/{call_id}/applications/{application_id}/scores", summary="评审 / score")
async def score(call_id: UUID, application_id: UUID, body: ScoreIn, request: Request,
                who: Principal = Depends(require(*JUDGES))) -> dict:
    return {"id": application_id, "total": round(await handlers.score(pool_of(request), who, call_id, application_id,
                                                                      body), 2)}


@router.post("/venture-calls/{call_id}/award", response_model=api.AwardView, summary="评定获资助项目 / award")
async def award(call_id: UUID, request: Request, who: Principal = Depends(require(*ORGANIZERS))):
    return await handlers.award(pool_of(request), who, call_id)
