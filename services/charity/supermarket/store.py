"""The love supermarket's SQL (and only here). Points themselves are in the charity ledger
(services.charity.store); these tables hold stock and what each movement was for."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.envelope import new_id
from kit.db import Conn

# --- stock ------------------------------------------------------------------------------------


async def stock_in(
    conn: asyncpg.Connection, area_code: str, name: str, unit: str, quantity: int, price_points: int, at: datetime
) -> asyncpg.Record:
    """Add to an item's stock (opening the item on its first receipt); the new price applies to all of it."""
    return await conn.fetchrow(
        """INSERT INTO supermarket_items (id, area_code, name, unit, price_points, quantity, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (area_code, name, unit) DO UPDATE
              SET quantity = supermarket_items.quantity + excluded.quantity, price_points = excluded.price_points
           RETURNING *""",
        new_id(),
        area_code,
        name,
        unit,
        price_points,
        quantity,
        at,
    )


async def take_stock(conn: asyncpg.Connection, item_id: UUID, quantity: int) -> asyncpg.Record | None:
    """Take `quantity` off the shelf; None when there is not that much (the row stays locked until commit)."""
    return await conn.fetchrow(
        """UPDATE supermarket_items SET quantity = quantity - $2 WHERE id = $1 AND quantity >= $2 RETURNING *""",
        item_id,
        quantity,
    )


async def item(conn: Conn, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM supermarket_items WHERE id = $1", item_id)


async def stock(conn: Conn, area_code: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM supermarket_items WHERE area_code = $1 ORDER BY name, unit", area_code)


async def add_movement(
    conn: asyncpg.Connection,
    item_id: UUID,
    direction: str,
    quantity: int,
    reason: str,
    reference: str,
    by: str,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO supermarket_stock_movements
                  (item_id, direction, quantity, reason, reference, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        item_id,
        direction,
        quantity,
        reason,
        reference,
        by,
        at,
    )


# --- known holders (a projection of the volunteers' and needs services' events) ----------------


async def add_holder(conn: Conn, kind: str, ref: str, area_code: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO supermarket_holders (holder_kind, holder_ref, area_code, registered_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        kind,
        ref,
        area_code,
        at,
    )


async def holder_known(conn: Conn, kind: str, ref: str) -> bool:
    return (
        await conn.fetchval(
            "SELECT true FROM supermarket_holders WHERE holder_kind = $1 AND holder_ref = $2", kind, ref
        )
        is not None
    )


# --- points accounts (rows of the ledger's accounts table) ------------------------------------


async def points_account(conn: Conn, account_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, area_code FROM accounts WHERE id = $1 AND unit = 'points'", account_id)


# --- what each movement was for ---------------------------------------------------------------


async def add_receipt(
    conn: asyncpg.Connection,
    receipt_id: UUID,
    item_id: UUID,
    area_code: str,
    quantity: int,
    value_fen: int,
    donor_kind: str,
    donor_uscc: str | None,
    donor_name: str | None,
    by: str,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO supermarket_receipts (id, item_id, area_code, quantity, estimated_value_fen, donor_kind,
                                             donor_uscc, donor_name, received_by, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        receipt_id,
        item_id,
        area_code,
        quantity,
        value_fen,
        donor_kind,
        donor_uscc,
        donor_name,
        by,
        at,
    )


async def add_grant(
    conn: asyncpg.Connection,
    grant_id: UUID,
    reference: str,
    area_code: str,
    holder_kind: str,
    holder_ref: str,
    points: int,
    source: str,
    reason: str,
    by: str,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO supermarket_grants (id, reference, area_code, holder_kind, holder_ref, points, source, reason,
                                           granted_by, granted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        grant_id,
        reference,
        area_code,
        holder_kind,
        holder_ref,
        points,
        source,
        reason,
        by,
        at,
    )


async def add_redemption(
    conn: asyncpg.Connection,
    redemption_id: UUID,
    item_id: UUID,
    area_code: str,
    holder_kind: str,
    holder_ref: str,
    quantity: int,
    points: int,
    by: str,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO supermarket_redemptions (id, item_id, area_code, holder_kind, holder_ref, quantity, points,
                                                redeemed_by, redeemed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        redemption_id,
        item_id,
        area_code,
        holder_kind,
        holder_ref,
        quantity,
        points,
        by,
        at,
    )


# --- the monthly publication ------------------------------------------------------------------


async def grants_between(conn: Conn, area_code: str, start: datetime, end: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT holder_kind, holder_ref, points FROM supermarket_grants
            WHERE area_code = $1 AND granted_at >= $2 AND granted_at < $3""",
        area_code,
        start,
        end,
    )


async def redemptions_between(conn: Conn, area_code: str, start: datetime, end: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.holder_kind, r.holder_ref, r.quantity, r.points, i.name AS item, i.unit
             FROM supermarket_redemptions r JOIN supermarket_items i ON i.id = r.item_id
            WHERE r.area_code = $1 AND r.redeemed_at >= $2 AND r.redeemed_at < $3""",
        area_code,
        start,
        end,
    )


async def receipts_between(conn: Conn, area_code: str, start: datetime, end: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT i.name AS item, i.unit, r.quantity, r.estimated_value_fen, r.donor_kind, r.donor_name
             FROM supermarket_receipts r JOIN supermarket_items i ON i.id = r.item_id
            WHERE r.area_code = $1 AND r.received_at >= $2 AND r.received_at < $3""",
        area_code,
        start,
        end,
    )
