"""SQL of the resident registry, consents, surveys and visits (residents are read by id through
services.needs.store, which intake shares)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn

RESIDENT_COLUMNS = (
    "id",
    "area_code",
    "resident_ref",
    "name_enc",
    "citizen_id_enc",
    "phone_enc",
    "address_enc",
    "birth_date",
    "tags",
    "disability_grade",
    "guardian_id",
    "registered_by",
    "registered_at",
)
INSERT_RESIDENT = db.insert_sql("residents", RESIDENT_COLUMNS)


async def insert_resident(conn: asyncpg.Connection, row: dict) -> bool:
    """False when a resident with this citizen ID (resident_ref) is already registered."""
    added = await conn.fetchval(
        INSERT_RESIDENT + " ON CONFLICT (resident_ref) DO NOTHING RETURNING true", *(row[c] for c in RESIDENT_COLUMNS)
    )
    return bool(added)


async def insert_consent(
    conn: asyncpg.Connection,
    consent_id: UUID,
    resident_id: UUID,
    purpose: str,
    given_by: str,
    given_at: datetime,
    recorded_by: str,
) -> None:
    await conn.execute(
        """INSERT INTO consents (id, resident_id, purpose, given_by, given_at, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        consent_id,
        resident_id,
        purpose,
        given_by,
        given_at,
        recorded_by,
    )


async def consents(conn: Conn, resident_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, purpose, given_by, given_at, withdrawn_at FROM consents WHERE resident_id = $1 ORDER BY given_at",
        resident_id,
    )


async def proactive_visits(conn: Conn, area: str, tags: list[str], before: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM residents WHERE area_code LIKE $1 AND tags && $2::text[]
             AND (last_visited_at IS NULL OR last_visited_at < $3)
           ORDER BY last_visited_at NULLS FIRST, id""",
        code_prefix(area) + "%",
        tags,
        before,
    )


async def insert_survey(
    conn: Conn,
    survey_id: UUID,
    area: str,
    title: str,
    starts_on: date,
    ends_on: date,
    created_by: str,
    created_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO surveys (id, area_code, title, starts_on, ends_on, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        survey_id,
        area,
        title,
        starts_on,
        ends_on,
        created_by,
        created_at,
    )


async def get_survey(conn: Conn, survey_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM surveys WHERE id = $1", survey_id)


async def insert_visit(
    conn: asyncpg.Connection,
    visit_id: UUID,
    survey_id: UUID,
    resident: asyncpg.Record,
    visited_by: str,
    visited_at: datetime,
    notes: str,
    need_ids: list[UUID],
) -> None:
    await conn.execute(
        """INSERT INTO visits (id, survey_id, resident_id, area_code, visited_by, visited_at, notes, need_ids)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        visit_id,
        survey_id,
        resident["id"],
        resident["area_code"],
        visited_by,
        visited_at,
        notes,
        need_ids,
    )
    await conn.execute(
        "UPDATE residents SET last_visited_at = greatest(last_visited_at, $2) WHERE id = $1", resident["id"], visited_at
    )


# --- service levels per area ------------------------------------------------------------------


async def service_levels_around(conn: Conn, area: str, ancestors: list[str]) -> dict[str, asyncpg.Record]:
    """The levels of an area's ancestors and of every area inside it (for a list that spans
    communities with levels of their own)."""
    rows = await conn.fetch(
        "SELECT * FROM service_levels WHERE area_code = ANY($1::text[]) OR area_code LIKE $2",
        ancestors,
        code_prefix(area) + "%",
    )
    return {r["area_code"]: r for r in rows}
