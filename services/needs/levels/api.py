"""HTTP routes of the service levels per area. Every route checks role × jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from contracts.api import needs as api
from contracts.values import AreaCode
from kit.app import DbPool
from kit.auth import Principal, Role, listing_area, require, require_jurisdiction
from services.needs.api import AREA, READERS, level_defaults
from services.needs.levels import handlers

router = APIRouter(tags=["需求库 needs"])

Reader = Annotated[Principal, Depends(require(*READERS))]
CivilAffairs = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]


# --- service levels per area -------------------------------------------------------------------------


@router.get(
    "/needs/service-levels",
    response_model=api.ServiceLevelsView,
    summary="服务时限（本辖区生效值及来源）/ the service levels in force in an area, and where each comes from",
)
async def get_service_levels(who: Reader, pool: DbPool, area: str | None = AREA) -> api.ServiceLevelsView:
    return await handlers.service_levels(pool, level_defaults(), listing_area(who, area))


@router.get(
    "/needs/service-levels/history",
    response_model=list[api.ServiceLevelChange],
    summary="服务时限调整记录 / who changed the service levels of an area and those inside it",
)
async def service_level_history(
    who: Reader, pool: DbPool, area: str | None = AREA, limit: int = Query(default=50, ge=1, le=500)
) -> list[api.ServiceLevelChange]:
    return await handlers.service_level_history(pool, listing_area(who, area), limit)


@router.put(
    "/needs/service-levels/{area_code}",
    response_model=api.ServiceLevelsView,
    summary="设置辖区服务时限（审计）/ set an area's service levels (audited)",
)
async def set_service_levels(
    area_code: Annotated[AreaCode, Path(description="省、市、县、街道（乡镇）或村（社区）代码")],
    body: api.ServiceLevelsIn,
    who: CivilAffairs,
    pool: DbPool,
) -> api.ServiceLevelsView:
    require_jurisdiction(who, area_code, hide=False)
    return await handlers.set_service_levels(pool, level_defaults(), who, area_code, body)
