"""SQL of portal work orders."""

from __future__ import annotations

from uuid import UUID

import asyncpg

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


async def portal_requests(conn: AnyConnection, portal: str, order_ids: list[str], limit: int) -> list[asyncpg.Record]:
    """A portal's orders and how their needs stand, newest first (only these order ids, if any)."""
    return await conn.fetch(
        """SELECT w.order_id, w.need_id, w.received_at, n.status, n.category, n.area_code, n.route,
                  greatest(n.raised_at, n.first_response_at, n.matched_at, n.resolved_at) AS updated_at
           FROM work_orders w JOIN needs n ON n.id = w.need_id
           WHERE w.portal = $1 AND (cardinality($2::text[]) = 0 OR w.order_id = ANY($2::text[]))
           ORDER BY w.received_at DESC LIMIT $3""",
        portal,
        order_ids,
        limit,
    )
