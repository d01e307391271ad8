"""SQL of the registry: organizations and their grades, platforms, communities, purchase lists and the
statistics. Areas are matched by code prefix (contracts.areas.code_prefix).

`record_grade`, `eligibility_facts`, `org_admins` and `purchase_item` are for the project library's
handlers, inside their own transactions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import ancestors
from kit import db
from kit.db import Conn
from services.projects.registry.domain import worst_by_year

# --- organizations -----------------------------------------------------------------------------------------


async def insert_organization(conn: Conn, row: dict) -> asyncpg.Record | None:
    """The new row, or None when the USCC is registered already."""
    return await conn.fetchrow(
        db.insert_sql("organizations", tuple(row), "ON CONFLICT (uscc) DO NOTHING RETURNING *"), *row.values()
    )


async def get_organization(conn: Conn, uscc: str, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM organizations WHERE uscc = $1" + (" FOR UPDATE" if for_update else ""), uscc
    )


async def update_organization(conn: Conn, uscc: str, at: datetime, **changes) -> asyncpg.Record:
    sets = db.set_clause(changes, 3)
    return await conn.fetchrow(
        f"UPDATE organizations SET {sets}, updated_at = $2, version = version + 1 WHERE uscc = $1 RETURNING *",
        uscc,
        at,
        *changes.values(),
    )


async def list_organizations(
    conn: Conn,
    area_prefix: str,
    *,
    category: str | None,
    hub: bool | None,
    status: str | None,
    admin: str | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """`admin`: only the organizations that account administers."""
    return await conn.fetch(
        """SELECT * FROM organizations
            WHERE area_code LIKE $1 || '%' AND ($2::text IS NULL OR category = $2) AND ($3::bool IS NULL OR hub = $3)
              AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR admin_accounts @> ARRAY[$5::text])
            ORDER BY area_code, uscc LIMIT $6 OFFSET $7""",
        area_prefix,
        category,
        hub,
        status,
        admin,
        limit,
        offset,
    )


async def org_admins(conn: Conn, uscc: str) -> list[str]:
    """The token subjects that act for the organization (role org_admin); [] for an unknown one."""
    return list(await conn.fetchval("SELECT admin_accounts FROM organizations WHERE uscc = $1", uscc) or [])


# --- grades ----------------------------------------------------------------------------------------------------


async def record_grade(
    conn: Conn, uscc: str, year: int, grade: str, project_id: UUID, score: float, at: datetime
) -> None:
    """A project's evaluation grade for its organization; evaluating the project again replaces it."""
    await conn.execute(
        """INSERT INTO org_grades (uscc, year, grade, project_id, score, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (uscc, year, project_id) DO UPDATE
              SET grade = excluded.grade, score = excluded.score, recorded_at = excluded.recorded_at""",
        uscc,
        year,
        grade,
        project_id,
        score,
        at,
    )


async def grades_of(conn: Conn, uscc: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM org_grades WHERE uscc = $1 ORDER BY year DESC, recorded_at DESC, project_id", uscc
    )


async def eligibility_facts(conn: Conn, uscc: str) -> tuple[asyncpg.Record | None, dict[int, str]]:
    """The organization's row and {year: worst grade of that year}, for domain.check_eligible."""
    org = await get_organization(conn, uscc)
    if org is None:
        return None, {}
    rows = await conn.fetch("SELECT year, grade FROM org_grades WHERE uscc = $1", uscc)
    return org, worst_by_year((r["year"], r["grade"]) for r in rows)


# --- platforms ---------------------------------------------------------------------------------------------------


async def insert_platform(conn: Conn, row: dict) -> bool:
    """False when the township has its station already."""
    return bool(
        await db.insert(
            conn, "platforms", row, "ON CONFLICT (area_code) WHERE kind = 'station' DO NOTHING RETURNING true"
        )
    )


async def get_platform(conn: Conn, platform_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM platforms WHERE id = $1", platform_id)


async def list_platforms(conn: Conn, area_prefix: str, kind: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.*, o.name AS operator_name FROM platforms p LEFT JOIN organizations o ON o.uscc = p.operator_uscc
            WHERE p.area_code LIKE $1 || '%' AND ($2::text IS NULL OR p.kind = $2)
            ORDER BY p.area_code, p.kind, p.created_at, p.id""",
        area_prefix,
        kind,
    )


# --- communities -------------------------------------------------------------------------------------------------


async def replace_communities(
    conn: Conn, area_prefix: str, rows: list[tuple[str, bool]], by: str, at: datetime
) -> None:
    """The communities under the area are exactly `rows` (code, urban) afterwards."""
    codes = [code for code, _ in rows]
    await conn.execute(
        "DELETE FROM communities WHERE area_code LIKE $1 || '%' AND NOT area_code = ANY($2::text[])", area_prefix, codes
    )
    await conn.execute(
        """INSERT INTO communities (area_code, urban, registered_by, registered_at)
           SELECT unnest($1::text[]), unnest($2::bool[]), $3, $4 ON CONFLICT (area_code) DO NOTHING""",
        codes,
        [urban for _, urban in rows],
        by,
        at,
    )


async def communities(conn: Conn, area_prefix: str, *, urban_only: bool = False) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM communities WHERE area_code LIKE $1 || '%' AND (urban OR NOT $2) ORDER BY area_code",
        area_prefix,
        urban_only,
    )


# --- statistics --------------------------------------------------------------------------------------------------


async def organization_counts(conn: Conn, area_prefix: str) -> list[asyncpg.Record]:
    """Registered organizations of the area by category and legal type, with their full-time staff."""
    return await conn.fetch(
        """SELECT category, legal_type, count(*) AS n, sum(full_time_staff) AS staff FROM organizations
            WHERE area_code LIKE $1 || '%' AND status = 'registered' GROUP BY category, legal_type""",
        area_prefix,
    )


async def organizations_by_community(conn: Conn, area_prefix: str) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT area_code, count(*) AS n FROM organizations
            WHERE area_code LIKE $1 || '%' AND status = 'registered' AND length(area_code) = 12 GROUP BY area_code""",
        area_prefix,
    )
    return {r["area_code"]: r["n"] for r in rows}


async def hub_areas(conn: Conn, area: str, area_prefix: str) -> list[str]:
    """Registration areas of the hubs that reach into the area: inside it, or above it."""
    rows = await conn.fetch(
        """SELECT DISTINCT area_code FROM organizations WHERE hub AND status = 'registered'
              AND (area_code LIKE $1 || '%' OR area_code = ANY($2::text[]))""",
        area_prefix,
        ancestors(area),
    )
    return [r["area_code"] for r in rows]


async def registrations_by_month(conn: Conn, area_prefix: str, zone: str) -> dict[str, int]:
    """The change in the area's registered organizations by local month (YYYY-MM), all history:
    +1 in the month of registration, -1 in the month of deregistration (a deregistered record never
    changes again, so its updated_at is when it was deregistered)."""
    rows = await conn.fetch(
        """SELECT month, sum(n)::int AS n FROM (
               SELECT to_char(registered_at AT TIME ZONE $2, 'YYYY-MM') AS month, count(*) AS n
                 FROM organizations WHERE area_code LIKE $1 || '%' GROUP BY 1
               UNION ALL
               SELECT to_char(updated_at AT TIME ZONE $2, 'YYYY-MM'), -count(*)
                 FROM organizations WHERE area_code LIKE $1 || '%' AND status = 'deregistered' GROUP BY 1) changes
           GROUP BY month""",
        area_prefix,
        zone,
    )
    return {r["month"]: r["n"] for r in rows}


async def station_openings(conn: Conn, area_prefix: str) -> list[asyncpg.Record]:
    """(area_code, opened_on) of the area's social-work stations."""
    return await conn.fetch(
        "SELECT area_code, opened_on FROM platforms WHERE area_code LIKE $1 || '%' AND kind = 'station'", area_prefix
    )


async def platform_counts(conn: Conn, area_prefix: str, kind: str) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT area_code, count(*) AS n FROM platforms WHERE area_code LIKE $1 || '%' AND kind = $2
            GROUP BY area_code""",
        area_prefix,
        kind,
    )
    return {r["area_code"]: r["n"] for r in rows}


# --- the purchase list -------------------------------------------------------------------------------------------


async def replace_purchase_list(conn: Conn, area: str, year: int, items: list[dict], by: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO purchase_lists (area_code, year, updated_by, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (area_code, year) DO UPDATE
              SET updated_by = excluded.updated_by, updated_at = excluded.updated_at""",
        area,
        year,
        by,
        at,
    )
    await conn.execute("DELETE FROM purchase_items WHERE area_code = $1 AND year = $2", area, year)
    await conn.execute(
        """INSERT INTO purchase_items (area_code, year, code, name, category, max_budget_fen, seq)
           SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[])""",
        area,
        year,
        [i["code"] for i in items],
        [i["name"] for i in items],
        [i["category"] for i in items],
        [i["max_budget_fen"] for i in items],
        list(range(len(items))),
    )


async def purchase_list(conn: Conn, area: str, year: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM purchase_lists WHERE area_code = $1 AND year = $2", area, year)


async def purchase_items_along(conn: Conn, area: str, year: int) -> dict[str, list[asyncpg.Record]]:
    """{area: its items in list order} for the area and every area above it."""
    rows = await conn.fetch(
        "SELECT * FROM purchase_items WHERE area_code = ANY($1::text[]) AND year = $2 ORDER BY area_code, seq",
        ancestors(area),
        year,
    )
    lists: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        lists.setdefault(row["area_code"], []).append(row)
    return lists


async def purchase_item(conn: Conn, area: str, year: int, code: str) -> asyncpg.Record | None:
    """The item `code` of the year's list of the area or, failing that, of the nearest area above it
    (a county's list applies to its communities); None when no list holds it or the area is unknown."""
    try:
        chain = ancestors(area)
    except KeyError:
        return None
    return await conn.fetchrow(
        """SELECT * FROM purchase_items WHERE area_code = ANY($1::text[]) AND year = $2 AND code = $3
            ORDER BY array_position($1::text[], area_code) DESC LIMIT 1""",
        chain,
        year,
        code,
    )
