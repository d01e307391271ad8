"""HTTP routes of the project library (procurement/ and delivery/ have their own). Every route checks role × jurisdiction;
organizations act through their administrators (role org_admin, listed on the organization)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import projects as api
from kit.app import DbPool
from kit.auth import Principal, Role, listing_area, require
from kit.clock import now
from services.projects import domain, handlers, store
from services.projects.config import projects_settings
from services.projects.delivery import handlers as delivery
from services.projects.registry import store as registry

router = APIRouter(tags=["项目库 projects"])
WORKERS = (Role.SOCIAL_WORKER, Role.CIVIL_AFFAIRS)
READERS = (*WORKERS, Role.GRID_WORKER, Role.PARTY_SECRETARY, Role.CHARITY_ADMIN, Role.AUDITOR, Role.ORG_ADMIN)
# the library's figures are for the workers and overseers, not for the organizations that bid
STATS_READERS = tuple(r for r in READERS if r != Role.ORG_ADMIN)
Worker = Annotated[Principal, Depends(require(*WORKERS))]
DemandReader = Annotated[Principal, Depends(require(*WORKERS, Role.GRID_WORKER, Role.PARTY_SECRETARY))]
Reader = Annotated[Principal, Depends(require(*READERS))]
StatsReader = Annotated[Principal, Depends(require(*STATS_READERS))]
Status = domain.ProjectStatus


@router.post("/projects", status_code=201, response_model=api.Created, summary="项目入库 / propose a project")
async def propose(body: api.ProjectIn, who: Worker, pool: DbPool):
    return api.Created(id=await handlers.propose(pool, who, body))


@router.put("/projects/{project_id:uuid}", summary="修改草稿 / rewrite a draft")
async def revise(project_id: UUID, body: api.ProjectIn, who: Worker, pool: DbPool):
    await handlers.revise(pool, who, project_id, body)
    return await project_view(project_id, pool, who)


@router.post("/projects/{project_id:uuid}/submission", summary="提交（需经党组织研究的先送审）/ submit")
async def submit(project_id: UUID, who: Worker, pool: DbPool) -> dict:
    return {"id": project_id, "status": await handlers.submit(pool, who, project_id)}


@router.post("/projects/{project_id:uuid}/funding", summary="更换被拒的资金来源 / new funding after a refusal")
async def refund_lines(project_id: UUID, body: api.FundingIn, who: Worker, pool: DbPool):
    await handlers.refund_lines(pool, who, project_id, body)
    return await project_view(project_id, pool, who)


@router.get("/projects/demands", response_model=list[api.DemandView], summary="项目需求池 / what waits for a project")
async def demands(who: DemandReader, pool: DbPool, area: str | None = Query(default=None)):
    area = listing_area(who, area)
    return [api.DemandView.model_validate(dict(r)) for r in await store.open_demands(pool, area)]


@router.get("/projects", response_model=list[api.ProjectView], summary="项目库 / the project library")
async def list_projects(
    who: Reader,
    pool: DbPool,
    area: str | None = Query(default=None),
    status: Status | None = None,
    need_id: UUID | None = Query(default=None, description="只列出服务该需求的项目 / projects serving this need"),
    organization_uscc: str | None = Query(
        default=None, max_length=18, description="只列出该组织承接的项目 / awarded to it"
    ),
):
    area = listing_area(who, area)
    rows = await store.list_projects(pool, area, status, need_id, organization_uscc)
    if who.role == Role.ORG_ADMIN:
        rows = [r for r in rows if r["status"] in handlers.LATER_STAGES]
    return [_view(r) for r in rows]


@router.get("/projects/stats", response_model=api.ProjectStats, summary="项目统计 / the project library of an area")
async def project_stats(
    who: StatsReader,
    pool: DbPool,
    area: str | None = Query(default=None, description="默认为令牌辖区 / defaults to your area"),
) -> api.ProjectStats:
    area = listing_area(who, area)
    row = await store.project_stats(pool, area)
    return api.ProjectStats(
        area_code=area,
        by_status={s.value: row["by_status"].get(s.value, 0) for s in Status},
        budget_fen=row["budget_fen"],
        awarded_fen=row["awarded_fen"],
        by_grade={band.value: row["by_grade"].get(band.value, 0) for _, band in domain.GRADES},
        mean_score=round(row["mean_score"], 2) if row["mean_score"] is not None else None,
        organizations_delivering=row["organizations"],
    )


@router.get("/projects/{project_id:uuid}", response_model=api.ProjectView, summary="项目详情 / a project")
async def get_project(project_id: UUID, who: Reader, pool: DbPool):
    return await project_view(project_id, pool, who)


async def project_view(project_id: UUID, pool, who: Principal) -> api.ProjectView:
    project = await handlers.visible_project(pool, who, project_id)
    evaluation = await store.get_evaluation(pool, project_id)
    bids = await _disclosed_bids(pool, who, project)
    sealed = project["status"] == "published"  # scores stay with the panel until the award
    return _view(
        project,
        funding=[
            api.FundingView.model_validate(
                dict(f)
                | {
                    "source_label": domain.FundingSource(f["source"]).label,
                    "status_label": domain.FundingStatus(f["status"]).label,
                }
            )
            for f in await store.funding_of(pool, project_id)
            if f["status"] != "superseded"
        ],
        bids=[
            api.BidView(
                **{
                    k: b[k]
                    for k in ("id", "organization_uscc", "organization_name", "price_fen", "status", "submitted_at")
                },
                status_label=domain.BidStatus(b["status"]).label,
                score=None if sealed or b["score"] is None else round(b["score"], 2),
                scored_by=b["scored_by"],
            )
            for b in bids
        ],
        milestones=[api.MilestoneView.model_validate(dict(m)) for m in await store.milestones_of(pool, project_id)],
        volunteer_tasks=[api.TaskView.model_validate(dict(t)) for t in await store.tasks_of(pool, project_id)],
        awaiting_feedback=await delivery.awaiting_feedback(pool, project),
        evaluation=delivery.evaluation_view(evaluation) if evaluation else None,
    )


async def _disclosed_bids(pool, who: Principal, project) -> list:
    """Bids are sealed while the call runs: the panel sees them once it closes (开标), and until the
    award a bidding organization sees only its own — never a rival's name or price."""
    bids = await store.bids_with_scores(pool, project["id"])
    if project["status"] != "published":
        return bids
    if who.role == Role.ORG_ADMIN:
        return [b for b in bids if who.sub in await registry.org_admins(pool, b["organization_uscc"])]
    return bids if now() >= project["bid_deadline"] else []


def _view(row, **parts) -> api.ProjectView:
    fields = {k: row[k] for k in api.ProjectView.model_fields if k in row.keys()}
    reasons = domain.review_reasons(row["vital_interests"], row["budget_fen"], projects_settings().review_threshold_fen)
    return api.ProjectView(**fields, review_reasons=reasons, **parts)
