"""HTTP routes of the call for bids: workers publish, score and award; organizations bid and
withdraw through their administrators. Each answers with the project as the library shows it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from contracts.api import projects as api
from kit.app import DbPool
from kit.auth import Principal, Role, require
from services.projects.api import WORKERS, project_view
from services.projects.procurement import handlers

router = APIRouter(tags=["项目库 projects"])
Worker = Annotated[Principal, Depends(require(*WORKERS))]
OrgAdmin = Annotated[Principal, Depends(require(Role.ORG_ADMIN))]


# --- procurement --------------------------------------------------------------------------------------------


@router.post("/projects/{project_id:uuid}/publication", summary="发布招标公告 / open the call for bids")
async def publish(project_id: UUID, body: api.PublicationIn, who: Worker, pool: DbPool):
    await handlers.publish(pool, who, project_id, body)
    return await project_view(project_id, pool, who)


@router.post("/projects/{project_id:uuid}/bids", status_code=201, response_model=api.Created, summary="投标 / bid")
async def bid(project_id: UUID, body: api.BidIn, who: OrgAdmin, pool: DbPool):
    return api.Created(id=await handlers.submit_bid(pool, who, project_id, body))


@router.post("/bids/{bid_id}/withdrawal", summary="撤回投标 / withdraw a bid")
async def withdraw(bid_id: UUID, who: OrgAdmin, pool: DbPool) -> dict:
    await handlers.withdraw_bid(pool, who, bid_id)
    return {"id": bid_id, "status": "withdrawn"}


@router.post("/bids/{bid_id}/scores", summary="评审打分 / score a bid")
async def score(bid_id: UUID, body: api.ScoreIn, who: Worker, pool: DbPool) -> dict:
    return {"id": bid_id, "total": round(await handlers.score_bid(pool, who, bid_id, body), 2)}


@router.post("/projects/{project_id:uuid}/award", summary="确定承接组织 / award the project")
async def award(project_id: UUID, who: Worker, pool: DbPool):
    await handlers.award(pool, who, project_id)
    return await project_view(project_id, pool, who)
