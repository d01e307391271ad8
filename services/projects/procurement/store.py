"""The SQL of the call for bids: bids and their scores (what the project library shows of them,
bids_with_scores, stays in the service's store.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kit import db
from kit.db import Conn

# --- bids ------------------------------------------------------------------------------------------------


async def insert_bid(conn: Conn, row: dict) -> bool:
    """False when the organization has an active bid on the project already."""
    try:
        await db.insert(conn, "bids", row)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def get_bid(conn: Conn, bid_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM bids WHERE id = $1" + (" FOR UPDATE" if for_update else ""), bid_id)


async def withdraw_bid(conn: Conn, bid_id: UUID, at: datetime) -> None:
    await conn.execute("UPDATE bids SET status = 'withdrawn', withdrawn_at = $2 WHERE id = $1", bid_id, at)


async def insert_score(conn: Conn, row: dict) -> bool:
    return (
        await db.insert(conn, "bid_scores", row, "ON CONFLICT (bid_id, evaluator) DO NOTHING RETURNING true")
        is not None
    )
