"""HTTP routes of the party service (党建引领): organizations, committees, members, units, major
matters. Every route checks role × jurisdiction; only a party secretary records a decision."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import party as api
from kit.app import DbPool, Keys
from kit.auth import PURPOSE, Principal, Role, listing_area, may_unmask, require
from services.party import handlers, store

router = APIRouter(tags=["党建引领 party"])
SECRETARY = Role.PARTY_SECRETARY
WORKERS = (SECRETARY, Role.SOCIAL_WORKER)
READERS = (*WORKERS, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.AUDITOR)
Secretary = Annotated[Principal, Depends(require(SECRETARY))]
SecretaryOrCivilAffairs = Annotated[Principal, Depends(require(SECRETARY, Role.CIVIL_AFFAIRS))]
Worker = Annotated[Principal, Depends(require(*WORKERS))]
WorkerOrGridWorker = Annotated[Principal, Depends(require(*WORKERS, Role.GRID_WORKER))]
Reader = Annotated[Principal, Depends(require(*READERS))]
AREA = Query(default=None, description="区划代码，默认为本人辖区 / area code, defaults to your jurisdiction")


# --- organizations ------------------------------------------------------------------------------------


@router.post(
    "/party-organizations",
    status_code=201,
    response_model=api.Created,
    summary="登记党组织 / register a party organization",
)
async def create_organization(body: api.OrganizationIn, who: SecretaryOrCivilAffairs, pool: DbPool):
    return api.Created(id=await handlers.create_organization(pool, who, body))


@router.get("/party-organizations", response_model=list[api.OrganizationView], summary="党组织 / party organizations")
async def list_organizations(who: Reader, pool: DbPool, keyring: Keys, area: str | None = AREA):
    rows = await store.list_organizations(pool, listing_area(who, area))
    return [await handlers.organization_view(pool, keyring, who, r["id"]) for r in rows]


@router.get(
    "/party-organizations/{org_id}", response_model=api.OrganizationView, summary="党组织及其委员 / an organization"
)
async def get_organization(org_id: UUID, who: Reader, pool: DbPool, keyring: Keys):
    return await handlers.organization_view(pool, keyring, who, org_id)


@router.post(
    "/party-organizations/{org_id}/committee",
    status_code=201,
    response_model=api.Created,
    summary="增补委员（含兼职委员）/ seat a committee member",
)
async def add_seat(org_id: UUID, body: api.SeatIn, who: Secretary, pool: DbPool):
    return api.Created(id=await handlers.add_seat(pool, who, org_id, body))


@router.delete("/party-organizations/{org_id}/committee/{seat_id}", status_code=204, summary="委员离任 / end a seat")
async def end_seat(org_id: UUID, seat_id: UUID, who: Secretary, pool: DbPool) -> None:
    await handlers.end_seat(pool, who, org_id, seat_id)


# --- members and units ------------------------------------------------------------------------------------


@router.post(
    "/party-members", status_code=201, response_model=api.MemberCreated, summary="党员到社区报到 / register a member"
)
async def register_member(body: api.MemberIn, who: Worker, pool: DbPool, keyring: Keys):
    return await handlers.register_member(pool, keyring, who, body)


@router.get(
    "/party-members", response_model=list[api.MemberView], summary="报到党员（脱敏）/ registered members, masked"
)
async def list_members(
    who: Reader,
    pool: DbPool,
    keyring: Keys,
    area: str | None = AREA,
    skill: str | None = Query(default=None, max_length=30),
):
    rows = await store.list_members(pool, listing_area(who, area), skill)
    return [handlers.member_view(keyring, r, unmasked=False) for r in rows]


@router.get("/party-members/{member_id}", response_model=api.MemberView, summary="党员信息 / a member")
async def get_member(member_id: UUID, who: Reader, pool: DbPool, keyring: Keys, purpose: str | None = PURPOSE):
    may_unmask(who, purpose, (SECRETARY,))
    return await handlers.read_member(pool, keyring, who, member_id, purpose)


@router.post(
    "/responsible-units", status_code=201, response_model=api.Created, summary="登记责任单位 / register a unit"
)
async def create_unit(body: api.UnitIn, who: WorkerOrGridWorker, pool: DbPool):
    return api.Created(id=await handlers.create_unit(pool, who, body))


@router.get("/responsible-units", response_model=list[api.UnitView], summary="责任单位 / responsible units")
async def list_units(who: Reader, pool: DbPool, area: str | None = AREA):
    return [api.UnitView.model_validate(dict(r)) for r in await store.list_units(pool, listing_area(who, area))]


# --- major matters -------------------------------------------------------------------------------------


@router.post("/matters", status_code=201, response_model=api.Created, summary="提交重大事项 / submit a major matter")
async def submit_matter(body: api.MatterIn, who: Worker, pool: DbPool):
    return api.Created(id=await handlers.submit_matter(pool, who, body))


@router.get("/matters", response_model=list[api.MatterView], summary="重大事项 / major matters")
async def list_matters(
    who: Reader, pool: DbPool, area: str | None = AREA, status: Literal["pending", "decided"] | None = None
):
    return await handlers.list_matters(pool, listing_area(who, area), status)


@router.get("/matters/{matter_id}", response_model=api.MatterView, summary="重大事项及决定 / a matter and its decision")
async def get_matter(matter_id: UUID, who: Reader, pool: DbPool):
    return await handlers.matter_view(pool, who, matter_id)


@router.get(
    "/matters/{matter_id}/committee",
    response_model=api.DecidingCommittee,
    summary="表决的党组织委员会及法定人数 / who decides the matter, and the quorum and majority",
)
async def deciding_committee(matter_id: UUID, who: Reader, pool: DbPool, keyring: Keys):
    return await handlers.deciding_committee(pool, keyring, who, matter_id)


@router.post("/matters/{matter_id}/decision", summary="记录党组织会议决定 / record the committee's decision")
async def decide(matter_id: UUID, body: api.DecisionIn, who: Secretary, pool: DbPool):
    await handlers.decide(pool, who, matter_id, body)
    return await handlers.matter_view(pool, who, matter_id)
