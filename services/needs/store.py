"""The needs service's SQL (the only place it lives)."""
from __future__ import annotations

from uuid import UUID

import asyncpg

NEED_COLUMNS = (
    "id", "area_code", "category", "urgency", "channel", "status", "description", "required_skills",
    "target_groups", "window_start", "window_end", "resident_ref", "resident_name_enc",
    "resident_phone_enc", "resident_cid_enc", "raised_by", "raised_at",
)
INSERT_NEED = (
    f"INSERT INTO needs ({', '.join(NEED_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(NEED_COLUMNS) + 1))})"
)


async def insert_need(conn: asyncpg.Connection, row: dict) -> None:
    await conn.execute(INSERT_NEED, *(row[c] for c in NEED_COLUMNS))


async def get_need(conn: asyncpg.Pool | asyncpg.Connection, need_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM needs WHERE id = $1", need_id)
