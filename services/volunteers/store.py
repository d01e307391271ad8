"""The volunteers service's SQL."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.envelope import Envelope
from contracts.events.needs import NeedRaised
from kit import db
from kit.db import Conn


async def record_demands(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRaised]]) -> None:
    """One statement for the whole batch (unnest), so a batch costs one round trip."""
    needs = [e.data for e in envelopes]
    await conn.execute(
        """INSERT INTO demands (need_id, area_code, category, urgency, required_skills, window_start, window_end, event_id)
           SELECT n, a, c, u, string_to_array(s, chr(31)), ws, we, e
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                       $7::timestamptz[], $8::uuid[]) AS t(n, a, c, u, s, ws, we, e)
           ON CONFLICT (need_id) DO NOTHING""",
        [n.need_id for n in needs],
        [n.area_code for n in needs],
        [n.category for n in needs],
        [str(n.urgency) for n in needs],  # a StrEnum: its str is its value (`.value` is a slow property)
        [chr(31).join(n.required_skills) for n in needs],
        [n.window_start for n in needs],
        [n.window_end for n in needs],
        [e.id for e in envelopes],
    )


async def get_demand(conn: Conn, need_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM demands WHERE need_id = $1", need_id)


# --- volunteers ---------------------------------------------------------------------------------

VOLUNTEER_COLUMNS = (
    "id",
    "volunteer_ref",
    "area_code",
    "name_enc",
    "citizen_id_enc",
    "phone_enc",
    "birth_date",
    "skills",
    "service_areas",
    "availability",
    "party_member",
    "sw_level",
    "sw_certificate_enc",
    "guardian_consent",
    "registered_by",
    "registered_at",
)


async def insert_volunteer(conn: asyncpg.Connection, row: dict) -> bool:
    """False when this citizen ID (volunteer_ref) is already registered."""
    return bool(
        await db.insert(
            conn,
            "volunteers",
            {c: row[c] for c in VOLUNTEER_COLUMNS},
            "ON CONFLICT (volunteer_ref) DO NOTHING RETURNING true",
        )
    )


async def get_volunteer(conn: Conn, volunteer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM volunteers WHERE id = $1", volunteer_id)


VOLUNTEER_FILTER = "v.area_code LIKE $1 || '%' AND ($2::text IS NULL OR $2 = ANY(v.skills))"


async def volunteer_page(
    conn: Conn, area_prefix: str, skill: str | None, limit: int, offset: int
) -> tuple[int, list[asyncpg.Record]]:
    """Volunteers living in the area (with the skill), newest registration first."""
    total = await conn.fetchval(f"SELECT count(*) FROM volunteers v WHERE {VOLUNTEER_FILTER}", area_prefix, skill)
    rows = await conn.fetch(
        f"""SELECT * FROM volunteers v WHERE {VOLUNTEER_FILTER}
                                 ORDER BY v.registered_at DESC, v.id LIMIT $3 OFFSET $4""",
        area_prefix,
        skill,
        limit,
        offset,
    )
    return total, rows


async def volunteers_in(conn: asyncpg.Connection, area_prefix: str, skill: str | None):
    """The same rows, all of them, streamed (a search that must decrypt each one)."""
    async with conn.transaction(readonly=True):
        async for row in conn.cursor(
            f"SELECT * FROM volunteers v WHERE {VOLUNTEER_FILTER} ORDER BY v.registered_at DESC, v.id",
            area_prefix,
            skill,
        ):
            yield row


async def candidates(conn: Conn, county_prefix: str, since) -> list[asyncpg.Record]:
    """Volunteers living or offering to serve in the task's county, with their record of service."""
    return await conn.fetch(
        """SELECT v.id, v.volunteer_ref, v.area_code, v.name_enc, v.skills, v.service_areas, v.availability,
                  coalesce((SELECT sum(minutes) FROM hour_logs h WHERE h.volunteer_id = v.id
                             AND h.status IN ('logged', 'verified') AND h.check_in >= $2), 0) AS recent_minutes,
                  (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id AND a.status = 'accepted') AS done,
                  (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id AND a.status = 'no_show') AS no_shows,
                  (SELECT avg(s.satisfaction)::float FROM satisfaction s JOIN assignments a
                     ON a.task_id = s.task_id AND a.volunteer_id = v.id AND a.status = 'accepted') AS mean_satisfaction
           FROM volunteers v
           WHERE v.area_code LIKE $1 || '%' OR EXISTS (
                 SELECT 1 FROM unnest(v.service_areas) a WHERE $1 LIKE a || '%' OR a LIKE $1 || '%')""",
        county_prefix,
        since,
    )


# --- tasks and invitations ------------------------------------------------------------------------

TASK_COLUMNS = (
    "id",
    "need_id",
    "area_code",
    "title",
    "description",
    "required_skills",
    "slots",
    "window_start",
    "window_end",
    "place",
    "source",
    "created_by",
    "created_at",
)


async def insert_task(conn: asyncpg.Connection, row: dict) -> bool:
    """False when the need already has its task (a redelivered NeedRouted)."""
    return bool(
        await db.insert(
            conn, "tasks", {c: row[c] for c in TASK_COLUMNS}, "ON CONFLICT (need_id) DO NOTHING RETURNING true"
        )
    )


TASK_VIEW = """SELECT t.*, (SELECT count(*) FROM assignments a WHERE a.task_id = t.id AND a.status = 'accepted')
                          AS accepted FROM tasks t"""


async def get_task(conn: Conn, task_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    if for_update:
        return await conn.fetchrow("SELECT *, 0 AS accepted FROM tasks WHERE id = $1 FOR UPDATE", task_id)
    return await conn.fetchrow(TASK_VIEW + " WHERE t.id = $1", task_id)


async def task_of_need(conn: Conn, need_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(TASK_VIEW + " WHERE t.need_id = $1", need_id)


async def list_tasks(
    conn: Conn, area_prefix: str, status: str | None, organizer: list[str] | None = None
) -> list[asyncpg.Record]:
    """The tasks of an area (in one status), oldest first; `organizer`: only those created by one of these."""
    return await conn.fetch(
        TASK_VIEW
        + """ WHERE t.area_code LIKE $1 || '%' AND ($2::text IS NULL OR t.status = $2)
                          AND ($3::text[] IS NULL OR t.created_by = ANY($3)) ORDER BY t.created_at""",
        area_prefix,
        status,
        organizer,
    )


async def participants(conn: Conn, task_id: UUID) -> list[asyncpg.Record]:
    """Everyone invited to the task, with how they answered, in the order they were invited."""
    return await conn.fetch(
        """SELECT v.id, v.volunteer_ref, v.name_enc, a.status FROM assignments a JOIN volunteers v ON v.id = a.volunteer_id
            WHERE a.task_id = $1 ORDER BY a.invited_at, v.id""",
        task_id,
    )


async def task_minutes(conn: Conn, task_id: UUID) -> dict[str, int]:
    """The task's minutes served, by the status of their log (open logs have none yet)."""
    rows = await conn.fetch(
        """SELECT status, coalesce(sum(minutes), 0) AS minutes FROM hour_logs
            WHERE task_id = $1 AND minutes IS NOT NULL GROUP BY status""",
        task_id,
    )
    return {r["status"]: int(r["minutes"]) for r in rows}


async def invite(conn: asyncpg.Connection, task_id: UUID, volunteer_id: UUID, score: float | None, by: str, at) -> bool:
    added = await conn.fetchval(
        """INSERT INTO assignments (task_id, volunteer_id, status, score, invited_by, invited_at)
           VALUES ($1, $2, 'invited', $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        task_id,
        volunteer_id,
        score,
        by,
        at,
    )
    return bool(added)


async def get_assignment(conn: Conn, task_id: UUID, volunteer_id: UUID, *, for_update: bool = False):
    return await conn.fetchrow(
        "SELECT * FROM assignments WHERE task_id = $1 AND volunteer_id = $2" + (" FOR UPDATE" if for_update else ""),
        task_id,
        volunteer_id,
    )


async def respond(conn: asyncpg.Connection, task_id: UUID, volunteer_id: UUID, status: str, at) -> None:
    await conn.execute(
        "UPDATE assignments SET status = $3, responded_at = $4 WHERE task_id = $1 AND volunteer_id = $2",
        task_id,
        volunteer_id,
        status,
        at,
    )


async def accepted_count(conn: Conn, task_id: UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM assignments WHERE task_id = $1 AND status = 'accepted'", task_id)


async def set_task_status(conn: asyncpg.Connection, task_id: UUID, status: str) -> None:
    await conn.execute("UPDATE tasks SET status = $2 WHERE id = $1", task_id, status)


# --- hours -------------------------------------------------------------------------------------


async def logs_between(conn: Conn, volunteer_id: UUID, start, end) -> list[asyncpg.Record]:
    """The volunteer's logs that could overlap [start, end), open ones included; rejected ones don't count."""
    return await conn.fetch(
        """SELECT * FROM hour_logs WHERE volunteer_id = $1 AND status <> 'rejected'
             AND check_in < $3 AND coalesce(check_out, 'infinity') > $2""",
        volunteer_id,
        start,
        end,
    )


async def minutes_on_day(conn: Conn, volunteer_id: UUID, day_start, day_end) -> int:
    return await conn.fetchval(
        """SELECT coalesce(sum(minutes), 0) FROM hour_logs WHERE volunteer_id = $1 AND status <> 'rejected'
             AND check_in >= $2 AND check_in < $3""",
        volunteer_id,
        day_start,
        day_end,
    )


async def open_log(conn: Conn, task_id: UUID, volunteer_id: UUID, *, for_update: bool = False):
    return await conn.fetchrow(
        "SELECT * FROM hour_logs WHERE task_id = $1 AND volunteer_id = $2 AND status = 'open'"
        + (" FOR UPDATE" if for_update else ""),
        task_id,
        volunteer_id,
    )


async def insert_log(conn: asyncpg.Connection, row: dict) -> None:
    await db.insert(conn, "hour_logs", row)


async def update_log(conn: asyncpg.Connection, log_id: UUID, **values) -> None:
    await db.update(conn, "hour_logs", log_id, **values)


HOURS_FILTER = """h.area_code LIKE $1 || '%' AND h.status = $2
                  AND ($3::text[] IS NULL OR t.created_by = ANY($3))"""


async def hours_page(
    conn: Conn, area_prefix: str, status: str, organizer: list[str] | None, limit: int, offset: int
) -> tuple[int, list[asyncpg.Record]]:
    """Hours records of an area in one status, newest first, with their task's title and the
    volunteer's (encrypted) name; `organizer`: only those of tasks created by one of these."""
    total = await conn.fetchval(
        f"SELECT count(*) FROM hour_logs h JOIN tasks t ON t.id = h.task_id WHERE {HOURS_FILTER}",
        area_prefix,
        status,
        organizer,
    )
    rows = await conn.fetch(
        f"""SELECT h.*, t.title AS task_title, v.name_enc FROM hour_logs h
              JOIN tasks t ON t.id = h.task_id JOIN volunteers v ON v.id = h.volunteer_id
             WHERE {HOURS_FILTER} ORDER BY h.check_in DESC, h.id LIMIT $4 OFFSET $5""",
        area_prefix,
        status,
        organizer,
        limit,
        offset,
    )
    return total, rows


async def get_log(conn: Conn, log_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM hour_logs WHERE id = $1" + (" FOR UPDATE" if for_update else ""), log_id)


async def record_satisfaction(conn: asyncpg.Connection, need_id: UUID, satisfaction: int) -> None:
    await conn.execute(
        """INSERT INTO satisfaction (need_id, task_id, satisfaction)
           SELECT $1, id, $2 FROM tasks WHERE need_id = $1
           ON CONFLICT (need_id) DO UPDATE SET satisfaction = excluded.satisfaction""",
        need_id,
        satisfaction,
    )


async def insert_checkin_code(conn: Conn, code_hash: str, task_id: UUID, expires_at, by: str) -> None:
    await conn.execute(
        "INSERT INTO checkin_codes (code_hash, task_id, expires_at, created_by) VALUES ($1, $2, $3, $4)",
        code_hash,
        task_id,
        expires_at,
        by,
    )


async def use_checkin_code(conn: asyncpg.Connection, code_hash: str, task_id: UUID, volunteer_id: UUID, at) -> bool:
    """Consume a valid, unused code of this task; False if there is none."""
    used = await conn.fetchval(
        """UPDATE checkin_codes SET used_by = $3, used_at = $4
           WHERE code_hash = $1 AND task_id = $2 AND used_at IS NULL AND expires_at > $4 RETURNING true""",
        code_hash,
        task_id,
        volunteer_id,
        at,
    )
    return bool(used)


async def invited_ref(conn: Conn, task_id: UUID, volunteer_ref: str) -> bool:
    """Whether the volunteer with this ref has an invitation (of any outcome) to the task."""
    return bool(
        await conn.fetchval(
            """SELECT true FROM assignments a JOIN volunteers v ON v.id = a.volunteer_id
           WHERE a.task_id = $1 AND v.volunteer_ref = $2""",
            task_id,
            volunteer_ref,
        )
    )


# --- a volunteer by their ref (a volunteer's token names them by it) --------------------------------------


async def volunteer_by_ref(conn: Conn, volunteer_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM volunteers WHERE volunteer_ref = $1", volunteer_ref)
