"""SQL of the organization: facilities, stations, teams, training, supervision and statistics.
Areas are matched by code prefix (contracts.areas.code_prefix)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from kit.db import Conn

# --- facilities and stations ----------------------------------------------------------------


async def insert_facility(conn: Conn, facility_id: UUID, area_code: str, name: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO facilities (id, area_code, name, created_at) VALUES ($1, $2, $3, $4)",
        facility_id,
        area_code,
        name,
        at,
    )


async def get_facility(conn: Conn, facility_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM facilities WHERE id = $1", facility_id)


async def list_facilities(conn: Conn, area_prefix: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT f.*, s.id AS station_id FROM facilities f LEFT JOIN stations s ON s.facility_id = f.id
            WHERE f.area_code LIKE $1 || '%' ORDER BY f.created_at, f.id""",
        area_prefix,
    )


async def insert_station(conn: Conn, row: dict) -> bool:
    """False when the facility already has its station."""
    added = await conn.fetchval(
        """INSERT INTO stations (id, facility_id, name, area_code, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (facility_id) DO NOTHING RETURNING true""",
        row["id"],
        row["facility_id"],
        row["name"],
        row["area_code"],
        row["created_at"],
    )
    return bool(added)


async def get_station(conn: Conn, station_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM stations WHERE id = $1", station_id)


async def list_stations(conn: Conn, area_prefix: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.*, f.name AS facility_name FROM stations s JOIN facilities f ON f.id = s.facility_id
            WHERE s.area_code LIKE $1 || '%' ORDER BY s.created_at, s.id""",
        area_prefix,
    )


# --- people -----------------------------------------------------------------------------------


async def volunteers(conn: Conn, ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, volunteer_ref, area_code, name_enc, sw_level FROM volunteers WHERE id = ANY($1::uuid[])", ids
    )
    return {r["id"]: r for r in rows}


# --- teams ------------------------------------------------------------------------------------


async def insert_team(conn: Conn, row: dict) -> None:
    await conn.execute(
        """INSERT INTO teams (id, name, area_code, station_id, supervisor_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        row["id"],
        row["name"],
        row["area_code"],
        row["station_id"],
        row["supervisor_id"],
        row["created_at"],
    )


async def get_team(conn: Conn, team_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """The team with its supervisor's volunteer_ref (who may record supervision)."""
    return await conn.fetchrow(
        """SELECT t.*, v.volunteer_ref AS supervisor_ref FROM teams t LEFT JOIN volunteers v ON v.id = t.supervisor_id
            WHERE t.id = $1"""
        + (" FOR UPDATE OF t" if for_update else ""),
        team_id,
    )


async def add_members(conn: Conn, team_id: UUID, volunteer_ids: list[UUID]) -> int:
    """Adds the ones not yet in the team; returns how many were added."""
    added = await conn.fetch(
        """INSERT INTO team_members (team_id, volunteer_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING RETURNING volunteer_id""",
        team_id,
        volunteer_ids,
    )
    return len(added)


async def member_ids(conn: Conn, team_id: UUID) -> list[UUID]:
    rows = await conn.fetch("SELECT volunteer_id FROM team_members WHERE team_id = $1 ORDER BY volunteer_id", team_id)
    return [r["volunteer_id"] for r in rows]


async def insert_training(
    conn: Conn, training_id: UUID, team_id: UUID, course: str, held_on: date, attendees: list[UUID], by: str
) -> None:
    await conn.execute(
        """INSERT INTO trainings (id, team_id, course, held_on, attendees, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        training_id,
        team_id,
        course,
        held_on,
        attendees,
        by,
    )


async def list_trainings(conn: Conn, team_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM trainings WHERE team_id = $1 ORDER BY held_on DESC, id", team_id)


async def insert_supervision(
    conn: Conn, supervision_id: UUID, team_id: UUID, social_worker: UUID, held_at: datetime, notes: str
) -> None:
    await conn.execute(
        """INSERT INTO supervisions (id, team_id, social_worker, held_at, notes) VALUES ($1, $2, $3, $4, $5)""",
        supervision_id,
        team_id,
        social_worker,
        held_at,
        notes,
    )


# --- statistics -------------------------------------------------------------------------------


async def volunteer_counts(conn: Conn, area_prefix: str, active_since: datetime) -> asyncpg.Record:
    """Volunteers living in the area: registered, party members, and active (a logged or verified
    log checked in since `active_since`, wherever they served)."""
    return await conn.fetchrow(
        """SELECT count(*) AS registered,
                  count(*) FILTER (WHERE v.party_member) AS party_members,
                  count(*) FILTER (WHERE EXISTS (
                      SELECT 1 FROM hour_logs h WHERE h.volunteer_id = v.id
                         AND h.status IN ('logged', 'verified') AND h.check_in >= $2)) AS active
             FROM volunteers v WHERE v.area_code LIKE $1 || '%'""",
        area_prefix,
        active_since,
    )


async def social_workers_by_level(conn: Conn, area_prefix: str) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT sw_level, count(*) AS n FROM volunteers
            WHERE area_code LIKE $1 || '%' AND sw_level IS NOT NULL GROUP BY sw_level""",
        area_prefix,
    )
    return {r["sw_level"]: r["n"] for r in rows}


async def verified_minutes_by_month(conn: Conn, area_prefix: str, since: datetime, zone: str) -> dict[str, int]:
    """Verified minutes served in the area, by local calendar month (YYYY-MM) of check-in."""
    rows = await conn.fetch(
        """SELECT to_char(check_in AT TIME ZONE $3, 'YYYY-MM') AS month, sum(minutes) AS minutes
             FROM hour_logs WHERE area_code LIKE $1 || '%' AND status = 'verified' AND check_in >= $2
            GROUP BY month""",
        area_prefix,
        since,
        zone,
    )
    return {r["month"]: int(r["minutes"]) for r in rows}


async def minutes_by_status(conn: Conn, area_prefix: str) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT status, coalesce(sum(minutes), 0) AS minutes FROM hour_logs
            WHERE area_code LIKE $1 || '%' AND status IN ('logged', 'verified', 'rejected') GROUP BY status""",
        area_prefix,
    )
    return {r["status"]: int(r["minutes"]) for r in rows}


async def social_workers_by_month(conn: Conn, area_prefix: str, zone: str) -> dict[str, int]:
    """Social workers living in the area, by the local month (YYYY-MM) they registered, all history."""
    rows = await conn.fetch(
        """SELECT to_char(registered_at AT TIME ZONE $2, 'YYYY-MM') AS month, count(*) AS n FROM volunteers
            WHERE area_code LIKE $1 || '%' AND sw_level IS NOT NULL GROUP BY month""",
        area_prefix,
        zone,
    )
    return {r["month"]: r["n"] for r in rows}


async def facilities_by_month(conn: Conn, area_prefix: str, zone: str) -> tuple[dict[str, int], dict[str, int]]:
    """The area's facilities, and its stations, by the local month (YYYY-MM) they were set up, all history."""
    rows = await conn.fetch(
        """SELECT 'facility' AS kind, to_char(created_at AT TIME ZONE $2, 'YYYY-MM') AS month, count(*) AS n
             FROM facilities WHERE area_code LIKE $1 || '%' GROUP BY 2
           UNION ALL
           SELECT 'station', to_char(created_at AT TIME ZONE $2, 'YYYY-MM'), count(*)
             FROM stations WHERE area_code LIKE $1 || '%' GROUP BY 2""",
        area_prefix,
        zone,
    )
    by_kind: dict[str, dict[str, int]] = {"facility": {}, "station": {}}
    for r in rows:
        by_kind[r["kind"]][r["month"]] = r["n"]
    return by_kind["facility"], by_kind["station"]


async def station_counts(conn: Conn, area_prefix: str) -> asyncpg.Record:
    return await conn.fetchrow(
        """SELECT count(*) AS facilities, count(s.id) AS with_station
             FROM facilities f LEFT JOIN stations s ON s.facility_id = f.id
            WHERE f.area_code LIKE $1 || '%'""",
        area_prefix,
    )
