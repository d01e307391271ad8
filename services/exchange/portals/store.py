"""The SQL of portal callbacks: the needs that came from a portal's work order, the portal's
callback (a webhook subscription owned by the portal) and the messages queued on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from kit.db import AnyConnection, Conn


async def remember_orders(conn: AnyConnection, orders: Sequence[tuple[UUID, str, str]]) -> None:
    """(need, portal, order number) of needs raised from a work order, once each."""
    if orders:
        await conn.execute(
            """INSERT INTO portal_work_orders (need_id, portal, order_id, stage)
               SELECT need_id, portal, order_id, 'new' FROM unnest($1::uuid[], $2::text[], $3::text[])
                   AS o (need_id, portal, order_id)
               ON CONFLICT (need_id) DO NOTHING""",
            [o[0] for o in orders],
            [o[1] for o in orders],
            [o[2] for o in orders],
        )


async def orders_of(conn: AnyConnection, need_ids: Sequence[UUID]) -> dict[UUID, asyncpg.Record]:
    """The work orders behind these needs (most needs have none), with their portal's callback."""
    rows = await conn.fetch(
        """SELECT o.*, s.id AS callback_id FROM portal_work_orders o
           LEFT JOIN webhook_subscriptions s ON s.portal = o.portal
           WHERE o.need_id = ANY($1::uuid[])""",
        list(need_ids),
    )
    return {r["need_id"]: r for r in rows}


async def advance(conn: AnyConnection, need_id: UUID, stage: str, routed: int) -> None:
    await conn.execute(
        "UPDATE portal_work_orders SET stage = $2, routed = $3, updated_at = now() WHERE need_id = $1",
        need_id,
        stage,
        routed,
    )


async def queue_message(conn: AnyConnection, callback_id: UUID, message_id: UUID, body: dict[str, Any]) -> None:
    """One delivery on the callback, after every one queued before it (the sequence keeps the order)."""
    await conn.execute(
        """INSERT INTO webhook_deliveries (subscription_id, event_id, seq, type, body)
           VALUES ($1, $2, nextval('portal_message_seq'), $3, $4)""",
        callback_id,
        message_id,
        body["type"],
        body,
    )


# --- callbacks (wushe portal) -----------------------------------------------------------------------


async def callback(conn: Conn, portal: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM webhook_subscriptions WHERE portal = $1", portal)


async def add_callback(
    conn: Conn, subscription_id: UUID, portal: str, label: str, url: str, area: str, sealed: bytes
) -> None:
    await conn.execute(
        """INSERT INTO webhook_subscriptions
               (id, portal, portal_label, url, types, area_code, area_prefix, rate_limit_per_s, secret)
           VALUES ($1, $2, $3, $4, '{}', $5, '', 10, $6)""",
        subscription_id,
        portal,
        label,
        url,
        area,
        sealed,
    )


async def change_callback(conn: Conn, subscription_id: UUID, label: str, url: str, sealed: bytes) -> None:
    await conn.execute(
        """UPDATE webhook_subscriptions SET portal_label = $2, url = $3, secret = $4, previous_secret = NULL,
                  previous_secret_until = NULL, updated_at = now() WHERE id = $1""",
        subscription_id,
        label,
        url,
        sealed,
    )
