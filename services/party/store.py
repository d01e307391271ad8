"""The party service's SQL for organizations, members, units, matters and the agenda pool. The
whistles and meetings packages keep their own SQL next to their use cases."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from contracts.envelope import new_id
from kit import db
from kit.db import Conn

# --- organizations and committees -------------------------------------------------------------------


async def insert_organization(conn: Conn, row: dict) -> None:
    await db.insert(conn, "organizations", row)


async def get_organization(conn: Conn, org_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM organizations WHERE id = $1", org_id)


async def list_organizations(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM organizations WHERE area_code LIKE $1 ORDER BY area_code, created_at", code_prefix(area) + "%"
    )


async def leading_organization(conn: Conn, area_code: str) -> asyncpg.Record | None:
    """The community-hosted party organization that leads exactly this area (a committee before a branch)."""
    return await conn.fetchrow(
        """SELECT * FROM organizations WHERE host_kind = 'community' AND area_code = $1
           ORDER BY CASE kind WHEN 'committee' THEN 0 WHEN 'general_branch' THEN 1 ELSE 2 END, created_at LIMIT 1""",
        area_code,
    )


async def insert_seat(conn: Conn, row: dict) -> None:
    await db.insert(conn, "committee_seats", row)


async def current_seats(conn: Conn, org_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.*, m.name_enc, m.member_ref FROM committee_seats s JOIN members m ON m.id = s.member_id
           WHERE s.org_id = $1 AND s.until IS NULL ORDER BY s.position DESC, s.since""",
        org_id,
    )


async def end_seat(conn: Conn, seat_id: UUID, until) -> bool:
    return (
        await conn.fetchval(
            "UPDATE committee_seats SET until = $2 WHERE id = $1 AND until IS NULL RETURNING true", seat_id, until
        )
        is not None
    )


# --- members and units -------------------------------------------------------------------------------


async def insert_member(conn: Conn, row: dict) -> bool:
    """False when this person (by member_ref) is registered already."""
    return await db.insert(conn, "members", row, "ON CONFLICT (member_ref) DO NOTHING RETURNING true") is not None


async def get_member(conn: Conn, member_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM members WHERE id = $1", member_id)


async def member_by_account(conn: Conn, account: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM members WHERE account = $1 AND status = 'active'", account)


async def list_members(conn: Conn, area: str, skill: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM members WHERE area_code LIKE $1 AND status = 'active' AND ($2::text IS NULL OR $2 = ANY(skills))
           ORDER BY registered_at""",
        code_prefix(area) + "%",
        skill,
    )


async def members_for_dispatch(conn: Conn, area_code: str, skills: list[str]) -> list[asyncpg.Record]:
    """Active members registered with this community whose skills fit (any one of them); all of
    them when nothing in particular is required."""
    return await conn.fetch(
        """SELECT * FROM members WHERE area_code = $1 AND status = 'active'
           AND (cardinality($2::text[]) = 0 OR skills && $2::text[]) ORDER BY registered_at""",
        area_code,
        skills,
    )


async def insert_unit(conn: Conn, row: dict) -> bool:
    return await db.insert(conn, "units", row, "ON CONFLICT (area_code, name) DO NOTHING RETURNING true") is not None


async def list_units(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM units WHERE area_code LIKE $1 ORDER BY area_code, name", code_prefix(area) + "%"
    )


async def units_for_dispatch(conn: Conn, area_code: str, category: str | None) -> list[asyncpg.Record]:
    """Units of this community, or of the township above it, that answer this category (or every one)."""
    return await conn.fetch(
        """SELECT * FROM units WHERE $1 LIKE area_code || '%'
           AND (cardinality(categories) = 0 OR $2::text = ANY(categories)) ORDER BY name""",
        area_code,
        category,
    )


# --- matters ----------------------------------------------------------------------------------------


async def insert_matter(conn: Conn, row: dict) -> bool:
    """False when the matter's source (a review request) was recorded already."""
    return await db.insert(conn, "matters", row, "ON CONFLICT (source_ref) DO NOTHING RETURNING true") is not None


async def get_matter(conn: Conn, matter_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM matters WHERE id = $1" + (" FOR UPDATE" if for_update else ""), matter_id)


async def list_matters(conn: Conn, area: str, status: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT m.*, d.outcome FROM matters m LEFT JOIN decisions d ON d.matter_id = m.id
           WHERE m.area_code LIKE $1 AND ($2::text IS NULL OR m.status = $2) ORDER BY m.submitted_at DESC LIMIT 500""",
        code_prefix(area) + "%",
        status,
    )


async def claim_overdue_matters(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM matters WHERE status = 'pending' AND escalated_at IS NULL AND due_at <= $1
           ORDER BY due_at LIMIT 200 FOR UPDATE SKIP LOCKED""",
        at,
    )


async def mark_matter_escalated(conn: Conn, matter_id: UUID, at: datetime, to: str) -> None:
    await conn.execute("UPDATE matters SET escalated_at = $2, escalated_to = $3 WHERE id = $1", matter_id, at, to)


async def record_decision(conn: asyncpg.Connection, decision: dict, votes: list[tuple[UUID, str]]) -> None:
    await db.insert(conn, "decisions", decision)
    await conn.executemany(
        "INSERT INTO votes (matter_id, seat_id, vote) VALUES ($1, $2, $3)",
        [(decision["matter_id"], seat, vote) for seat, vote in votes],
    )
    await conn.execute("UPDATE matters SET status = 'decided' WHERE id = $1", decision["matter_id"])


async def get_decision(conn: Conn, matter_id: UUID) -> tuple[asyncpg.Record | None, list[asyncpg.Record]]:
    decision = await conn.fetchrow("SELECT * FROM decisions WHERE matter_id = $1", matter_id)
    votes = await conn.fetch("SELECT seat_id, vote FROM votes WHERE matter_id = $1", matter_id) if decision else []
    return decision, votes


# --- the joint-meeting agenda pool -------------------------------------------------------------------


async def add_agenda_item(conn: Conn, kind: str, ref_id: UUID, area_code: str, summary: str, at: datetime) -> None:
    """Offer an item to the next joint meeting of its area; once per (kind, source)."""
    await conn.execute(
        """INSERT INTO agenda_items (id, area_code, kind, ref_id, summary, raised_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (kind, ref_id) DO NOTHING""",
        new_id(),
        area_code,
        kind,
        ref_id,
        summary,
        at,
    )
