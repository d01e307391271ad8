"""Use cases of the organization of volunteer service: facilities and their stations (the policy
wants ≥ 80% of community service facilities to have one), teams led by a social worker, the
training and supervision social workers give them (社工引领志愿者), and per-area statistics."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from contracts.api import volunteers as api
from contracts.areas import code_prefix
from contracts.envelope import new_id
from contracts.values import mask_name
from kit import months as calendar
from kit.auth import Principal, Role, listing_area, require_jurisdiction, visible
from kit.clock import now
from kit.crypto import Keyring
from kit.months import LOCAL, ZONE, last_months
from kit.problems import Problem, conflict, invalid, not_found
from kit.uow import UnitOfWork
from services.volunteers.handlers import pii_context
from services.volunteers.organization import store
from services.volunteers.organization.config import OrganizationSettings
from services.volunteers.organization.domain import (
    ACTIVE_DAYS,
    SW_LEVELS,
    coverage,
    coverage_trend,
    cumulative_trend,
    hours_by_month,
    ratio,
)

# --- facilities and stations ----------------------------------------------------------------


async def create_facility(pool: asyncpg.Pool, who: Principal, body: api.FacilityIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    facility_id = new_id()
    async with UnitOfWork(pool) as uow:
        await store.insert_facility(uow.conn, facility_id, body.area_code, body.name, now())
    return facility_id


async def facilities(pool: asyncpg.Pool, who: Principal, area: str | None) -> list[api.FacilityView]:
    rows = await store.list_facilities(pool, code_prefix(listing_area(who, area)))
    return [api.FacilityView(**{k: r[k] for k in api.FacilityView.model_fields}) for r in rows]


async def create_station(pool: asyncpg.Pool, who: Principal, body: api.StationIn) -> UUID:
    """One station per facility: a second one is 409."""
    async with UnitOfWork(pool) as uow:
        facility = await store.get_facility(uow.conn, body.facility_id)
        if facility is None or not who.covers(facility["area_code"]):  # another area's facility looks unknown
            raise invalid("facility_id", "未知的社区综合服务设施 / unknown facility")
        station_id = new_id()
        added = await store.insert_station(
            uow.conn,
            {
                "id": station_id,
                "facility_id": body.facility_id,
                "name": body.name,
                "area_code": facility["area_code"],
                "created_at": now(),
            },
        )
        if not added:
            message = "该设施已有志愿服务站点 / the facility already has a station"
            raise Problem(
                409,
                "已存在 / Already exists",
                message,
                errors=[{"field": "facility_id", "message": message, "type": "duplicate"}],
            )
    return station_id


async def stations(pool: asyncpg.Pool, who: Principal, area: str | None) -> list[api.StationView]:
    rows = await store.list_stations(pool, code_prefix(listing_area(who, area)))
    return [api.StationView(**{k: r[k] for k in api.StationView.model_fields}) for r in rows]


# --- teams ----------------------------------------------------------------------------------


async def _check_volunteers(conn, who: Principal, ids: list[UUID], field: str) -> None:
    """Members must be registered volunteers of the caller's area; others look unknown."""
    known = {i: r for i, r in (await store.volunteers(conn, ids)).items() if who.covers(r["area_code"])}
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise invalid(field, f"未注册的志愿者 / not registered volunteers: {', '.join(unknown)}")


async def _check_supervisor(conn, who: Principal, supervisor_id: UUID | None) -> None:
    if supervisor_id is None:
        return
    row = (await store.volunteers(conn, [supervisor_id])).get(supervisor_id)
    if row is None or not who.covers(row["area_code"]) or row["sw_level"] is None:
        raise invalid("supervisor_id", "督导须为已登记的社会工作者 / the supervisor must be a registered social worker")


async def _check_station(conn, who: Principal, station_id: UUID | None) -> None:
    if station_id is None:
        return
    station = await store.get_station(conn, station_id)
    if station is None or not who.covers(station["area_code"]):
        raise invalid("station_id", "未知的志愿服务站点 / unknown station")


async def create_team(pool: asyncpg.Pool, who: Principal, body: api.TeamIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    team_id, member_ids = new_id(), list(dict.fromkeys(body.member_ids))
    async with UnitOfWork(pool) as uow:
        await _check_station(uow.conn, who, body.station_id)
        await _check_supervisor(uow.conn, who, body.supervisor_id)
        await _check_volunteers(uow.conn, who, member_ids, "member_ids")
        await store.insert_team(
            uow.conn,
            {
                "id": team_id,
                "name": body.name,
                "area_code": body.area_code,
                "station_id": body.station_id,
                "supervisor_id": body.supervisor_id,
                "created_at": now(),
            },
        )
        await store.add_members(uow.conn, team_id, member_ids)
    return team_id


async def visible_team(conn, who: Principal, team_id: UUID) -> asyncpg.Record:
    team = visible(who, await store.get_team(conn, team_id))
    return team


def _person(keyring: Keyring, row) -> api.TeamMemberView:
    name = keyring.decrypt(row["name_enc"], pii_context(row["id"], "name"))
    return api.TeamMemberView(
        volunteer_id=row["id"], name=mask_name(name, keep_length=False), social_worker_level=row["sw_level"]
    )


async def team_view(pool: asyncpg.Pool, keyring: Keyring, who: Principal, team_id: UUID) -> api.TeamView:
    team = await visible_team(pool, who, team_id)
    ids = await store.member_ids(pool, team_id)
    supervisor_id = team["supervisor_id"]
    people = await store.volunteers(pool, ids + ([supervisor_id] if supervisor_id else []))
    return api.TeamView(
        id=team["id"],
        name=team["name"],
        area_code=team["area_code"],
        station_id=team["station_id"],
        supervisor=_person(keyring, people[supervisor_id]) if supervisor_id else None,
        members=[_person(keyring, people[i]) for i in ids],
        created_at=team["created_at"],
    )


async def add_members(pool: asyncpg.Pool, who: Principal, team_id: UUID, body: api.MembersIn) -> int:
    ids = list(dict.fromkeys(body.member_ids))
    async with UnitOfWork(pool) as uow:
        await visible_team(uow.conn, who, team_id)
        await _check_volunteers(uow.conn, who, ids, "member_ids")
        return await store.add_members(uow.conn, team_id, ids)


# --- social workers lead volunteers: training and supervision --------------------------------


async def record_training(pool: asyncpg.Pool, who: Principal, team_id: UUID, body: api.TrainingIn) -> UUID:
    attendees = list(dict.fromkeys(body.attendee_ids))
    async with UnitOfWork(pool) as uow:
        await visible_team(uow.conn, who, team_id)
        members = set(await store.member_ids(uow.conn, team_id))
        strangers = [str(a) for a in attendees if a not in members]
        if strangers:
            raise invalid("attendee_ids", f"不是本队队员 / not members of the team: {', '.join(strangers)}")
        training_id = new_id()
        await store.insert_training(uow.conn, training_id, team_id, body.course, body.held_on, attendees, who.sub)
    return training_id


async def trainings(pool: asyncpg.Pool, who: Principal, team_id: UUID) -> list[api.TrainingView]:
    await visible_team(pool, who, team_id)
    return [
        api.TrainingView(
            id=r["id"],
            team_id=r["team_id"],
            course=r["course"],
            held_on=r["held_on"],
            attendee_ids=r["attendees"],
            attendance=len(r["attendees"]),
            recorded_by=r["recorded_by"],
        )
        for r in await store.list_trainings(pool, team_id)
    ]


async def record_supervision(pool: asyncpg.Pool, who: Principal, team_id: UUID, body: api.SupervisionIn) -> UUID:
    """Only the team's supervising social worker records supervision (the caller's token sub is
    their volunteer_ref): the record names them as the one who gave it, so nobody else may."""
    async with UnitOfWork(pool) as uow:
        team = await store.get_team(uow.conn, team_id)
        is_supervisor = team is not None and team["supervisor_ref"] == who.sub
        # a volunteer token is judged by who it is, a worker's by its area
        visible = is_supervisor or (who.role != Role.VOLUNTEER and who.covers(team["area_code"])) if team else False
        if not visible:
            raise not_found()
        if team["supervisor_id"] is None:
            raise conflict("该队伍尚无督导社工 / the team has no supervisor")
        if not is_supervisor:
            raise Problem(
                403,
                "无权操作 / Forbidden",
                "只有该队伍的督导社工可以记录督导 / only the team's supervising social worker records supervision",
            )
        supervision_id = new_id()
        await store.insert_supervision(
            uow.conn, supervision_id, team_id, team["supervisor_id"], body.held_at, body.notes
        )
    return supervision_id


# --- statistics -------------------------------------------------------------------------------


async def volunteer_stats(
    pool: asyncpg.Pool, who: Principal, area: str | None, settings: OrganizationSettings
) -> api.VolunteerStats:
    """People are counted where they live; hours where they were served. One snapshot for all figures."""
    area = listing_area(who, area)
    prefix, at = code_prefix(area), now()
    months = last_months(at.astimezone(LOCAL).date())
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        counts = await store.volunteer_counts(conn, prefix, at - timedelta(days=ACTIVE_DAYS))
        levels = await store.social_workers_by_level(conn, prefix)
        monthly = await store.verified_minutes_by_month(conn, prefix, calendar.start(months[0]), ZONE)
        by_status = await store.minutes_by_status(conn, prefix)
        facility_counts = await store.station_counts(conn, prefix)
        social_workers_added = await store.social_workers_by_month(conn, prefix, ZONE)
        facilities_added, stations_added = await store.facilities_by_month(conn, prefix, ZONE)
    return api.VolunteerStats(
        area=area,
        registered=counts["registered"],
        active_30d=counts["active"],
        party_members=counts["party_members"],
        social_workers_by_level={level: levels.get(level, 0) for level in SW_LEVELS},
        hours_by_month=hours_by_month(months, monthly),
        verified_ratio=ratio(by_status.get("verified", 0), sum(by_status.values())),
        station_coverage=coverage(
            facility_counts["facilities"],
            facility_counts["with_station"],
            settings.station_coverage_target,
            coverage_trend(months, facilities_added, stations_added),
        ),
        social_workers_trend=cumulative_trend(months, social_workers_added),
    )
