"""HTTP routes of the organization of volunteer service. Mounted before the main volunteers router
so that /volunteers/stats is matched before /volunteers/{volunteer_id}."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from contracts.api import volunteers as api
from kit.app import pool_of
from kit.auth import Principal, Role, require
from services.volunteers.organization import service

router = APIRouter(tags=["志愿服务组织 organization"])
ORGANIZERS = (Role.SOCIAL_WORKER, Role.CIVIL_AFFAIRS)
READERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)
# the supervisor may sign in as a social worker or with their own volunteer token (sub = volunteer_ref)
SUPERVISORS = (Role.SOCIAL_WORKER, Role.VOLUNTEER)
AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / area code, defaults to your area")



# --- facilities and stations ----------------------------------------------------------------

@router.post("/facilities", status_code=201, response_model=api.Created,
             summary="登记社区综合服务设施 / register a community service facility")
async def create_facility(body: api.FacilityIn, request: Request,
                          who: Principal = Depends(require(*ORGANIZERS))) -> api.Created:
    return api.Created(id=await service.create_facility(pool_of(request), who, body))


@router.get("/facilities", response_model=list[api.FacilityView], summary="社区综合服务设施 / facilities")
async def list_facilities(request: Request, area: str | None = AREA,
                          who: Principal = Depends(require(*READERS))) -> list[api.FacilityView]:
    return await service.facilities(pool_of(request), who, area)


@router.post("/stations", status_code=201, response_model=api.Created,
             summary="设立志愿服务站点 / open a volunteer service station")
async def create_station(body: api.StationIn, request: Request,
                         who: Principal = Depends(require(*ORGANIZERS))) -> api.Created:
    return api.Created(id=await service.create_station(pool_of(request), who, body))


@router.get("/stations", response_model=list[api.StationView], summary="志愿服务站点 / stations")
async def list_stations(request: Request, area: str | None = AREA,
                        who: Principal = Depends(require(*READERS))) -> list[api.StationView]:
    return await service.stations(pool_of(request), who, area)


# --- teams ----------------------------------------------------------------------------------

@router.post("/teams", status_code=201, response_model=api.Created, summary="组建志愿服务队 / form a team")
async def create_team(body: api.TeamIn, request: Request,
                      who: Principal = Depends(require(*ORGANIZERS))) -> api.Created:
    return api.Created(id=await service.create_team(pool_of(request), who, body))


@router.get("/teams/{team_id}", response_model=api.TeamView, summary="志愿服务队 / a team")
async def get_team(team_id: UUID, request: Request, who: Principal = Depends(require(*READERS))) -> api.TeamView:
    return await service.team_view(pool_of(request), request.app.state.keyring, who, team_id)


@router.post("/teams/{team_id}/members", summary="加入队员 / add members")
async def add_members(team_id: UUID, body: api.MembersIn, request: Request,
                      who: Principal = Depends(require(*ORGANIZERS))) -> dict:
    return {"added": await service.add_members(pool_of(request), who, team_id, body)}


@router.post("/teams/{team_id}/trainings", status_code=201, response_model=api.Created,
             summary="社工培训志愿者 / record a training")
async def record_training(team_id: UUID, body: api.TrainingIn, request: Request,
                          who: Principal = Depends(require(Role.SOCIAL_WORKER))) -> api.Created:
    return api.Created(id=await service.record_training(pool_of(request), who, team_id, body))


@router.get("/teams/{team_id}/trainings", response_model=list[api.TrainingView], summary="培训记录 / trainings")
async def list_trainings(team_id: UUID, request: Request,
                         who: Principal = Depends(require(*READERS))) -> list[api.TrainingView]:
    return await service.trainings(pool_of(request), who, team_id)


@router.post("/teams/{team_id}/supervisions", status_code=201, response_model=api.Created,
             summary="督导社工记录督导 / the supervising social worker records supervision")
async def record_supervision(team_id: UUID, body: api.SupervisionIn, request: Request,
                             who: Principal = Depends(require(*SUPERVISORS))) -> api.Created:
    return api.Created(id=await service.record_supervision(pool_of(request), who, team_id, body))


# --- statistics -------------------------------------------------------------------------------

@router.get("/volunteers/stats", response_model=api.VolunteerStats, summary="志愿服务统计 / statistics of an area")
async def stats(request: Request, area: str | None = AREA,
                who: Principal = Depends(require(*READERS))) -> api.VolunteerStats:
    return await service.volunteer_stats(pool_of(request), who, area, service.organization_settings())
