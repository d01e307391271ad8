"""The needs service's SQL (the only place it lives)."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn
from services.needs.domain import TimelineKind

NEED_COLUMNS = (
    "id",
    "area_code",
    "category",
    "urgency",
    "channel",
    "status",
    "description",
    "required_skills",
    "target_groups",
    "window_start",
    "window_end",
    "weekly",
    "resident_ref",
    "resident_name_enc",
    "resident_phone_enc",
    "resident_cid_enc",
    "raised_by",
    "raised_at",
    "first_response_due",
)


# a migrated need (history) also states how it went on after intake
LIFECYCLE_COLUMNS = ("first_response_at", "route", "assessed_by", "resolved_at", "satisfaction")


def _insert_need_sql(columns: tuple[str, ...]) -> str:
    """The need is linked to the resident registry by the pseudonymous ref, in the same statement."""
    return (
        f"INSERT INTO needs ({', '.join(columns)}, resident_id) "
        f"SELECT {db.placeholders(len(columns))}, "
        f"(SELECT id FROM residents WHERE resident_ref = ${columns.index('resident_ref') + 1})"
    )


INSERT_ENDED_NEED = _insert_need_sql(NEED_COLUMNS + LIFECYCLE_COLUMNS)
TIMELINE_COLUMNS = ("need_id", "at", "actor", "kind", "detail", "event_id")


def _insert_step_sql(first: int = 1) -> str:
    """A timeline step, its values from parameter `first` on."""
    return (
        f"INSERT INTO need_timeline ({', '.join(TIMELINE_COLUMNS)}) "
        f"VALUES ({db.placeholders(len(TIMELINE_COLUMNS), first)})"
    )


# the need and the first step of its timeline in one statement, one round trip fewer per intake
# (the timeline's foreign key is checked at the statement's end, when the need's row is there)
INSERT_RAISED_NEED = f"WITH need AS ({_insert_need_sql(NEED_COLUMNS)}) {_insert_step_sql(len(NEED_COLUMNS) + 1)}"


class TimelineStep(NamedTuple):
    at: datetime
    actor: str
    kind: TimelineKind
    detail: dict
    event_id: UUID


async def insert_raised_needs(conn: asyncpg.Connection, needs: list[tuple[dict, TimelineStep]]) -> None:
    """New needs, each with its first timeline step (what raised it), in one round trip (executemany
    pipelines the one prepared statement)."""
    await conn.executemany(
        INSERT_RAISED_NEED, [(*(row[c] for c in NEED_COLUMNS), row["id"], *step) for row, step in needs]
    )


async def insert_ended_need(conn: asyncpg.Connection, row: dict) -> None:
    """A need migrated as it ended: intake and what followed, in one row."""
    await conn.execute(INSERT_ENDED_NEED, *(row[c] for c in NEED_COLUMNS + LIFECYCLE_COLUMNS))


async def get_need(conn: Conn, need_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM needs WHERE id = $1" + (" FOR UPDATE" if for_update else ""), need_id)


async def update_need(conn: asyncpg.Connection, need_id: UUID, **values) -> None:
    await db.update(conn, "needs", need_id, **values)


async def add_timeline(
    conn: asyncpg.Connection,
    need_id: UUID,
    at: datetime,
    actor: str,
    kind: str,
    detail: dict | None = None,
    event_id: UUID | None = None,
) -> bool:
    """False when this event is already on the timeline. Only a step the timeline has words for
    (domain.TimelineKind) is written: a new one is named there first."""
    kind = TimelineKind(kind)
    added = await conn.fetchval(
        _insert_step_sql() + " ON CONFLICT (event_id) DO NOTHING RETURNING true",
        need_id,
        at,
        actor,
        kind,
        detail or {},
        event_id,
    )
    return bool(added)


async def timeline(conn: Conn, need_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT at, actor, kind, detail FROM need_timeline WHERE need_id = $1 ORDER BY at, id", need_id
    )


async def existing_needs(conn: asyncpg.Connection, need_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM needs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", need_ids)


async def claim_overdue(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> list[asyncpg.Record]:
    """Needs past their first-response deadline and not yet escalated; other replicas skip them."""
    return await conn.fetch(
        """SELECT * FROM needs WHERE status = 'raised' AND escalated_at IS NULL AND first_response_due < $1
           ORDER BY first_response_due LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now,
        limit,
    )


# --- service levels per area ------------------------------------------------------------------


async def service_levels_of(conn: Conn, codes: list[str]) -> dict[str, asyncpg.Record]:
    """The levels the given areas set themselves, by area code (one primary-key lookup)."""
    rows = await conn.fetch("SELECT * FROM service_levels WHERE area_code = ANY($1::text[])", codes)
    return {r["area_code"]: r for r in rows}


# --- the library -----------------------------------------------------------------------------


def library_filter(
    area: str,
    category: str | None,
    target_group: str | None,
    status: str | None,
    urgency: str | None,
    overdue: bool | None,
    now: datetime,
) -> tuple[str, list]:
    """WHERE clause and arguments for a library query; the area is a code prefix (jurisdiction)."""
    clauses, args = ["area_code LIKE $1"], [code_prefix(area) + "%"]
    for column, value in (("category", category), ("status", status), ("urgency", urgency)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if target_group is not None:
        args.append(target_group)
        clauses.append(f"${len(args)} = ANY(target_groups)")
    if overdue is not None:
        args.append(now)
        test = f"(status = 'raised' AND first_response_due < ${len(args)})"
        clauses.append(test if overdue else f"NOT {test}")
    return " AND ".join(clauses), args


async def search(conn: Conn, where: str, args: list, limit: int, offset: int) -> tuple[int, list[asyncpg.Record]]:
    total = await conn.fetchval(f"SELECT count(*) FROM needs WHERE {where}", *args)
    rows = await conn.fetch(
        f"SELECT * FROM needs WHERE {where} ORDER BY raised_at DESC, id LIMIT {int(limit)} OFFSET {int(offset)}", *args
    )
    return total, rows


async def stream_rows(conn: asyncpg.Connection, where: str, args: list):
    async with conn.transaction():
        async for row in conn.cursor(f"SELECT * FROM needs WHERE {where} ORDER BY raised_at, id", *args):
            yield row


async def stats(conn: Conn, where: str, args: list, now: datetime) -> asyncpg.Record:
    args = [*args, now]
    now_param = len(args)
    return await conn.fetchrow(
        f"""WITH scope AS (SELECT * FROM needs WHERE {where})
            SELECT (SELECT count(*) FROM scope) AS total,
                   (SELECT coalesce(jsonb_object_agg(status, c), '{{}}') FROM
                        (SELECT status, count(*) c FROM scope GROUP BY status) s) AS by_status,
                   (SELECT coalesce(jsonb_object_agg(category, c), '{{}}') FROM
                        (SELECT category, count(*) c FROM scope GROUP BY category) s) AS by_category,
                   (SELECT coalesce(jsonb_object_agg(g, c), '{{}}') FROM
                        (SELECT unnest(target_groups) g, count(*) c FROM scope GROUP BY 1) s) AS by_group,
                   (SELECT count(*) FROM scope WHERE status = 'raised' AND first_response_due < ${now_param}) AS overdue,
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - raised_at) / 3600)
                      FROM scope WHERE first_response_at IS NOT NULL) AS response_p50_h,
                   (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - raised_at) / 3600)
                      FROM scope WHERE first_response_at IS NOT NULL) AS response_p90_h,
                   (SELECT avg(satisfaction)::float FROM scope WHERE satisfaction IS NOT NULL) AS mean_satisfaction""",
        *args,
    )


async def monthly(conn: Conn, area: str, since: datetime, zone: str, resolved: list[str]) -> list[asyncpg.Record]:
    """By local month (YYYY-MM) from `since`: needs raised, the median hours to their first response,
    and needs resolved (now in a `resolved` status, by the month of their latest resolution)."""
    return await conn.fetch(
        """WITH scope AS (SELECT raised_at, first_response_at, resolved_at, status FROM needs WHERE area_code LIKE $1),
                raised AS (
                    SELECT to_char(raised_at AT TIME ZONE $2, 'YYYY-MM') AS month, count(*) AS raised,
                           percentile_cont(0.5) WITHIN GROUP (
                               ORDER BY extract(epoch FROM first_response_at - raised_at) / 3600)
                               FILTER (WHERE first_response_at IS NOT NULL) AS median_h
                      FROM scope WHERE raised_at >= $3 GROUP BY 1),
                resolved AS (
                    SELECT to_char(resolved_at AT TIME ZONE $2, 'YYYY-MM') AS month, count(*) AS resolved
                      FROM scope WHERE resolved_at >= $3 AND status = ANY($4::text[]) GROUP BY 1)
           SELECT month, coalesce(raised, 0) AS raised, median_h, coalesce(resolved, 0) AS resolved
             FROM raised FULL JOIN resolved USING (month)""",
        code_prefix(area) + "%",
        zone,
        since,
        resolved,
    )


async def linkage_counts(conn: Conn, area: str, resolved: list[str]) -> list[asyncpg.Record]:
    """Per village/community of the area: (area_code, NULL, its resolved needs) and, for each actor
    on their timelines, (area_code, actor, how many of them the actor has a step on)."""
    return await conn.fetch(
        """WITH done AS (SELECT id, area_code FROM needs WHERE area_code LIKE $1 AND status = ANY($2::text[]))
           SELECT area_code, NULL::text AS actor, count(*) AS n FROM done GROUP BY area_code
           UNION ALL
           SELECT d.area_code, t.actor, count(DISTINCT d.id) FROM done d JOIN need_timeline t ON t.need_id = d.id
            GROUP BY d.area_code, t.actor""",
        code_prefix(area) + "%",
        resolved,
    )


async def revisits_due(conn: Conn, area: str, today: date) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT n.* FROM needs n WHERE n.area_code LIKE $1 AND n.revisit_due <= $2
             AND NOT EXISTS (SELECT 1 FROM revisits r WHERE r.need_id = n.id AND r.visited_at >= n.resolved_at)
           ORDER BY n.revisit_due, n.id""",
        code_prefix(area) + "%",
        today,
    )


# --- residents, surveys, visits, mediations ------------------------------------------------------


async def guardian_ref(conn: Conn, resident_ref: str) -> str | None:
    """The pseudonymous ref of the registered guardian of the resident with `resident_ref`, if any."""
    found: str | None = await conn.fetchval(
        """SELECT g.resident_ref FROM residents r JOIN residents g ON g.id = r.guardian_id
            WHERE r.resident_ref = $1""",
        resident_ref,
    )
    return found


async def get_resident(conn: Conn, resident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM residents WHERE id = $1", resident_id)


async def insert_revisit(
    conn: asyncpg.Connection, revisit_id: UUID, need_id: UUID, by: str, at: datetime, notes: str
) -> None:
    await conn.execute(
        "INSERT INTO revisits (id, need_id, visited_by, visited_at, notes) VALUES ($1,$2,$3,$4,$5)",
        revisit_id,
        need_id,
        by,
        at,
        notes,
    )


async def insert_mediation(
    conn: asyncpg.Connection, case_id: UUID, need: asyncpg.Record, reason: str, by: str, at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO mediations (id, need_id, area_code, status, reason, opened_by, opened_at)
           VALUES ($1, $2, $3, 'open', $4, $5, $6)""",
        case_id,
        need["id"],
        need["area_code"],
        reason,
        by,
        at,
    )


async def get_mediation(conn: Conn, case_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM mediations WHERE id = $1" + (" FOR UPDATE" if for_update else ""), case_id
    )


async def update_mediation(conn: asyncpg.Connection, case_id: UUID, **values) -> None:
    await db.update(conn, "mediations", case_id, **values)
