"""HTTP routes of the volunteers service (志愿者 + 社工). Every route checks role × jurisdiction."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from contracts.api import volunteers as api
from contracts.api.needs import MatchingView
from contracts.areas import code_prefix
from contracts.values import MAX_OFFSET
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
from kit.problems import not_found
from services.volunteers import handlers, store
from services.volunteers.timebank.handlers import credit_verified_hours

router = APIRouter(tags=["志愿服务 volunteers"])
W = (Role.SOCIAL_WORKER, Role.GRID_WORKER)
READERS = (*W, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)
VERIFIERS = (Role.SOCIAL_WORKER, Role.ORG_ADMIN)
AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / area code, defaults to your area")
Limit = Annotated[int, Query(ge=1, le=200, description="每页条数 / page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数 / rows to skip")]
Reader = Annotated[Principal, Depends(require(*READERS))]
Worker = Annotated[Principal, Depends(require(*W))]
SocialWorker = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER))]
Verifier = Annotated[Principal, Depends(require(*VERIFIERS))]
Organizer = Annotated[Principal, Depends(require(*W, Role.ORG_ADMIN))]
WorkerOrVolunteer = Annotated[Principal, Depends(require(*W, Role.VOLUNTEER))]
ReaderOrVolunteer = Annotated[Principal, Depends(require(*READERS, Role.VOLUNTEER))]
ReaderOrOrgAdmin = Annotated[Principal, Depends(require(*READERS, Role.ORG_ADMIN))]
# a task's or an hours record's participants: its organization's administrator, its volunteers
ReaderOrParticipant = Annotated[Principal, Depends(require(*READERS, Role.ORG_ADMIN, Role.VOLUNTEER))]


@router.get("/demands/{need_id}", response_model=MatchingView)
async def get_demand(need_id: UUID, who: Reader, pool: DbPool) -> MatchingView:
    row = await store.get_demand(pool, need_id)
    if row is None:
        raise not_found()  # not received yet, or outside the caller's area: the gateway says "pending"
    require_jurisdiction(who, row["area_code"])
    return MatchingView.model_validate(dict(row))


# --- registration ---------------------------------------------------------------------------------


@router.post("/volunteers", status_code=201, response_model=api.VolunteerCreated, summary="志愿者注册 / register")
async def register(body: api.VolunteerIn, who: Worker, pool: DbPool, keyring: Keys) -> api.VolunteerCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    return await handlers.register(pool, keyring, who, body)


@router.get(
    "/volunteers", response_model=api.VolunteerPage, summary="注册志愿者名册（脱敏）/ registered volunteers, masked"
)
async def list_volunteers(
    who: Worker,
    pool: DbPool,
    keyring: Keys,
    area: str | None = AREA,
    skill: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=50, description="姓名（包含）或手机号（结尾）/ a name or a phone tail"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> api.VolunteerPage:
    area = listing_area(who, area)
    return await handlers.volunteer_page(pool, keyring, area, skill, q, limit, offset)


@router.get("/volunteers/{volunteer_id:uuid}", response_model=api.VolunteerView, summary="志愿者信息 / a volunteer")
async def get_volunteer(
    volunteer_id: UUID, who: ReaderOrVolunteer, pool: DbPool, keyring: Keys, purpose: str | None = PURPOSE
) -> api.VolunteerView:
    may_unmask(who, purpose, W)
    return await handlers.read_volunteer(pool, keyring, who, volunteer_id, purpose)


# --- tasks and matching ---------------------------------------------------------------------------


@router.post("/tasks", status_code=201, response_model=api.TaskCreated, summary="发布志愿服务任务 / create a task")
async def create_task(body: api.TaskIn, who: Organizer, pool: DbPool):
    require_jurisdiction(who, body.area_code, hide=False)
    return api.TaskCreated(id=await handlers.create_task(pool, who, body))


@router.get("/tasks", response_model=list[api.TaskView], summary="任务列表 / tasks")
async def list_tasks(
    who: ReaderOrOrgAdmin, pool: DbPool, area: str | None = None, status: str | None = None
) -> list[api.TaskView]:
    area = listing_area(who, area)
    rows = await store.list_tasks(pool, code_prefix(area), status, handlers.organizer_of(who))
    return [handlers.task_view(r) for r in rows]


@router.get("/tasks/by-need/{need_id}", response_model=api.TaskView, summary="需求对应的任务 / the task of a need")
async def task_of_need(need_id: UUID, who: Reader, pool: DbPool) -> api.TaskView:
    row = visible(who, await store.task_of_need(pool, need_id))
    return handlers.task_view(row)


@router.get(
    "/tasks/by-need/{need_id}/service",
    response_model=api.TaskService,
    summary="需求的志愿服务：任务、志愿者与时长 / who serves a need's task, and their hours",
)
async def service_of_need(need_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> api.TaskService:
    return await handlers.task_service(pool, keyring, who, need_id)


@router.get("/tasks/{task_id}", response_model=api.TaskView, summary="任务详情 / a task")
async def get_task(task_id: UUID, who: ReaderOrParticipant, pool: DbPool) -> api.TaskView:
    return handlers.task_view(await handlers.visible_task(pool, who, task_id))


@router.get(
    "/tasks/{task_id}/candidates",
    response_model=list[api.CandidateView],
    summary="推荐志愿者（附评分说明）/ ranked candidates, explained",
)
async def candidates(
    task_id: UUID, who: Worker, pool: DbPool, keyring: Keys, limit: int = Query(default=10, ge=1, le=100)
) -> list[api.CandidateView]:
    return await handlers.ranked_candidates(pool, keyring, who, task_id, limit)


@router.post("/tasks/batch-assignment", response_model=api.BatchResult, summary="批量最优分配 / assign many tasks")
async def batch(body: api.BatchIn, who: SocialWorker, pool: DbPool):
    return await handlers.batch_assign(pool, who, body)


@router.post("/tasks/{task_id}/invitations", status_code=201, summary="邀请志愿者 / invite volunteers")
async def invite(task_id: UUID, body: api.InviteIn, who: Worker, pool: DbPool) -> dict:
    return {"invited": await handlers.invite(pool, who, task_id, body.volunteer_ids)}


@router.post("/tasks/{task_id}/invitations/{volunteer_id:uuid}/response", summary="接受或婉拒 / accept or decline")
async def respond(
    task_id: UUID, volunteer_id: UUID, body: api.ResponseIn, who: WorkerOrVolunteer, pool: DbPool
) -> dict:
    return {"status": await handlers.respond(pool, who, task_id, volunteer_id, body.accept)}


# --- hours ----------------------------------------------------------------------------------------


@router.post("/tasks/{task_id}/volunteers/{volunteer_id:uuid}/check-in", status_code=201, summary="签到 / check in")
async def check_in(task_id: UUID, volunteer_id: UUID, body: api.CheckIn, who: WorkerOrVolunteer, pool: DbPool) -> dict:
    return {"log_id": await handlers.check_in(pool, who, task_id, volunteer_id, body.at, body.code)}


@router.post(
    "/tasks/{task_id}/checkin-codes",
    status_code=201,
    response_model=api.CheckinCode,
    summary="生成一次性签到码（二维码）/ a one-time check-in code for the QR code",
)
async def checkin_code(task_id: UUID, who: Organizer, pool: DbPool):
    return await handlers.new_checkin_code(pool, who, task_id)


@router.post("/tasks/{task_id}/volunteers/{volunteer_id:uuid}/check-out", summary="签退 / check out")
async def check_out(task_id: UUID, volunteer_id: UUID, body: api.CheckIn, who: WorkerOrVolunteer, pool: DbPool) -> dict:
    return {"log_id": await handlers.check_out(pool, who, task_id, volunteer_id, body.at)}


@router.post("/tasks/{task_id}/hours", status_code=201, summary="录入/补录服务时长 / enter hours")
async def enter_hours(task_id: UUID, body: api.HoursEntryIn, who: Organizer, pool: DbPool) -> dict:
    return {"log_id": await handlers.enter_hours(pool, who, task_id, body)}


@router.get("/hours", response_model=api.HoursPage, summary="待核实（或其他状态）的服务时长 / hours records to verify")
async def list_hours(
    who: Verifier,
    pool: DbPool,
    keyring: Keys,
    area: str | None = AREA,
    status: api.LogStatus = "logged",
    limit: Limit = 50,
    offset: Offset = 0,
) -> api.HoursPage:
    area = listing_area(who, area)
    return await handlers.hours_page(pool, keyring, who, area, status, limit, offset)


@router.get("/hours/{log_id}", response_model=api.LogView, summary="服务时长记录 / an hours record")
async def get_log(log_id: UUID, who: ReaderOrParticipant, pool: DbPool) -> api.LogView:
    return handlers.log_view(await handlers.visible_log(pool, who, log_id))


@router.post("/hours/{log_id}/verification", summary="核实或驳回时长 / verify or reject hours")
async def verify(log_id: UUID, body: api.VerificationIn, request: Request, who: Verifier, pool: DbPool) -> dict:
    settings = request.app.state.timebank_settings
    status = await handlers.verify(
        pool, who, log_id, body, credit=lambda conn, **kw: credit_verified_hours(conn, rate=settings.rate, **kw)
    )
    return {"id": log_id, "status": status}
