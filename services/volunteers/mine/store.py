"""The SQL of the volunteer's own page: their tasks, the open tasks they may sign up for, their
hours and certificates."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from kit import db
from kit.db import Conn
from services.volunteers.store import TASK_VIEW


async def my_tasks(conn: Conn, volunteer_id: UUID) -> list[asyncpg.Record]:
    """The tasks the volunteer was invited to or signed up for, newest first, with their answer and
    an open check-in's time."""
    return await conn.fetch(
        TASK_VIEW.replace("FROM tasks t", ", a.status AS my_status, h.check_in AS checked_in_at FROM tasks t")
        + """ JOIN assignments a ON a.task_id = t.id AND a.volunteer_id = $1
              LEFT JOIN hour_logs h ON h.task_id = t.id AND h.volunteer_id = $1 AND h.status = 'open'
              ORDER BY coalesce(t.window_start, t.created_at) DESC LIMIT 100""",
        volunteer_id,
    )


async def open_tasks_for(conn: Conn, volunteer_id: UUID, area_prefixes: list[str]) -> list[asyncpg.Record]:
    """Open tasks under any of these areas that the volunteer is not on yet, soonest first."""
    return await conn.fetch(
        TASK_VIEW
        + """ WHERE t.status = 'open' AND t.area_code LIKE ANY (SELECT p || '%' FROM unnest($2::text[]) p)
                AND (t.window_end IS NULL OR t.window_end > now())
                AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.volunteer_id = $1)
              ORDER BY t.window_start NULLS LAST, t.created_at LIMIT 50""",
        volunteer_id,
        area_prefixes,
    )


async def my_logs(conn: Conn, volunteer_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT h.*, t.title AS task_title FROM hour_logs h JOIN tasks t ON t.id = h.task_id
            WHERE h.volunteer_id = $1 ORDER BY h.check_in DESC LIMIT $2""",
        volunteer_id,
        limit,
    )


async def my_minutes(conn: Conn, volunteer_id: UUID) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT status, coalesce(sum(minutes), 0) AS minutes FROM hour_logs
            WHERE volunteer_id = $1 AND minutes IS NOT NULL GROUP BY status""",
        volunteer_id,
    )
    return {r["status"]: int(r["minutes"]) for r in rows}


async def my_certificates(conn: Conn, volunteer_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, code, period_start, period_end, issued_at FROM certificates
            WHERE volunteer_id = $1 ORDER BY issued_at DESC LIMIT 20""",
        volunteer_id,
    )


async def update_profile(conn: Conn, volunteer_id: UUID, changes: dict[str, list[str]]) -> None:
    """Sets the given columns (skills, service_areas) of the volunteer's record."""
    await db.update(conn, "volunteers", volunteer_id, **changes)
