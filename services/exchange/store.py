"""The exchange service's SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from contracts.envelope import Envelope
from contracts.subjects import event_subject
from kit.db import AnyConnection

SEQUENCE_LOCK = 0x5EC0_0001  # taken by every transaction that numbers public events


async def add_public_events(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    """Number them under the lock, held to commit, so public events commit in `seq` order."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", SEQUENCE_LOCK)
    await conn.execute(
        """INSERT INTO public_events (event_id, type, area_code, subject, occurred_at, envelope)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])""",
        [e.id for e in envelopes],
        [e.type for e in envelopes],
        [e.area_code for e in envelopes],
        [event_subject(type(e.data), e.area_code) for e in envelopes],
        [e.time for e in envelopes],
        [e.model_dump(mode="json") for e in envelopes],
    )


async def page_of_public_events(
    conn: AnyConnection, after: int, types: list[str], area_prefix: str, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT seq, envelope FROM public_events
           WHERE seq > $1 AND type = ANY($2::text[]) AND area_code LIKE $3 || '%'
           ORDER BY seq LIMIT $4""",
        after,
        types,
        area_prefix,
        limit,
    )


async def pruned_through(conn: AnyConnection) -> int:
    return await conn.fetchval("SELECT pruned_through FROM public_events_horizon")


async def latest_seq(conn: AnyConnection) -> int:
    return await conn.fetchval("SELECT coalesce(max(seq), 0) FROM public_events")


async def prune_public_events(conn: AnyConnection, older_than: datetime, batch: int) -> int:
    """Drop one batch of the oldest public events before `older_than`; the horizon moves with them."""
    pruned = await conn.fetchval(
        """WITH gone AS (
               DELETE FROM public_events WHERE seq IN (
                   SELECT seq FROM public_events WHERE occurred_at < $1 ORDER BY seq LIMIT $2)
               RETURNING seq)
           SELECT max(seq) FROM gone""",
        older_than,
        batch,
    )
    if pruned is None:
        return 0
    await conn.execute("UPDATE public_events_horizon SET pruned_through = greatest(pruned_through, $1)", pruned)
    return pruned


# --- partners -------------------------------------------------------------------------------------


async def partner(conn: AnyConnection, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM partners WHERE name = $1", name)


async def partners(conn: AnyConnection, active_only: bool = False) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM partners WHERE NOT $1 OR revoked_at IS NULL ORDER BY created_at, name", active_only
    )


async def add_partner(
    conn: AnyConnection, name: str, label: str, area_code: str, events: list[str], nkey: str | None = None
) -> None:
    """A new partner, or one registered again (a new scope, a new nkey; revoked or not)."""
    await conn.execute(
        """INSERT INTO partners (name, label, area_code, events, nkey) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (name) DO UPDATE SET label = $2, area_code = $3, events = $4, nkey = $5,
                                            created_at = now(), revoked_at = NULL""",
        name,
        label,
        area_code,
        events,
        nkey,
    )


async def revoke_partner(conn: AnyConnection, name: str) -> bool:
    done = await conn.execute("UPDATE partners SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name)
    return done != "UPDATE 0"
