"""HTTP routes of the resident registry, surveys and visits. Every route checks role × jurisdiction."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from contracts.api import needs as api
from kit.app import DbPool, Keys
from kit.auth import PURPOSE, Principal, Role, listing_area, may_unmask, require, require_jurisdiction
from services.needs.api import UNMASKERS, W, level_defaults, taxonomy_of
from services.needs.residents import handlers

router = APIRouter(tags=["需求库 needs"])

Worker = Annotated[Principal, Depends(require(*W))]
SocialWorker = Annotated[Principal, Depends(require(Role.SOCIAL_WORKER))]
ResidentReader = Annotated[Principal, Depends(require(*W, Role.CIVIL_AFFAIRS, Role.AUDITOR))]


# --- residents, surveys, visits -------------------------------------------------------------------


@router.post(
    "/residents", status_code=201, response_model=api.ResidentCreated, summary="登记居民 / register a resident"
)
async def register_resident(
    body: api.ResidentRegistrationIn, who: Worker, pool: DbPool, keyring: Keys
) -> api.ResidentCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    return await handlers.register_resident(pool, keyring, who, body)


@router.get("/residents/{resident_id}", response_model=api.ResidentView, summary="居民信息 / a resident")
async def get_resident(
    resident_id: UUID, who: ResidentReader, pool: DbPool, keyring: Keys, purpose: str | None = PURPOSE
) -> api.ResidentView:
    may_unmask(who, purpose, UNMASKERS)
    return await handlers.read_resident(pool, keyring, who, resident_id, purpose)


@router.post("/residents/{resident_id}/consents", status_code=201, summary="记录同意 / record a consent")
async def add_consent(resident_id: UUID, body: api.ConsentIn, who: Worker, pool: DbPool) -> dict:
    return {"id": await handlers.add_consent(pool, who, resident_id, body)}


@router.post("/surveys", status_code=201, response_model=api.SurveyCreated, summary="发起需求调研 / start a survey")
async def create_survey(body: api.SurveyIn, who: SocialWorker, pool: DbPool) -> api.SurveyCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    return api.SurveyCreated(id=await handlers.create_survey(pool, who, body))


@router.post(
    "/surveys/{survey_id}/visits",
    status_code=201,
    response_model=api.VisitRecorded,
    summary="记录入户走访 / record a household visit",
)
async def record_visit(
    survey_id: UUID, body: api.VisitIn, request: Request, who: Worker, pool: DbPool, keyring: Keys
) -> api.VisitRecorded:
    for i, found in enumerate(body.needs):
        await taxonomy_of(request).require(found.category, field=f"needs.{i}.category")
    return await handlers.record_visit(pool, keyring, level_defaults(), who, survey_id, body)


@router.get(
    "/proactive-visits",
    response_model=list[api.ProactiveVisit],
    summary="主动走访清单 / residents due for a proactive visit",
)
async def proactive_visits(
    who: Worker, pool: DbPool, keyring: Keys, area: str | None = None
) -> list[api.ProactiveVisit]:
    area = listing_area(who, area)
    return await handlers.proactive_list(pool, keyring, level_defaults(), area)
