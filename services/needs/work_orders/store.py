"""SQL of portal work orders."""

from __future__ import annotations

from uuid import UUID

from kit.db import AnyConnection


async def claim_work_order(conn: AnyConnection, portal: str, order_id: str, need_id: UUID, event_id: str) -> UUID:
    """The need of this work order: `need_id` when this transaction is the first to claim it, else
    the need of the one that did (a concurrent claim waits here until the first commits)."""
    claimed = await conn.fetchval(
        """INSERT INTO work_orders (portal, order_id, need_id, event_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (portal, order_id) DO NOTHING RETURNING need_id""",
        portal,
        order_id,
        need_id,
        event_id,
    )
    if claimed is not None:
        return claimed
    return await conn.fetchval("SELECT need_id FROM work_orders WHERE portal = $1 AND order_id = $2", portal, order_id)
