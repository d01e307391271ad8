"""Use cases of the registry: civil affairs registers social organizations, service platforms, the
communities of its area and the purchase lists; workers read them and the coverage statistics. An
organization's administrators (org_admin) read their own organization and nothing else of the registry."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.api import organizations as api
from contracts.areas import code_prefix, contains, lookup
from contracts.envelope import new_id
from contracts.events.projects import OrganizationRegistered
from kit import months
from kit.auth import Principal, Role, listing_area, require_jurisdiction
from kit.clock import now
from kit.problems import Problem, conflict, invalid, not_found
from kit.uow import UnitOfWork
from kit.versions import check_version
from services.projects.config import ProjectsSettings
from services.projects.registry import domain, store

CATEGORIES = [c.value for c in api.OrganizationCategory]
LEGAL_TYPES = [t.value for t in api.LegalType]
# who sees an organization's administrator accounts
SEES_ADMINS = (Role.CIVIL_AFFAIRS, Role.ORG_ADMIN)


def _known_area(area: str) -> str:
    if lookup(area) is None:
        raise invalid("area", f"未知的行政区划代码 / unknown area code: {area}")
    return area


# --- organizations -----------------------------------------------------------------------------------------


def _may_see(who: Principal, org) -> bool:
    """An organization's administrator sees their own organization; workers those of their area."""
    if who.role == Role.ORG_ADMIN:
        return who.sub in org["admin_accounts"]
    return who.covers(org["area_code"])


def _summary(org) -> dict:
    incubation = (
        api.IncubationView(
            base_id=org["incubation_base"], since=org["incubated_since"], graduated_on=org["graduated_on"]
        )
        if org["incubation_base"]
        else None
    )
    fields = set(api.OrganizationSummary.model_fields) - {"incubation"}
    return {**{k: org[k] for k in fields}, "incubation": incubation}


def _view(who: Principal, org, grades) -> api.OrganizationView:
    return api.OrganizationView(
        **_summary(org),
        grades=[api.GradeView(**dict(g)) for g in grades],
        admin_accounts=list(org["admin_accounts"]) if who.role in SEES_ADMINS else None,
    )


def _announce(uow: UnitOfWork, org) -> None:
    """OrganizationRegistered carries the organization's current state, on registration and on every change."""
    event = OrganizationRegistered(
        organization_uscc=org["uscc"],
        name=org["name"],
        legal_type=org["legal_type"],
        category=org["category"],
        area_code=org["area_code"],
        hub=org["hub"],
        social_work_agency=org["social_work_agency"],
        charity_certified=org["charity_certified"],
        full_time_staff=org["full_time_staff"],
        registered_at=org["registered_at"],
    )
    uow.emit(event, subject=org["uscc"], area_code=org["area_code"])


async def _check_base(conn, base_id: UUID) -> None:
    base = await store.get_platform(conn, base_id)
    if base is None or base["kind"] != "incubation_base":
        raise invalid("incubation.base_id", "未知的孵化基地 / no such incubation base")


def _incubation(body: api.IncubationIn | None) -> dict:
    return {
        "incubation_base": body.base_id if body else None,
        "incubated_since": body.since if body else None,
        "graduated_on": body.graduated_on if body else None,
    }


async def register(pool: asyncpg.Pool, who: Principal, body: api.OrganizationIn) -> api.OrganizationView:
    require_jurisdiction(who, body.area_code, hide=False)
    at = now()
    async with UnitOfWork(pool) as uow:
        if body.incubation:
            await _check_base(uow.conn, body.incubation.base_id)
        org = await store.insert_organization(
            uow.conn,
            {
                **body.model_dump(exclude={"incubation"}),
                **_incubation(body.incubation),
                "category": body.category.value,
                "status": "registered",
                "registered_by": who.sub,
                "registered_at": at,
                "updated_at": at,
            },
        )
        if org is None:
            message = f"该统一社会信用代码已登记 / this USCC is registered already: {body.uscc}"
            raise Problem(
                409,
                "已存在 / Already exists",
                message,
                rule="uscc_unique",
                errors=[{"field": "uscc", "message": message, "type": "duplicate"}],
            )
        _announce(uow, org)
    return _view(who, org, [])


async def update(
    pool: asyncpg.Pool, who: Principal, uscc: str, body: api.OrganizationPatch, expected_version: int | None = None
) -> tuple[api.OrganizationView, int]:
    """Apply a change; refused (412) when `expected_version` is given and the record has moved on since."""
    changes = {f: getattr(body, f) for f in body.model_fields_set - {"incubation"}}
    if "incubation" in body.model_fields_set:
        changes |= _incubation(body.incubation)
    async with UnitOfWork(pool) as uow:
        org = await store.get_organization(uow.conn, uscc, for_update=True)
        if org is None or not who.covers(org["area_code"]):
            raise not_found()
        check_version(org["version"], expected_version)
        try:
            domain.check_changeable(org["status"])
        except domain.Refused as refused:
            raise conflict(str(refused), rule=refused.rule, state=org["status"], action="update") from None
        if body.incubation:
            await _check_base(uow.conn, body.incubation.base_id)
        org = await store.update_organization(uow.conn, uscc, now(), **changes)
        _announce(uow, org)
        grades = await store.grades_of(uow.conn, uscc)
    return _view(who, org, grades), org["version"]


async def organization(pool: asyncpg.Pool, who: Principal, uscc: str) -> tuple[api.OrganizationView, int]:
    """The organization as the caller may see it, and its version (the ETag of its answer)."""
    org = await store.get_organization(pool, uscc)
    if org is None or not _may_see(who, org):
        raise not_found()
    return _view(who, org, await store.grades_of(pool, uscc)), org["version"]


async def organizations(
    pool: asyncpg.Pool,
    who: Principal,
    area: str | None,
    category: str | None,
    hub: bool | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[api.OrganizationSummary]:
    if who.role == Role.ORG_ADMIN:  # their own organizations, wherever the filter points
        prefix, admin = code_prefix(_known_area(area)) if area else "", who.sub
    else:
        prefix, admin = code_prefix(listing_area(who, area)), None
    rows = await store.list_organizations(
        pool, prefix, category=category, hub=hub, status=status, admin=admin, limit=limit, offset=offset
    )
    return [api.OrganizationSummary(**_summary(r)) for r in rows]


# --- platforms -------------------------------------------------------------------------------------------------


async def create_platform(pool: asyncpg.Pool, who: Principal, body: api.PlatformIn) -> api.Created:
    require_jurisdiction(who, body.area_code, hide=False)
    platform_id = new_id()
    async with UnitOfWork(pool) as uow:
        if body.operator_uscc:
            operator = await store.get_organization(uow.conn, body.operator_uscc)
            if operator is None or operator["status"] != "registered":
                raise invalid(
                    "operator_uscc", "运营方须为已登记的社会组织 / the operator must be a registered organization"
                )
        added = await store.insert_platform(
            uow.conn, {**body.model_dump(), "id": platform_id, "created_by": who.sub, "created_at": now()}
        )
        if not added:
            message = "该乡镇（街道）已有社会工作服务站 / the township has its station already"
            raise Problem(
                409,
                "已存在 / Already exists",
                message,
                rule="one_station_per_township",
                errors=[{"field": "area_code", "message": message, "type": "duplicate"}],
            )
    return api.Created(id=platform_id)


async def platforms(pool: asyncpg.Pool, who: Principal, area: str | None, kind: str | None) -> list[api.PlatformView]:
    rows = await store.list_platforms(pool, code_prefix(listing_area(who, area)), kind)
    return [api.PlatformView(**{k: r[k] for k in api.PlatformView.model_fields}) for r in rows]


# --- communities ---------------------------------------------------------------------------------------------


async def set_communities(pool: asyncpg.Pool, who: Principal, body: api.CommunitiesIn) -> api.CommunitiesSet:
    require_jurisdiction(who, body.area_code, hide=False)
    rows = [(code, lookup(code).level == "community") for code in body.codes]
    async with UnitOfWork(pool) as uow:
        await store.replace_communities(uow.conn, code_prefix(body.area_code), rows, who.sub, now())
    return api.CommunitiesSet(area_code=body.area_code, communities=len(rows), urban=sum(u for _, u in rows))


async def list_communities(pool: asyncpg.Pool, who: Principal, area: str | None) -> list[api.CommunityView]:
    rows = await store.communities(pool, code_prefix(listing_area(who, area)))
    return [
        api.CommunityView(area_code=r["area_code"], name=domain.area_name(r["area_code"]), urban=r["urban"])
        for r in rows
    ]


# --- statistics ---------------------------------------------------------------------------------------------


async def organization_stats(
    pool: asyncpg.Pool, who: Principal, area: str | None, settings: ProjectsSettings
) -> api.OrganizationStats:
    """Registered organizations only; one snapshot for all figures."""
    area = listing_area(who, area)
    prefix = code_prefix(area)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        counts = await store.organization_counts(conn, prefix)
        by_community = await store.organizations_by_community(conn, prefix)
        hubs = await store.hub_areas(conn, area, prefix)
        urban = [r["area_code"] for r in await store.communities(conn, prefix, urban_only=True)]
        changes = await store.registrations_by_month(conn, prefix, months.ZONE)
    staff = sum(r["staff"] for r in counts)
    return api.OrganizationStats(
        area=area,
        organizations=sum(r["n"] for r in counts),
        by_category=domain.tally(domain.count_by(counts, "category"), CATEGORIES),
        by_legal_type=domain.tally(domain.count_by(counts, "legal_type"), LEGAL_TYPES),
        full_time_staff=domain.staff_target(staff, settings.full_time_staff_target),
        by_community=domain.per_community(by_community),
        hub_coverage=domain.hub_coverage(urban, hubs, settings.hub_coverage_target),
        trend=[api.TrendPoint(month=m, value=n) for m, n in months.running_totals(months.months_to(now()), changes)],
    )


async def platform_coverage(
    pool: asyncpg.Pool, who: Principal, area: str | None, settings: ProjectsSettings
) -> api.PlatformCoverage:
    area = listing_area(who, area)
    prefix = code_prefix(area)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        stations = await store.platform_counts(conn, prefix, "station")
        rooms = await store.platform_counts(conn, prefix, "room")
        registered = [r["area_code"] for r in await store.communities(conn, prefix)]
        openings = [(r["area_code"], r["opened_on"]) for r in await store.station_openings(conn, prefix)]
    townships = domain.townships_under(area)
    return api.PlatformCoverage(
        area=area,
        stations=domain.station_coverage(townships, stations, settings.station_coverage_target),
        rooms=domain.room_coverage(rooms, registered),
        trend=domain.station_trend(townships, openings, months.months_to(now())),
    )


# --- the purchase list ----------------------------------------------------------------------------------------


async def put_purchase_list(
    pool: asyncpg.Pool, who: Principal, area: str, year: int, body: api.PurchaseListIn
) -> api.PurchaseListView:
    require_jurisdiction(who, _known_area(area), hide=False)
    async with UnitOfWork(pool) as uow:
        await store.replace_purchase_list(uow.conn, area, year, [i.model_dump() for i in body.items], who.sub, now())
    return await purchase_list(pool, who, area, year)


async def purchase_list(pool: asyncpg.Pool, who: Principal, area: str, year: int) -> api.PurchaseListView:
    """Readable inside the caller's area and for every area above it, whose list applies to them."""
    _known_area(area)
    if not (who.covers(area) or contains(area, who.area)):
        raise not_found()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        own = await store.purchase_list(conn, area, year)
        lists = await store.purchase_items_along(conn, area, year)
    return api.PurchaseListView(
        area_code=area,
        year=year,
        items=domain.applicable_items(area, lists),
        updated_at=own["updated_at"] if own else None,
        updated_by=own["updated_by"] if own else None,
    )
