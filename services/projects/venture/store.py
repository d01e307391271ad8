"""SQL of venture-philanthropy calls, applications and their scores."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn


async def insert_call(conn: Conn, row: dict) -> None:
    await db.insert(conn, "venture_calls", row)


async def get_call(conn: Conn, call_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM venture_calls WHERE id = $1" + (" FOR UPDATE" if for_update else ""), call_id
    )


async def list_calls(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM venture_calls WHERE area_code LIKE $1 ORDER BY created_at DESC LIMIT 200",
        code_prefix(area) + "%",
    )


async def insert_application(conn: Conn, row: dict) -> bool:
    """False when the organization has applied to this call already."""
    try:
        await db.insert(conn, "venture_applications", row)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def get_application(
    conn: Conn, call_id: UUID, application_id: UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM venture_applications WHERE id = $1 AND call_id = $2" + (" FOR UPDATE" if for_update else ""),
        application_id,
        call_id,
    )


async def application_by_id(conn: Conn, application_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM venture_applications WHERE id = $1", application_id)


async def applications_with_scores(conn: Conn, call_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.*, avg(s.total) AS score, count(s.application_id) AS scored_by FROM venture_applications a
           LEFT JOIN venture_scores s ON s.application_id = a.id WHERE a.call_id = $1
           GROUP BY a.id ORDER BY a.submitted_at""",
        call_id,
    )


async def set_application(conn: Conn, application_id: UUID, **changes) -> None:
    await db.update(conn, "venture_applications", application_id, **changes)


async def insert_score(conn: Conn, row: dict) -> bool:
    return (
        await db.insert(conn, "venture_scores", row, "ON CONFLICT (application_id, judge) DO NOTHING RETURNING true")
        is not None
    )


async def mark_awarded(conn: Conn, call_id: UUID, at: datetime) -> None:
    await conn.execute("UPDATE venture_calls SET status = 'awarded', awarded_at = $2 WHERE id = $1", call_id, at)
