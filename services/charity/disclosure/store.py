"""Read-only SQL of the public disclosure. Links between records follow the ledger's conventions:
accounts fund:/restricted:/committed:<id>, and journal references donation:, earmark:, funding:
(the request id), disbursement:, refund:<id> (see services/charity/handlers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

import asyncpg

from kit.db import Conn

# --- donations, earmarks, commitments, disbursements ------------------------------------------

_DONATION = """SELECT d.*, f.name AS fund_name, f.kind AS fund_kind FROM donations d JOIN funds f ON f.id = d.fund_id"""


async def donation_by_receipt(conn: Conn, receipt_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_DONATION + " WHERE d.receipt_code = $1", receipt_code)


async def refunded(conn: Conn, donation_id: UUID) -> int:
    return await conn.fetchval(
        """SELECT coalesce(sum(p.amount), 0)::bigint FROM journal j JOIN postings p ON p.journal_id = j.id
            WHERE j.reference = 'refund:' || $1::uuid AND p.account_id = 'world'""",
        donation_id,
    )


# an earmark with what is left on its restricted account
_EARMARKS = """SELECT e.*, coalesce(sum(p.amount), 0)::bigint AS unspent FROM earmarks e
                 LEFT JOIN postings p ON p.account_id = 'restricted:' || e.id"""


async def earmarks_of_donation(conn: Conn, donation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(_EARMARKS + " WHERE e.donation_id = $1 GROUP BY e.id ORDER BY e.created_at", donation_id)


async def earmarks_of_project(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        _EARMARKS
        + """ WHERE e.target_kind = 'project' AND e.target_id = $1
                                            GROUP BY e.id ORDER BY e.created_at""",
        project_id,
    )


# where each commitment's money came from: the other side of the entry that filled committed:<id>
_FUNDING = """SELECT c.id AS commitment_id, c.project_id, c.fund_id, c.amount AS commitment_amount, c.decided_at,
                     c.area_code, src.account_id AS source, a.kind AS source_kind, -src.amount AS amount
                FROM commitments c
                JOIN postings dst ON dst.account_id = 'committed:' || c.id AND dst.amount > 0
                JOIN postings src ON src.journal_id = dst.journal_id AND src.amount < 0
                JOIN accounts a ON a.id = src.account_id"""


async def fundings_from(conn: Conn, source_accounts: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(_FUNDING + " WHERE src.account_id = ANY($1::text[]) ORDER BY c.decided_at", source_accounts)


async def fundings_of_project(conn: Conn, project_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(_FUNDING + " WHERE c.project_id = $1 ORDER BY c.decided_at", project_id)


async def fund_names(conn: Conn, fund_ids: list[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch("SELECT id, name FROM funds WHERE id = ANY($1::uuid[])", fund_ids)
    return {r["id"]: r["name"] for r in rows}


async def paid(conn: Conn, commitment_ids: list[UUID], earmark_ids: list[UUID]) -> list[asyncpg.Record]:
    """Approved disbursements from these commitments or (directly) from these earmarks."""
    return await conn.fetch(
        """SELECT id, commitment_id, earmark_id, milestone, amount, approved_at FROM disbursements
            WHERE status = 'disbursed' AND (commitment_id = ANY($1::uuid[]) OR earmark_id = ANY($2::uuid[]))
            ORDER BY approved_at, id""",
        commitment_ids,
        earmark_ids,
    )


async def account_total(conn: Conn, account_ids: list[str]) -> int:
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0)::bigint FROM postings WHERE account_id = ANY($1::text[])", account_ids
    )


# --- funds ---------------------------------------------------------------------------------


async def get_fund(conn: Conn, fund_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM funds WHERE id = $1", fund_id)


async def fund_flows(conn: Conn, fund_id: UUID) -> dict[str, int]:
    """The fund account's movements summed by journal kind (donation +, earmark −, refund −, …)."""
    rows = await conn.fetch(
        """SELECT j.kind, sum(p.amount)::bigint AS total FROM postings p JOIN journal j ON j.id = p.journal_id
            WHERE p.account_id = 'fund:' || $1::uuid GROUP BY j.kind""",
        fund_id,
    )
    return {r["kind"]: int(r["total"]) for r in rows}


async def fund_totals(conn: Conn, fund_id: UUID) -> asyncpg.Record:
    """Committed on the fund; paid from its commitments and its donations' need earmarks; what
    its donations' earmarks still hold."""
    return await conn.fetchrow(
        """SELECT
             (SELECT coalesce(sum(amount), 0)::bigint FROM commitments
               WHERE fund_id = $1 AND status = 'committed') AS committed,
             (SELECT coalesce(sum(b.amount), 0)::bigint FROM disbursements b
                LEFT JOIN commitments c ON c.id = b.commitment_id
                LEFT JOIN earmarks e ON e.id = b.earmark_id LEFT JOIN donations d ON d.id = e.donation_id
               WHERE b.status = 'disbursed' AND (c.fund_id = $1 OR d.fund_id = $1)) AS disbursed,
             (SELECT coalesce(sum(p.amount), 0)::bigint FROM earmarks e JOIN donations d ON d.id = e.donation_id
                JOIN postings p ON p.account_id = 'restricted:' || e.id WHERE d.fund_id = $1) AS restricted_unspent""",
        fund_id,
    )


async def budget(conn: Conn, fund_id: UUID, year: int) -> int | None:
    return await conn.fetchval("SELECT amount FROM fund_budgets WHERE fund_id = $1 AND year = $2", fund_id, year)


async def service_purchases(conn: Conn, fund_id: UUID, start: datetime, end: datetime) -> int:
    return await conn.fetchval(
        """SELECT coalesce(sum(amount), 0)::bigint FROM commitments WHERE fund_id = $1 AND purpose = 'service_purchase'
             AND status = 'committed' AND decided_at >= $2 AND decided_at < $3""",
        fund_id,
        start,
        end,
    )


# --- the public ledger ------------------------------------------------------------------------


async def account_areas(conn: Conn) -> list[str]:
    return [r["area_code"] for r in await conn.fetch("SELECT DISTINCT area_code FROM accounts WHERE kind <> 'world'")]


# Money entries only (points are not money); an entry is in an area when any of its accounts
# other than the outside world is. $1 areas (NULL: all), $2/$3 the time range (NULL: open).
_SCOPE = """j.unit = 'fen'
   AND ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
                                       WHERE p.journal_id = j.id AND a.kind <> 'world' AND a.area_code = ANY($1)))
   AND ($2::timestamptz IS NULL OR j.created_at >= $2) AND ($3::timestamptz IS NULL OR j.created_at < $3)"""

# each line with its amounts by account kind and what it was about (resolved from its reference)
_LINES = f"""
SELECT j.seq, j.kind, j.created_at, j.hash, x.amounts,
       d.id AS donation_id, d.fund_id, d.donor_kind, d.donor_name_enc, d.disclose_name,
       e.target_kind AS earmark_kind, e.target_id AS earmark_target, c.project_id AS committed_project,
       b.milestone, bc.project_id AS paid_project, be.target_kind AS paid_kind, be.target_id AS paid_target
  FROM journal j
 CROSS JOIN LATERAL (SELECT CASE WHEN j.kind IN ('donation', 'refund', 'earmark', 'commitment', 'disbursement')
                                 THEN split_part(j.reference, ':', 2)::uuid END AS ref) r
 CROSS JOIN LATERAL (SELECT jsonb_object_agg(k.kind, k.total) AS amounts
                       FROM (SELECT a.kind, sum(p.amount) AS total
                               FROM postings p JOIN accounts a ON a.id = p.account_id
                              WHERE p.journal_id = j.id GROUP BY a.kind) k) x
  LEFT JOIN earmarks e ON j.kind = 'earmark' AND e.id = r.ref
  LEFT JOIN donations d ON d.id = CASE WHEN j.kind = 'earmark' THEN e.donation_id
                                       WHEN j.kind IN ('donation', 'refund') THEN r.ref END
  LEFT JOIN commitments c ON j.kind = 'commitment' AND c.request_id = r.ref
  LEFT JOIN disbursements b ON j.kind = 'disbursement' AND b.id = r.ref
  LEFT JOIN commitments bc ON bc.id = b.commitment_id
  LEFT JOIN earmarks be ON be.id = b.earmark_id
 WHERE {_SCOPE}
 ORDER BY j.seq"""


async def count_lines(conn: Conn, areas: list[str] | None, start: datetime | None, end: datetime | None) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM journal j WHERE {_SCOPE}", areas, start, end)


async def lines(
    conn: Conn, areas: list[str] | None, start: datetime | None, end: datetime | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    return await conn.fetch(_LINES + " LIMIT $4 OFFSET $5", areas, start, end, limit, offset)


async def stream_lines(
    conn: asyncpg.Connection, areas: list[str] | None, start: datetime | None, end: datetime | None
) -> AsyncIterator[asyncpg.Record]:
    async with conn.transaction():
        async for row in conn.cursor(_LINES, areas, start, end):
            yield row
