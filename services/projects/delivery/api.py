"""HTTP routes of delivery and evaluation: organizations report milestones, workers accept them,
civil affairs evaluates and nominates; the showcase is public."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from contracts.api import projects as api
from contracts.api.organizations import Grade
from contracts.areas import lookup
from kit.app import DbPool
from kit.auth import Principal, Role, require
from services.projects.api import WORKERS
from services.projects.delivery import handlers, store

router = APIRouter(tags=["项目库 projects"])
Worker = Annotated[Principal, Depends(require(*WORKERS))]
OrgAdmin = Annotated[Principal, Depends(require(Role.ORG_ADMIN))]
WorkerOrOrgAdmin = Annotated[Principal, Depends(require(*WORKERS, Role.ORG_ADMIN))]
CivilAffairs = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]


# --- delivery and evaluation --------------------------------------------------------------------------------


@router.post("/projects/{project_id:uuid}/milestones/{milestone_id}/report", summary="报告里程碑 / report a milestone")
async def report(
    project_id: UUID, milestone_id: UUID, body: api.MilestoneReportIn, who: OrgAdmin, pool: DbPool
) -> dict:
    await handlers.report_milestone(pool, who, project_id, milestone_id, body)
    return {"id": milestone_id, "status": "reported"}


@router.post(
    "/projects/{project_id:uuid}/milestones/{milestone_id}/acceptance", summary="验收里程碑 / accept a milestone"
)
async def accept(project_id: UUID, milestone_id: UUID, who: Worker, pool: DbPool) -> dict:
    status = await handlers.accept_milestone(pool, who, project_id, milestone_id)
    return {"id": milestone_id, "status": "accepted", "project_status": status}


@router.post(
    "/projects/{project_id:uuid}/volunteer-tasks",
    status_code=201,
    response_model=api.Created,
    summary="为项目招募志愿者 / ask for volunteers",
)
async def request_volunteers(project_id: UUID, body: api.VolunteerTaskIn, who: WorkerOrOrgAdmin, pool: DbPool):
    return api.Created(id=await handlers.request_volunteers(pool, who, project_id, body))


@router.post("/projects/{project_id:uuid}/evaluation", response_model=api.EvaluationView, summary="项目评估 / evaluate")
async def evaluate(project_id: UUID, body: api.EvaluationIn, who: CivilAffairs, pool: DbPool):
    return await handlers.evaluate(pool, who, project_id, body)


@router.post("/projects/{project_id:uuid}/nominations", status_code=201, summary="推荐典型案例 / 河北慈善奖 / nominate")
async def nominate(project_id: UUID, body: api.NominationIn, who: CivilAffairs, pool: DbPool) -> dict:
    await handlers.nominate(pool, who, project_id, body)
    return {"id": project_id, "kind": body.kind}


@router.get(
    "/public/showcase", response_model=list[api.ShowcaseItem], summary="优秀项目展示（公开）/ the public showcase"
)
async def showcase(pool: DbPool) -> list[api.ShowcaseItem]:
    return [
        api.ShowcaseItem(
            **{
                k: r[k]
                for k in (
                    "project_id",
                    "title",
                    "area_code",
                    "organization_uscc",
                    "year",
                    "score",
                    "resident_satisfaction",
                    "nominations",
                    "citation",
                )
            },
            area_name=(area.name if (area := lookup(r["area_code"])) else ""),
            grade_zh=Grade(r["grade"]).zh,
        )
        for r in await store.showcase(pool)
    ]
