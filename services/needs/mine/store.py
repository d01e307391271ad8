"""The SQL of the resident's own page: their needs and what happened to each."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from kit.db import Conn


async def my_needs(conn: Conn, resident_refs: list[str], limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM needs WHERE resident_ref = ANY($1::text[]) ORDER BY raised_at DESC LIMIT $2",
        resident_refs,
        limit,
    )


async def wards(conn: Conn, guardian_ref: str) -> list[asyncpg.Record]:
    """The residents registered with the resident of `guardian_ref` as their guardian."""
    return await conn.fetch(
        """SELECT w.id, w.resident_ref, w.name_enc FROM residents w JOIN residents g ON g.id = w.guardian_id
            WHERE g.resident_ref = $1 ORDER BY w.registered_at, w.id""",
        guardian_ref,
    )


async def timelines(conn: Conn, need_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT need_id, at, actor, kind, detail FROM need_timeline WHERE need_id = ANY($1::uuid[])
            ORDER BY need_id, at, id""",
        need_ids,
    )


async def resident_id(conn: Conn, resident_ref: str) -> UUID | None:
    found: UUID | None = await conn.fetchval("SELECT id FROM residents WHERE resident_ref = $1", resident_ref)
    return found
