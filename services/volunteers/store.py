"""The volunteers service's SQL."""
from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.envelope import Envelope
from contracts.events.needs import NeedRaised


async def record_demands(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRaised]]) -> None:
    """One statement for the whole batch (unnest), so a batch costs one round trip."""
    needs = [e.data for e in envelopes]
    await conn.execute(
        """INSERT INTO demands (need_id, area_code, category, urgency, required_skills, window_start, window_end, event_id)
           SELECT n, a, c, u, string_to_array(s, chr(31)), ws, we, e
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                       $7::timestamptz[], $8::uuid[]) AS t(n, a, c, u, s, ws, we, e)
           ON CONFLICT (need_id) DO NOTHING""",
        [n.need_id for n in needs], [n.area_code for n in needs], [n.category for n in needs],
        [n.urgency.value for n in needs], [chr(31).join(n.required_skills) for n in needs],
        [n.window_start for n in needs], [n.window_end for n in needs], [e.id for e in envelopes],
    )


async def get_demand(conn: asyncpg.Pool | asyncpg.Connection, need_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM demands WHERE need_id = $1", need_id)
