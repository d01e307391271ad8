"""SQL of the service levels an area sets itself and of their change history (the levels in force
are read through services.needs.store service_levels_of, which intake shares)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn

# --- service levels per area ------------------------------------------------------------------

LEVEL_COLUMNS = ("urgent_hours", "major_hours", "routine_hours", "revisit_days", "proactive_visit_days")


async def lock_area_levels(conn: asyncpg.Connection, area: str) -> None:
    """Changes of one area's levels queue behind each other until the transaction ends (even the
    first two, when there is no row yet to lock)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('needs.service_levels:' || $1, 0))", area)


async def save_service_levels(conn: asyncpg.Connection, area: str, values: dict, by: str, at: datetime) -> None:
    columns = (*LEVEL_COLUMNS, "changed_by", "changed_at")
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    await conn.execute(
        f"INSERT INTO service_levels (area_code, {', '.join(columns)}) VALUES ($1, {db.placeholders(7, 2)}) "
        f"ON CONFLICT (area_code) DO UPDATE SET {updates}",
        area,
        *(values[c] for c in LEVEL_COLUMNS),
        by,
        at,
    )


async def insert_service_level_change(conn: asyncpg.Connection, row: dict) -> None:
    await db.insert(conn, "service_level_changes", row)


async def service_level_changes(conn: Conn, area: str, limit: int) -> list[asyncpg.Record]:
    """Changes of the area and of the areas inside it, newest first."""
    return await conn.fetch(
        "SELECT * FROM service_level_changes WHERE area_code LIKE $1 "
        f"ORDER BY changed_at DESC, id DESC LIMIT {int(limit)}",
        code_prefix(area) + "%",
    )
