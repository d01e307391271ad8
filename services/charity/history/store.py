"""The SQL of migrated donations: the earlier system's ids, each claimed once."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def claim(conn: asyncpg.Connection, legacy_ref: str, donation_id: UUID, by: str) -> bool:
    """False when `legacy_ref` was imported before (a concurrent batch waits here for the first)."""
    return bool(
        await conn.fetchval(
            """INSERT INTO imported_donations (legacy_ref, donation_id, imported_by) VALUES ($1, $2, $3)
               ON CONFLICT (legacy_ref) DO NOTHING RETURNING true""",
            legacy_ref,
            donation_id,
            by,
        )
    )
