"""HTTP routes of the registry: organizations, service platforms, communities, the purchase list and
the coverage statistics. Every route checks role × jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from contracts.api import organizations as api
from contracts.values import MAX_OFFSET, USCC
from kit.app import DbPool
from kit.auth import Principal, Role, require
from kit.versions import IfMatch, etag, expected_version
from services.projects.config import projects_settings
from services.projects.registry import handlers

router = APIRouter(tags=["社会组织登记 registry"])
REGISTRAR = (Role.CIVIL_AFFAIRS,)  # the registering authority
READERS = (Role.CIVIL_AFFAIRS, Role.SOCIAL_WORKER, Role.PARTY_SECRETARY, Role.AUDITOR)
ORG_READERS = (*READERS, Role.ORG_ADMIN)  # an org_admin sees their own organization only
# the purchase list is read by whoever proposes or bids for projects under it
LIST_READERS = (*READERS, Role.GRID_WORKER, Role.CHARITY_ADMIN, Role.ORG_ADMIN)
Registrar = Annotated[Principal, Depends(require(*REGISTRAR))]
Reader = Annotated[Principal, Depends(require(*READERS))]
OrgReader = Annotated[Principal, Depends(require(*ORG_READERS))]
ListReader = Annotated[Principal, Depends(require(*LIST_READERS))]
AREA = Query(default=None, description="行政区划代码，默认为令牌辖区 / area code, defaults to your area")
UsccPath = Annotated[USCC, Path(description="统一社会信用代码")]
YearPath = Annotated[int, Path(ge=2000, le=2100)]


# --- organizations ---------------------------------------------------------------------------------------


@router.post(
    "/organizations",
    status_code=201,
    response_model=api.OrganizationView,
    summary="登记社会组织 / register a social organization",
)
async def register(body: api.OrganizationIn, who: Registrar, pool: DbPool) -> api.OrganizationView:
    return await handlers.register(pool, who, body)


@router.get("/organizations", response_model=list[api.OrganizationSummary], summary="社会组织 / organizations")
async def list_organizations(
    who: OrgReader,
    pool: DbPool,
    area: str | None = AREA,
    category: api.OrganizationCategory | None = None,
    hub: bool | None = None,
    status: api.OrganizationStatus | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> list[api.OrganizationSummary]:
    return await handlers.organizations(pool, who, area, category, hub, status, limit, offset)


@router.get(
    "/organizations/stats",
    response_model=api.OrganizationStats,
    summary="社会组织统计 / organizations of an area against the targets",
)
async def organization_stats(who: Reader, pool: DbPool, area: str | None = AREA) -> api.OrganizationStats:
    return await handlers.organization_stats(pool, who, area, projects_settings())


@router.get(
    "/organizations/{uscc:uscc}",
    response_model=api.OrganizationView,
    summary="社会组织及其评估等级 / an organization and its grades",
)
async def get_organization(uscc: UsccPath, who: OrgReader, pool: DbPool, response: Response) -> api.OrganizationView:
    view, version = await handlers.organization(pool, who, uscc)
    response.headers["ETag"] = etag(version)
    return view


@router.patch(
    "/organizations/{uscc:uscc}",
    response_model=api.OrganizationView,
    summary="变更登记信息或注销 / change the record, or deregister",
)
async def update_organization(
    uscc: UsccPath,
    body: api.OrganizationPatch,
    who: Registrar,
    pool: DbPool,
    response: Response,
    if_match: IfMatch = None,
) -> api.OrganizationView:
    view, version = await handlers.update(pool, who, uscc, body, expected_version(if_match))
    response.headers["ETag"] = etag(version)
    return view


# --- platforms -------------------------------------------------------------------------------------------------


@router.post(
    "/platforms",
    status_code=201,
    response_model=api.Created,
    summary="设立社工站、社会工作室或孵化基地 / open a service platform",
)
async def create_platform(body: api.PlatformIn, who: Registrar, pool: DbPool) -> api.Created:
    return await handlers.create_platform(pool, who, body)


@router.get("/platforms", response_model=list[api.PlatformView], summary="服务平台 / platforms of an area")
async def list_platforms(
    who: Reader, pool: DbPool, area: str | None = AREA, kind: api.PlatformKind | None = None
) -> list[api.PlatformView]:
    return await handlers.platforms(pool, who, area, kind)


@router.get(
    "/platforms/coverage",
    response_model=api.PlatformCoverage,
    summary="社工站覆盖率与社会工作室 / station coverage of townships, rooms per community",
)
async def platform_coverage(who: Reader, pool: DbPool, area: str | None = AREA) -> api.PlatformCoverage:
    return await handlers.platform_coverage(pool, who, area, projects_settings())


# --- communities ---------------------------------------------------------------------------------------------


@router.put(
    "/communities",
    response_model=api.CommunitiesSet,
    summary="登记辖区村（社区）名录 / the villages and communities of an area",
)
async def set_communities(body: api.CommunitiesIn, who: Registrar, pool: DbPool) -> api.CommunitiesSet:
    return await handlers.set_communities(pool, who, body)


@router.get("/communities", response_model=list[api.CommunityView], summary="村（社区）名录 / communities")
async def list_communities(who: Reader, pool: DbPool, area: str | None = AREA) -> list[api.CommunityView]:
    return await handlers.list_communities(pool, who, area)


# --- the purchase list ---------------------------------------------------------------------------------------


@router.put(
    "/purchase-list/{area}/{year}",
    response_model=api.PurchaseListView,
    summary="设定购买社区公共服务项目清单 / set an area's purchase list for a year",
)
async def put_purchase_list(
    area: str, year: YearPath, body: api.PurchaseListIn, who: Registrar, pool: DbPool
) -> api.PurchaseListView:
    return await handlers.put_purchase_list(pool, who, area, year, body)


@router.get(
    "/purchase-list/{area}/{year}",
    response_model=api.PurchaseListView,
    summary="适用于该区域的购买清单（含上级清单）/ the purchase list that applies to an area",
)
async def get_purchase_list(area: str, year: YearPath, who: ListReader, pool: DbPool) -> api.PurchaseListView:
    return await handlers.purchase_list(pool, who, area, year)
