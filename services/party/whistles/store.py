"""SQL of whistles, their dispatches and small wishes (members and units themselves are read through
services.party.store)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn

LIMIT = 500  # a list is a worker's screen, not an export


# --- whistles -------------------------------------------------------------------------------------


async def insert_whistle(conn: Conn, row: dict) -> bool:
    """False when this source event made its whistle already."""
    return await db.insert(conn, "whistles", row, "ON CONFLICT (source_event_id) DO NOTHING RETURNING true") is not None


async def insert_dispatches(
    conn: asyncpg.Connection, whistle_id: UUID, responders: list[tuple[str, UUID]], at: datetime
) -> None:
    await conn.executemany(
        "INSERT INTO dispatches (whistle_id, responder_kind, responder_id, dispatched_at) VALUES ($1, $2, $3, $4)",
        [(whistle_id, kind, responder_id, at) for kind, responder_id in responders],
    )


async def get_whistle(conn: Conn, whistle_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM whistles WHERE id = $1" + (" FOR UPDATE" if for_update else ""), whistle_id
    )


async def list_whistles(conn: Conn, area: str, status: str | None, need_id: UUID | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM whistles WHERE area_code LIKE $1 AND ($2::text IS NULL OR status = $2)
              AND ($4::uuid IS NULL OR need_id = $4)
           ORDER BY blown_at DESC LIMIT $3""",
        code_prefix(area) + "%",
        status,
        LIMIT,
        need_id,
    )


async def timings(conn: Conn, area: str) -> list[asyncpg.Record]:
    """What the response-time statistics need, for every whistle within `area`."""
    return await conn.fetch(
        "SELECT area_code, blown_at, respond_by, first_response_at FROM whistles WHERE area_code LIKE $1",
        code_prefix(area) + "%",
    )


async def mark_first_response(conn: Conn, whistle_id: UUID, at: datetime) -> None:
    await conn.execute(
        """UPDATE whistles SET first_response_at = coalesce(first_response_at, $2), status = 'responded'
           WHERE id = $1""",
        whistle_id,
        at,
    )


async def close_whistle(
    conn: Conn, whistle_id: UUID, satisfaction: int, evaluated_by: str, comment: str, by: str, at: datetime
) -> None:
    await db.update(
        conn,
        "whistles",
        whistle_id,
        status="closed",
        satisfaction=satisfaction,
        evaluated_by=evaluated_by,
        comment=comment,
        closed_by=by,
        closed_at=at,
    )


async def claim_unanswered(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    """Whistles past their deadline that nobody took on and that were not escalated, locked for
    this transaction; rows another replica holds are skipped (it escalates them)."""
    return await conn.fetch(
        """SELECT * FROM whistles WHERE first_response_at IS NULL AND escalated_at IS NULL AND respond_by <= $1
           ORDER BY respond_by LIMIT 200 FOR UPDATE SKIP LOCKED""",
        at,
    )


async def mark_escalated(conn: Conn, whistle_id: UUID, at: datetime, to: str) -> None:
    await db.update(conn, "whistles", whistle_id, escalated_at=at, escalated_to=to)


# --- dispatches and responders --------------------------------------------------------------------


async def dispatches_of(conn: Conn, whistle_id: UUID) -> list[asyncpg.Record]:
    """Each dispatch with what names its responder: a member's encrypted name or a unit's name."""
    return await conn.fetch(
        """SELECT d.*, m.name_enc, u.name AS unit_name FROM dispatches d
           LEFT JOIN members m ON d.responder_kind = 'member' AND m.id = d.responder_id
           LEFT JOIN units u ON d.responder_kind = 'unit' AND u.id = d.responder_id
           WHERE d.whistle_id = $1 ORDER BY d.responder_kind, d.dispatched_at, d.responder_id""",
        whistle_id,
    )


async def get_dispatch(
    conn: Conn, whistle_id: UUID, responder_id: UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM dispatches WHERE whistle_id = $1 AND responder_id = $2" + (" FOR UPDATE" if for_update else ""),
        whistle_id,
        responder_id,
    )


async def dispatched_account(conn: Conn, whistle_id: UUID, account: str) -> bool:
    """Whether `account` is the login of an active member or of a unit dispatched for this whistle."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM dispatches d
             LEFT JOIN members m ON d.responder_kind = 'member' AND m.id = d.responder_id
             LEFT JOIN units u ON d.responder_kind = 'unit' AND u.id = d.responder_id
           WHERE d.whistle_id = $1 AND ((m.account = $2 AND m.status = 'active') OR u.account = $2))""",
        whistle_id,
        account,
    )


async def responder(conn: Conn, kind: str, responder_id: UUID) -> asyncpg.Record | None:
    """The member or unit, with the login that may act for it (a member only while active)."""
    if kind == "member":
        return await conn.fetchrow(
            "SELECT id, member_ref AS ref, area_code, CASE WHEN status = 'active' THEN account END AS account "
            "FROM members WHERE id = $1",
            responder_id,
        )
    return await conn.fetchrow("SELECT id, id::text AS ref, area_code, account FROM units WHERE id = $1", responder_id)


async def is_responder_account(conn: Conn, account: str) -> bool:
    """Whether `account` logs in as an active party member or a responsible unit."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM members WHERE account = $1 AND status = 'active')
               OR EXISTS (SELECT 1 FROM units WHERE account = $1)""",
        account,
    )


async def mark_reported(conn: Conn, whistle_id: UUID, responder_id: UUID, by: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE dispatches SET reported_at = $3, reported_by = $4 WHERE whistle_id = $1 AND responder_id = $2",
        whistle_id,
        responder_id,
        at,
        by,
    )


async def mark_handled(conn: Conn, whistle_id: UUID, responder_id: UUID, note: str, by: str, at: datetime) -> None:
    await conn.execute(
        """UPDATE dispatches SET handled_at = $3, handled_by = $4, note = $5
           WHERE whistle_id = $1 AND responder_id = $2""",
        whistle_id,
        responder_id,
        at,
        by,
        note,
    )


# --- small wishes ---------------------------------------------------------------------------------


async def insert_wish(conn: Conn, row: dict) -> None:
    await db.insert(conn, "wishes", row)


async def get_wish(conn: Conn, wish_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM wishes WHERE id = $1" + (" FOR UPDATE" if for_update else ""), wish_id)


async def list_wishes(conn: Conn, area: str, status: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT w.*, m.name_enc FROM wishes w LEFT JOIN members m ON m.id = w.member_id
           WHERE w.area_code LIKE $1 AND ($2::text IS NULL OR w.status = $2)
           ORDER BY w.posted_at DESC LIMIT $3""",
        code_prefix(area) + "%",
        status,
        LIMIT,
    )


async def claim_wish(conn: Conn, wish_id: UUID, member_id: UUID, by: str, at: datetime) -> None:
    await db.update(conn, "wishes", wish_id, status="claimed", member_id=member_id, claimed_by=by, claimed_at=at)


async def fulfil_wish(conn: Conn, wish_id: UUID, note: str, by: str, at: datetime) -> None:
    await db.update(conn, "wishes", wish_id, status="fulfilled", note=note, fulfilled_by=by, fulfilled_at=at)
