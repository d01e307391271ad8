"""SQL of joint meetings: the agenda pool as meetings draw on it, meetings, resolutions, the
actions they dispatch and the actions' follow-up trail."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn

# --- the agenda pool ------------------------------------------------------------------------------------


async def insert_manual_item(conn: Conn, item_id: UUID, area_code: str, summary: str, at: datetime) -> None:
    """A manual item is its own source (ref_id = id), so (kind, ref_id) stays unique."""
    await conn.execute(
        """INSERT INTO agenda_items (id, area_code, kind, ref_id, summary, raised_at)
           VALUES ($1, $2, 'manual', $1, $3, $4)""",
        item_id,
        area_code,
        summary,
        at,
    )


async def open_items(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM agenda_items WHERE meeting_id IS NULL AND area_code LIKE $1
           ORDER BY raised_at LIMIT 500""",
        code_prefix(area) + "%",
    )


async def items_by_id(conn: Conn, item_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM agenda_items WHERE id = ANY($1::uuid[])", item_ids)


async def take_items(conn: Conn, meeting_id: UUID, area: str, item_ids: list[UUID]) -> list[UUID]:
    """Put on the meeting's agenda every open item of its area (and below) and the given ones.
    `meeting_id IS NULL` is re-checked under the row lock: of two meetings drawing at once, each
    item goes to one."""
    rows = await conn.fetch(
        """UPDATE agenda_items SET meeting_id = $1
           WHERE meeting_id IS NULL AND (area_code LIKE $2 OR id = ANY($3::uuid[])) RETURNING id""",
        meeting_id,
        code_prefix(area) + "%",
        item_ids,
    )
    return [r["id"] for r in rows]


async def agenda_of(conn: Conn, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM agenda_items WHERE meeting_id = $1 ORDER BY raised_at", meeting_id)


# --- meetings and resolutions ---------------------------------------------------------------------------


async def insert_meeting(conn: Conn, row: dict) -> None:
    await db.insert(conn, "joint_meetings", row)


async def get_meeting(conn: Conn, meeting_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM joint_meetings WHERE id = $1" + (" FOR UPDATE" if for_update else ""), meeting_id
    )


async def list_meetings(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM joint_meetings WHERE area_code LIKE $1 ORDER BY scheduled_at DESC LIMIT 500",
        code_prefix(area) + "%",
    )


async def mark_held(conn: Conn, meeting_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE joint_meetings SET status = 'held', held_at = $2 WHERE id = $1 AND held_at IS NULL", meeting_id, at
    )


async def insert_resolution(conn: Conn, row: dict) -> None:
    await db.insert(conn, "resolutions", row)


async def item_resolved(conn: Conn, item_id: UUID) -> bool:
    return await conn.fetchval("SELECT true FROM resolutions WHERE agenda_item_id = $1", item_id) is not None


async def resolutions_of(conn: Conn, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM resolutions WHERE meeting_id = $1 ORDER BY resolved_at", meeting_id)


# --- actions --------------------------------------------------------------------------------------------


async def insert_action(conn: Conn, row: dict) -> None:
    await db.insert(conn, "meeting_actions", row)


# each action with its follow-up trail, oldest report first
ACTION_VIEW = """SELECT a.*, coalesce((
        SELECT jsonb_agg(jsonb_build_object('status', p.status, 'note', p.note, 'reported_by', p.reported_by,
                                            'reported_at', p.reported_at) ORDER BY p.reported_at)
        FROM action_progress p WHERE p.action_id = a.id), '[]'::jsonb) AS progress
    FROM meeting_actions a"""


async def get_action(conn: Conn, action_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    if for_update:
        return await conn.fetchrow("SELECT * FROM meeting_actions WHERE id = $1 FOR UPDATE", action_id)
    return await conn.fetchrow(ACTION_VIEW + " WHERE a.id = $1", action_id)


async def actions_of(conn: Conn, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(ACTION_VIEW + " WHERE a.meeting_id = $1 ORDER BY a.dispatched_at, a.id", meeting_id)


async def list_actions(conn: Conn, area: str, status: str | None, need_id: UUID | None = None) -> list[asyncpg.Record]:
    """`overdue` is not a status but a flag: flagged and not yet done. `need_id`: the actions for that need."""
    return await conn.fetch(
        ACTION_VIEW
        + """ WHERE a.area_code LIKE $1 AND CASE
               WHEN $2::text IS NULL THEN true
               WHEN $2 = 'overdue' THEN a.overdue_at IS NOT NULL AND a.status <> 'done'
               ELSE a.status = $2 END
             AND ($3::uuid IS NULL OR a.need_id = $3)
           ORDER BY a.due_at LIMIT 500""",
        code_prefix(area) + "%",
        status,
        need_id,
    )


async def record_progress(
    conn: Conn, progress_id: UUID, action_id: UUID, status: str, note: str, by: str, at: datetime
) -> None:
    await conn.execute("UPDATE meeting_actions SET status = $2, updated_at = $3 WHERE id = $1", action_id, status, at)
    await conn.execute(
        """INSERT INTO action_progress (id, action_id, status, note, reported_by, reported_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        progress_id,
        action_id,
        status,
        note,
        by,
        at,
    )


async def flag_overdue(conn: asyncpg.Connection, at: datetime) -> int:
    """Flag, once, the actions past due and not done; rows another replica holds are skipped."""
    rows = await conn.fetch(
        """UPDATE meeting_actions SET overdue_at = $1 WHERE id IN (
               SELECT id FROM meeting_actions WHERE status <> 'done' AND overdue_at IS NULL AND due_at <= $1
               ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED)
           RETURNING id""",
        at,
    )
    return len(rows)
