"""SQL of the service record certificates (志愿服务记录证明)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kit.db import Conn

# a certificate with the volunteer's encrypted name and ID, and the area that decides who may read it
_WITH_VOLUNTEER = """SELECT c.*, v.volunteer_ref, v.area_code, v.name_enc, v.citizen_id_enc
                       FROM certificates c JOIN volunteers v ON v.id = c.volunteer_id"""


async def service_logs(conn: Conn, volunteer_id: UUID, start: datetime, end: datetime) -> list[asyncpg.Record]:
    """Finished logs (verified or awaiting verification) that began in [start, end), with the
    task's creator: the organization the service was given for. Rejected and open logs are no record."""
    return await conn.fetch(
        """SELECT h.id, h.check_in, h.minutes, h.status, t.created_by AS organization, t.area_code
             FROM hour_logs h JOIN tasks t ON t.id = h.task_id
            WHERE h.volunteer_id = $1 AND h.status IN ('logged', 'verified')
              AND h.check_in >= $2 AND h.check_in < $3
            ORDER BY h.check_in""",
        volunteer_id,
        start,
        end,
    )


async def insert_certificate(conn: Conn, row: dict) -> bool:
    """False when the code is already taken (a collision: the caller draws another)."""
    added = await conn.fetchval(
        """INSERT INTO certificates (id, code, volunteer_id, period_start, period_end, issued_by, issued_at,
                                     snapshot, digest)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING RETURNING true""",
        row["id"],
        row["code"],
        row["volunteer_id"],
        row["period_start"],
        row["period_end"],
        row["issued_by"],
        row["issued_at"],
        row["snapshot"],
        row["digest"],
    )
    return bool(added)


async def get_certificate(conn: Conn, certificate_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_WITH_VOLUNTEER + " WHERE c.id = $1", certificate_id)


async def certificate_by_code(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_WITH_VOLUNTEER + " WHERE c.code = $1", code)
