"""The SQL of delivery and evaluation: milestones as they are reported and accepted, volunteer
tasks, residents' feedback, evaluations, nominations and the showcase (what the project library
shows and the award writes — milestones_of, tasks_of, get_evaluation, insert_milestones — stays in
the service's store.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kit import db
from kit.db import Conn

# --- funding -------------------------------------------------------------------------------------------


async def committed_remaining(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    """Each commitment of the project with what is left of it after the payments asked so far."""
    return await conn.fetch(
        """SELECT f.commitment_id, f.amount_fen - coalesce(sum(m.amount_fen), 0)::bigint AS remaining
           FROM funding f LEFT JOIN milestones m ON m.commitment_id = f.commitment_id
           WHERE f.project_id = $1 AND f.status = 'committed'
           GROUP BY f.commitment_id, f.amount_fen, f.requested_at ORDER BY f.requested_at""",
        project_id,
    )


# --- milestones, feedback, evaluation ---------------------------------------------------------------------


async def get_milestone(conn: Conn, project_id: UUID, milestone_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM milestones WHERE id = $1 AND project_id = $2 FOR UPDATE", milestone_id, project_id
    )


async def update_milestone(conn: Conn, milestone_id: UUID, **changes) -> None:
    await db.update(conn, "milestones", milestone_id, **changes)


async def payment_rejected(conn: Conn, project_id: UUID, milestone_id: UUID, request_id: UUID, reason: str, at) -> None:
    """The milestone's payment request was rejected: record why, and free its share of the commitment.
    Only the request it waits for (one accepted before the request was kept is taken as it)."""
    await conn.execute(
        """UPDATE milestones SET payment_rejected_at = $4, payment_rejection_reason = $5, commitment_id = NULL
            WHERE id = $1 AND project_id = $2 AND status = 'accepted' AND payment_rejected_at IS NULL
              AND (payment_request_id = $3 OR payment_request_id IS NULL)""",
        milestone_id,
        project_id,
        request_id,
        at,
        reason,
    )


async def insert_task(conn: Conn, row: dict) -> None:
    await db.insert(conn, "project_tasks", row)


async def record_feedback(conn: Conn, event_id: UUID, need_id: UUID, satisfaction: int, at: datetime) -> None:
    """Residents' feedback counts for every project that serves the need."""
    await conn.execute(
        """INSERT INTO project_feedback (event_id, project_id, need_id, satisfaction, given_at)
           SELECT $1, id, $2, $3, $4 FROM projects WHERE $2 = ANY(need_ids)
              AND status IN ('procured', 'delivered', 'evaluated')
           ON CONFLICT DO NOTHING""",
        event_id,
        need_id,
        satisfaction,
        at,
    )


async def judged_needs(conn: Conn, project_id: UUID) -> set[UUID]:
    """The project's needs whose residents have given feedback (since it was procured)."""
    return {
        r["need_id"]
        for r in await conn.fetch("SELECT DISTINCT need_id FROM project_feedback WHERE project_id = $1", project_id)
    }


async def feedback_of(conn: Conn, project_id: UUID) -> list[int]:
    return [
        r["satisfaction"]
        for r in await conn.fetch("SELECT satisfaction FROM project_feedback WHERE project_id = $1", project_id)
    ]


async def insert_evaluation(conn: Conn, row: dict) -> None:
    await db.insert(conn, "evaluations", row)


async def insert_nomination(conn: Conn, row: dict) -> bool:
    return await db.insert(conn, "nominations", row, "ON CONFLICT DO NOTHING RETURNING true") is not None


async def showcase(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.id AS project_id, p.title, p.area_code, p.organization_uscc, e.year, e.score, e.grade,
                  e.resident_satisfaction, array_agg(n.kind ORDER BY n.kind) AS nominations,
                  string_agg(n.citation, ' ' ORDER BY n.kind) AS citation
           FROM nominations n JOIN evaluations e ON e.project_id = n.project_id JOIN projects p ON p.id = n.project_id
           GROUP BY p.id, e.project_id ORDER BY e.year DESC, e.score DESC LIMIT 200"""
    )
