"""The projects service's SQL for the project library, funding, bids, milestones and evaluation
(the registry keeps its own in registry/store.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn

# --- projects ------------------------------------------------------------------------------------------


async def insert_project(conn: Conn, row: dict) -> None:
    await db.insert(conn, "projects", row)


# the awarded organization's registered name beside its code, so that no reader is shown a bare USCC
ORG_NAME = "(SELECT o.name FROM organizations o WHERE o.uscc = {}.organization_uscc) AS organization_name"


async def get_project(conn: Conn, project_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT p.*, {ORG_NAME.format('p')} FROM projects p WHERE id = $1"
        + (" FOR UPDATE OF p" if for_update else ""),
        project_id,
    )


async def project_by_review(conn: Conn, review_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM projects WHERE review_id = $1 FOR UPDATE", review_id)


async def update_project(conn: Conn, project_id: UUID, at: datetime, **changes) -> None:
    await db.update(conn, "projects", project_id, **{**changes, "updated_at": at})


async def list_projects(
    conn: Conn, area: str, status: str | None, need_id: UUID | None = None, organization_uscc: str | None = None
) -> list[asyncpg.Record]:
    """`need_id`: only the projects serving that need; `organization_uscc`: only those awarded to it."""
    return await conn.fetch(
        f"""SELECT p.*, {ORG_NAME.format("p")} FROM projects p WHERE area_code LIKE $1 AND ($2::text IS NULL OR status = $2)
              AND ($3::uuid IS NULL OR $3 = ANY(need_ids)) AND ($4::text IS NULL OR organization_uscc = $4)
           ORDER BY proposed_at DESC LIMIT 500""",
        code_prefix(area) + "%",
        status,
        need_id,
        organization_uscc,
    )


async def project_stats(conn: Conn, area: str) -> asyncpg.Record:
    """The area's projects by status, their budgets (not closed) and awards, and their evaluations."""
    return await conn.fetchrow(
        """WITH scope AS (SELECT * FROM projects WHERE area_code LIKE $1),
                graded AS (SELECT e.grade, e.score FROM evaluations e JOIN scope p ON p.id = e.project_id)
           SELECT (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM
                       (SELECT status, count(*) AS n FROM scope GROUP BY status) s) AS by_status,
                  (SELECT coalesce(sum(budget_fen), 0)::bigint FROM scope WHERE status <> 'closed') AS budget_fen,
                  (SELECT coalesce(sum(awarded_fen), 0)::bigint FROM scope) AS awarded_fen,
                  (SELECT count(DISTINCT organization_uscc) FROM scope WHERE awarded_fen IS NOT NULL) AS organizations,
                  (SELECT coalesce(jsonb_object_agg(grade, n), '{}') FROM
                       (SELECT grade, count(*) AS n FROM graded GROUP BY grade) g) AS by_grade,
                  (SELECT avg(score) FROM graded) AS mean_score""",
        code_prefix(area) + "%",
    )


async def claim_review_timeouts(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM projects WHERE status = 'review_pending' AND review_due <= $1
                               ORDER BY review_due LIMIT 200 FOR UPDATE SKIP LOCKED""",
        at,
    )


async def claim_closed_calls(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    """Published projects whose call ended without a single active bid."""
    return await conn.fetch(
        """SELECT * FROM projects p WHERE status = 'published' AND bid_deadline <= $1
           AND NOT EXISTS (SELECT 1 FROM bids b WHERE b.project_id = p.id AND b.status = 'active')
           ORDER BY bid_deadline LIMIT 200 FOR UPDATE SKIP LOCKED""",
        at,
    )


# --- funding -------------------------------------------------------------------------------------------


async def insert_funding(conn: Conn, rows: list[dict]) -> None:
    for row in rows:
        await db.insert(conn, "funding", row)


async def funding_of(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM funding WHERE project_id = $1 ORDER BY requested_at, request_id", project_id)


async def decide_funding(conn: Conn, request_id: UUID, at: datetime, **decision) -> asyncpg.Record | None:
    """Record the charity service's answer; None when the request is unknown or answered already."""
    sets = db.set_clause(decision, 3)
    return await conn.fetchrow(
        f"UPDATE funding SET decided_at = $2, {sets} WHERE request_id = $1 AND status = 'requested' RETURNING *",
        request_id,
        at,
        *decision.values(),
    )


async def supersede_refused_funding(conn: Conn, project_id: UUID) -> None:
    await conn.execute(
        "UPDATE funding SET status = 'superseded' WHERE project_id = $1 AND status <> 'committed'", project_id
    )


async def add_known_fund(conn: Conn, row: dict) -> None:
    """A fund the charity service announced; a later announcement of the same fund changes nothing."""
    await db.insert(conn, "known_funds", row, "ON CONFLICT (fund_id) DO NOTHING")


async def known_funds(conn: Conn, fund_ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM known_funds WHERE fund_id = ANY($1::uuid[])", fund_ids)
    return {r["fund_id"]: r for r in rows}


# --- bids ------------------------------------------------------------------------------------------------


async def bids_with_scores(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT b.*, {ORG_NAME.format("b")}, avg(s.total) AS score, count(s.bid_id) AS scored_by FROM bids b
           LEFT JOIN bid_scores s ON s.bid_id = b.id WHERE b.project_id = $1
           GROUP BY b.id ORDER BY b.submitted_at""",
        project_id,
    )


# --- milestones, feedback, evaluation ---------------------------------------------------------------------


async def insert_milestones(conn: Conn, rows: list[dict]) -> None:
    for row in rows:
        await db.insert(conn, "milestones", row)


async def milestones_of(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM milestones WHERE project_id = $1 ORDER BY seq", project_id)


async def tasks_of(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM project_tasks WHERE project_id = $1 ORDER BY requested_at", project_id)


async def get_evaluation(conn: Conn, project_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM evaluations WHERE project_id = $1", project_id)


# --- the demand pool ----------------------------------------------------------------------------------------


async def add_demand(conn: Conn, row: dict) -> None:
    await db.insert(conn, "demands", row, "ON CONFLICT (kind, ref_id) DO NOTHING")


async def open_demands(conn: Conn, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM demands WHERE area_code LIKE $1 AND project_id IS NULL
                               ORDER BY received_at LIMIT 500""",
        code_prefix(area) + "%",
    )


async def take_demands(conn: Conn, project_id: UUID, need_ids: list[UUID], action_id: UUID | None) -> None:
    """The project answers these needs (and this joint-meeting action): they leave the pool."""
    await conn.execute(
        """UPDATE demands SET project_id = $1 WHERE project_id IS NULL
           AND ((kind = 'need' AND ref_id = ANY($2::uuid[])) OR (kind = 'joint_meeting' AND ref_id = $3))""",
        project_id,
        need_ids,
        action_id,
    )


async def get_demand(conn: Conn, kind: str, ref_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM demands WHERE kind = $1 AND ref_id = $2", kind, ref_id)
