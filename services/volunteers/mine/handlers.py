"""Use cases of the volunteer's own page (我的志愿服务): one read of everything they look at."""

from __future__ import annotations

import asyncpg

from contracts.api import volunteers as api
from contracts.values import mask_name
from kit.auth import Principal
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem
from kit.uow import UnitOfWork
from services.volunteers import domain, handlers, store
from services.volunteers.config import volunteers_settings
from services.volunteers.mine import domain as rules
from services.volunteers.mine import store as mine
from services.volunteers.timebank import handlers as timebank

HOURS_SHOWN = 50
NOT_REGISTERED = "尚未注册为志愿者，请联系社区登记 / not registered as a volunteer: ask your community"


async def my_volunteering(pool: asyncpg.Pool, keyring: Keyring, who: Principal) -> api.MyVolunteering:
    """The caller's own record, read in one snapshot. The name is masked as on a roster: the page
    is for a phone that others may glance at, and nothing here needs more."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        volunteer = await store.volunteer_by_ref(conn, who.sub)
        if volunteer is None:
            raise Problem(404, "未找到 / Not found", NOT_REGISTERED)
        vid = volunteer["id"]
        tasks = await mine.my_tasks(conn, vid)
        areas = [volunteer["area_code"][:6], *volunteer["service_areas"]]
        offered = await mine.open_tasks_for(conn, vid, areas)
        logs = await mine.my_logs(conn, vid, HOURS_SHOWN)
        minutes = await mine.my_minutes(conn, vid)
        certificates = await mine.my_certificates(conn, vid)
        family = await timebank.family_of(conn, keyring, vid)
    name = keyring.decrypt(volunteer["name_enc"], handlers.pii_context(vid, "name"))
    return api.MyVolunteering(
        volunteer_id=vid,
        area_code=volunteer["area_code"],
        name=mask_name(name),
        skills=volunteer["skills"],
        service_areas=volunteer["service_areas"],
        tasks=[_my_task(row) for row in tasks],
        open_tasks=[
            api.OpenTask(
                task=handlers.task_view(row),
                matching_skills=rules.matching_skills(row["required_skills"], volunteer["skills"]),
            )
            for row in sorted(
                offered, key=lambda r: -len(rules.matching_skills(r["required_skills"], volunteer["skills"]))
            )
        ],
        hours=[
            api.MyHours(
                log=handlers.log_view(row),
                task_title=row["task_title"],
                status_label=domain.LogStatus(row["status"]).label,
            )
            for row in logs
        ],
        minutes_verified=minutes.get(domain.LogStatus.VERIFIED, 0),
        minutes_pending=minutes.get(domain.LogStatus.LOGGED, 0),
        certificates=[api.MyCertificate(**dict(row)) for row in certificates],
        family=family,
    )


async def update_my_profile(pool: asyncpg.Pool, who: Principal, body: api.MyProfileIn) -> dict:
    """The caller's skills and service areas, as they now give them."""
    changes = body.model_dump(exclude_none=True)
    async with UnitOfWork(pool) as uow:
        volunteer = await store.volunteer_by_ref(uow.conn, who.sub)
        if volunteer is None:
            raise Problem(404, "未找到 / Not found", NOT_REGISTERED)
        await mine.update_profile(uow.conn, volunteer["id"], changes)
    return {"skills": volunteer["skills"], "service_areas": volunteer["service_areas"]} | changes


def _my_task(row: asyncpg.Record) -> api.MyTask:
    status = domain.AssignmentStatus(row["my_status"])
    may_check_in = (
        status == domain.AssignmentStatus.ACCEPTED
        and row["checked_in_at"] is None
        and rules.may_check_in(now(), row["window_start"], row["window_end"], volunteers_settings().hour_limits())
    )
    return api.MyTask(
        task=handlers.task_view(row),
        task_status_label=domain.TaskStatus(row["status"]).label,
        my_status=status,
        my_status_label=status.label,
        checked_in_at=row["checked_in_at"],
        can_check_in=may_check_in,
    )
