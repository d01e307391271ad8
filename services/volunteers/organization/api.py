"""HTTP routes of the organization of volunteer service."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import volunteers as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.volunteers.organization import config, handlers

router = APIRouter(tags=["志愿服务组织 organization"])
ORGANIZERS = (Role.SOCIAL_WORKER, Role.CIVIL_AFFAIRS)
READERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)
# the supervisor may sign in as a social worker or with their own volunteer token (sub = volunteer_ref)
SUPERVISORS = (Role.SOCIAL_WORKER, Role.VOLUNTEER)
AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / area code, defaults to your area")
Organizer = Annotated[Principal, Depends(require(*ORGANIZERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
Supervisor = Annotated[Principal, Depends(require(*SUPERVISORS))]
SocialWorker = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER))]


# --- facilities and stations ----------------------------------------------------------------


@router.post(
    "/facilities",
    status_code=201,
    response_model=api.Created,
    summary="登记社区综合服务设施 / register a community service facility",
)
async def create_facility(body: api.FacilityIn, who: Organizer, pool: DbPool) -> api.Created:
    return api.Created(id=await handlers.create_facility(pool, who, body))


@router.get("/facilities", response_model=list[api.FacilityView], summary="社区综合服务设施 / facilities")
async def list_facilities(who: Reader, pool: DbPool, area: str | None = AREA) -> list[api.FacilityView]:
    return await handlers.facilities(pool, who, area)


@router.post(
    "/stations",
    status_code=201,
    response_model=api.Created,
    summary="设立志愿服务站点 / open a volunteer service station",
)
async def create_station(body: api.StationIn, who: Organizer, pool: DbPool) -> api.Created:
    return api.Created(id=await handlers.create_station(pool, who, body))


@router.get("/stations", response_model=list[api.StationView], summary="志愿服务站点 / stations")
async def list_stations(who: Reader, pool: DbPool, area: str | None = AREA) -> list[api.StationView]:
    return await handlers.stations(pool, who, area)


# --- teams ----------------------------------------------------------------------------------


@router.post("/teams", status_code=201, response_model=api.Created, summary="组建志愿服务队 / form a team")
async def create_team(body: api.TeamIn, who: Organizer, pool: DbPool) -> api.Created:
    return api.Created(id=await handlers.create_team(pool, who, body))


@router.get("/teams/{team_id}", response_model=api.TeamView, summary="志愿服务队 / a team")
async def get_team(team_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> api.TeamView:
    return await handlers.team_view(pool, keyring, who, team_id)


@router.post("/teams/{team_id}/members", summary="加入队员 / add members")
async def add_members(team_id: UUID, body: api.MembersIn, who: Organizer, pool: DbPool) -> dict:
    return {"added": await handlers.add_members(pool, who, team_id, body)}


@router.post(
    "/teams/{team_id}/trainings",
    status_code=201,
    response_model=api.Created,
    summary="社工培训志愿者 / record a training",
)
async def record_training(team_id: UUID, body: api.TrainingIn, who: SocialWorker, pool: DbPool) -> api.Created:
    return api.Created(id=await handlers.record_training(pool, who, team_id, body))


@router.get("/teams/{team_id}/trainings", response_model=list[api.TrainingView], summary="培训记录 / trainings")
async def list_trainings(team_id: UUID, who: Reader, pool: DbPool) -> list[api.TrainingView]:
    return await handlers.trainings(pool, who, team_id)


@router.post(
    "/teams/{team_id}/supervisions",
    status_code=201,
    response_model=api.Created,
    summary="督导社工记录督导 / the supervising social worker records supervision",
)
async def record_supervision(team_id: UUID, body: api.SupervisionIn, who: Supervisor, pool: DbPool) -> api.Created:
    return api.Created(id=await handlers.record_supervision(pool, who, team_id, body))


# --- statistics -------------------------------------------------------------------------------


@router.get("/volunteers/stats", response_model=api.VolunteerStats, summary="志愿服务统计 / statistics of an area")
async def stats(who: Reader, pool: DbPool, area: str | None = AREA) -> api.VolunteerStats:
    return await handlers.volunteer_stats(pool, who, area, config.organization_settings())
