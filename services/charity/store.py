"""The charity service's SQL (ledger part; use-case SQL follows below)."""

from __future__ import annotations

import asyncpg

from contracts.areas import code_prefix
from kit import db
from kit.db import Conn
from services.charity.ledger import GENESIS, Entry, check_balanced, entry_hash


class Overdrawn(ValueError):
    def __init__(self, account: str, balance: int, amount: int) -> None:
        self.account, self.balance, self.amount = account, balance, amount
        super().__init__(f"账户余额不足 / account {account} holds {balance}, cannot give {-amount}")


async def ensure_account(
    conn: Conn, account_id: str, kind: str, unit: str, area_code: str, label: str = "", may_go_negative: bool = False
) -> None:
    await conn.execute(
        """INSERT INTO accounts (id, kind, unit, area_code, label, may_go_negative) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO NOTHING""",
        account_id,
        kind,
        unit,
        area_code,
        label,
        may_go_negative,
    )


# sums are cast back to bigint: PostgreSQL sums bigints as numeric, which asyncpg returns as Decimal


async def balance(conn: Conn, account_id: str) -> int:
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0)::bigint FROM postings WHERE account_id = $1", account_id
    )


async def balances(conn: Conn, account_ids: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT a.id, coalesce(sum(p.amount), 0)::bigint AS balance FROM accounts a LEFT JOIN postings p ON p.account_id = a.id
           WHERE a.id = ANY($1::text[]) GROUP BY a.id""",
        account_ids,
    )
    return {r["id"]: r["balance"] for r in rows}


async def entry_by_reference(conn: Conn, reference: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM journal WHERE reference = $1", reference)


LEDGER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('charity-ledger'))"


async def lock_ledger(conn: asyncpg.Connection) -> None:
    """One writer at a time (until commit): the chain has one head, and a decision that reads
    totals (the 2 % rule) must not race another that is about to change them."""
    await conn.execute(LEDGER_LOCK)


async def post(conn: asyncpg.Connection, entry: Entry) -> bool:
    """Append one balanced entry to the chain, inside the caller's transaction. Entries are
    serialised (one chain); an account other than the outside world never goes below zero.
    False when an entry with this reference exists already (the same event applied twice)."""
    check_balanced(entry.postings)
    await lock_ledger(conn)
    if await entry_by_reference(conn, entry.reference) is not None:
        return False
    accounts = await conn.fetch(
        "SELECT id, may_go_negative FROM accounts WHERE id = ANY($1::text[])", [a for a, _ in entry.postings]
    )
    floors = {r["id"]: not r["may_go_negative"] for r in accounts}
    missing = {a for a, _ in entry.postings} - set(floors)
    if missing:
        raise KeyError(f"unknown accounts: {sorted(missing)}")
    current = await balances(conn, [a for a, v in entry.postings if v < 0 and floors[a]])
    for account, amount in entry.postings:
        if amount < 0 and floors[account] and current[account] + amount < 0:
            raise Overdrawn(account, current[account], amount)
    prev = await conn.fetchval("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1") or GENESIS
    await conn.execute(
        """INSERT INTO journal (id, kind, reference, memo, unit, created_by, created_at, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        entry.id,
        entry.kind,
        entry.reference,
        entry.memo,
        entry.unit,
        entry.created_by,
        entry.created_at,
        prev,
        entry_hash(prev, entry),
    )
    await conn.executemany(
        "INSERT INTO postings (journal_id, account_id, amount) VALUES ($1, $2, $3)",
        [(entry.id, a, v) for a, v in entry.postings],
    )
    return True


async def chain(conn: Conn) -> list[tuple[int, str, str, Entry]]:
    rows = await conn.fetch(
        """SELECT j.*, coalesce(array_agg(p.account_id ORDER BY p.account_id) FILTER (WHERE p.account_id IS NOT NULL),
                                '{}') AS accounts,
                  coalesce(array_agg(p.amount ORDER BY p.account_id) FILTER (WHERE p.account_id IS NOT NULL), '{}') AS amounts
           FROM journal j LEFT JOIN postings p ON p.journal_id = j.id GROUP BY j.seq ORDER BY j.seq"""
    )
    return [
        (
            r["seq"],
            r["prev_hash"],
            r["hash"],
            Entry(
                id=r["id"],
                kind=r["kind"],
                reference=r["reference"],
                memo=r["memo"],
                unit=r["unit"],
                created_by=r["created_by"],
                created_at=r["created_at"],
                postings=tuple(zip(r["accounts"], r["amounts"], strict=False)),
            ),
        )
        for r in rows
    ]


async def statement(conn: Conn, account_id: str, limit: int = 200) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT j.seq, j.id, j.kind, j.memo, j.created_at, p.amount FROM postings p JOIN journal j ON j.id = p.journal_id
           WHERE p.account_id = $1 ORDER BY j.seq DESC LIMIT $2""",
        account_id,
        limit,
    )


# --- funds, donations, earmarks, commitments, disbursements -----------------------------------------


async def insert_fund(conn: Conn, fund_id, name: str, kind: str, area: str, by: str, at) -> None:
    """A new fund, announced (FundOpened) in the same transaction."""
    await conn.execute(
        """INSERT INTO funds (id, name, kind, area_code, created_by, created_at, announced_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $6)""",
        fund_id,
        name,
        kind,
        area,
        by,
        at,
    )


async def claim_unannounced_funds(conn: asyncpg.Connection, limit: int = 500) -> list[asyncpg.Record]:
    """Funds opened before FundOpened existed, marked announced in the caller's transaction (one
    replica takes each)."""
    return await conn.fetch(
        """UPDATE funds SET announced_at = now() WHERE id IN (
               SELECT id FROM funds WHERE announced_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING *""",
        limit,
    )


async def get_fund(conn: Conn, fund_id) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM funds WHERE id = $1", fund_id)


async def set_budget(conn: Conn, fund_id, year: int, amount: int) -> None:
    await conn.execute(
        """INSERT INTO fund_budgets (fund_id, year, amount) VALUES ($1, $2, $3)
                          ON CONFLICT (fund_id, year) DO UPDATE SET amount = excluded.amount""",
        fund_id,
        year,
        amount,
    )


async def budget(conn: Conn, fund_id, year: int) -> int | None:
    return await conn.fetchval("SELECT amount FROM fund_budgets WHERE fund_id = $1 AND year = $2", fund_id, year)


async def committed_in_year(conn: Conn, fund_id, purpose: str, year: int) -> int:
    return await conn.fetchval(
        """SELECT coalesce(sum(amount), 0)::bigint FROM commitments WHERE fund_id = $1 AND purpose = $2
             AND status = 'committed' AND budget_year = $3""",
        fund_id,
        purpose,
        year,
    )


async def insert_donation(conn: Conn, row: dict) -> None:
    await db.insert(conn, "donations", row)


async def get_donation(conn: Conn, donation_id, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM donations WHERE id = $1" + (" FOR UPDATE" if for_update else ""), donation_id
    )


async def earmarked_of(conn: Conn, donation_id) -> int:
    return await conn.fetchval(
        "SELECT coalesce(sum(amount), 0)::bigint FROM earmarks WHERE donation_id = $1", donation_id
    )


async def insert_earmark(
    conn: Conn, earmark_id, donation_id, kind: str, target_id, area: str, amount: int, by: str, at
) -> None:
    await conn.execute(
        """INSERT INTO earmarks (id, donation_id, target_kind, target_id, area_code, amount, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        earmark_id,
        donation_id,
        kind,
        target_id,
        area,
        amount,
        by,
        at,
    )


async def get_earmark(conn: Conn, earmark_id) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM earmarks WHERE id = $1", earmark_id)


async def project_earmarks(conn: Conn, project_id) -> list[tuple]:
    """Money still restricted to a project: (earmark id, balance), oldest first."""
    rows = await conn.fetch(
        """SELECT e.id, coalesce(sum(p.amount), 0)::bigint AS left FROM earmarks e
           LEFT JOIN postings p ON p.account_id = 'restricted:' || e.id
           WHERE e.target_kind = 'project' AND e.target_id = $1 GROUP BY e.id, e.created_at ORDER BY e.created_at""",
        project_id,
    )
    return [(r["id"], r["left"]) for r in rows]


async def commitment_by_request(conn: Conn, request_id) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM commitments WHERE request_id = $1", request_id)


async def insert_commitment(conn: Conn, row: dict) -> None:
    await db.insert(conn, "commitments", row)


async def get_commitment(conn: Conn, commitment_id) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM commitments WHERE id = $1", commitment_id)


async def insert_disbursement(conn: Conn, row: dict) -> None:
    await db.insert(conn, "disbursements", row)


async def list_disbursements(conn: Conn, area: str, status: str | None) -> list[asyncpg.Record]:
    """Disbursements with the area of the commitment or earmark they draw on, and what a checker
    decides on: the fund the money came from (the commitment's, or the earmarked donation's), the
    project (a commitment) or the need (an earmark) it pays, and the needs it serves."""
    return await conn.fetch(
        """SELECT d.*, coalesce(c.area_code, e.area_code) AS area_code,
                  CASE WHEN d.commitment_id IS NULL THEN 'need' ELSE 'project' END AS target_kind,
                  f.id AS fund_id, f.name AS fund_name, c.project_id, nullif(c.project_title, '') AS project_title,
                  CASE WHEN d.commitment_id IS NULL THEN ARRAY[e.target_id] ELSE c.need_ids END AS need_ids
             FROM disbursements d
             LEFT JOIN commitments c ON c.id = d.commitment_id
             LEFT JOIN earmarks e ON e.id = d.earmark_id
             LEFT JOIN donations g ON g.id = e.donation_id
             LEFT JOIN funds f ON f.id = coalesce(c.fund_id, g.fund_id)
           WHERE coalesce(c.area_code, e.area_code) LIKE $1 AND ($2::text IS NULL OR d.status = $2)
           ORDER BY d.requested_at DESC LIMIT 500""",
        code_prefix(area) + "%",
        status,
    )


async def get_disbursement(conn: Conn, disbursement_id, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM disbursements WHERE id = $1" + (" FOR UPDATE" if for_update else ""), disbursement_id
    )


async def approve_disbursement(conn: Conn, disbursement_id, by: str, at) -> None:
    await conn.execute(
        "UPDATE disbursements SET approved_by = $2, approved_at = $3, status = 'disbursed' WHERE id = $1",
        disbursement_id,
        by,
        at,
    )


async def reject_disbursement(conn: Conn, disbursement_id, by: str, role: str, reason: str, at) -> None:
    await conn.execute(
        """UPDATE disbursements SET status = 'rejected', rejected_by = $2, rejected_by_role = $3, rejection_reason = $4,
                  rejected_at = $5 WHERE id = $1""",
        disbursement_id,
        by,
        role,
        reason,
        at,
    )


async def mark_refunded(conn: Conn, donation_id, at) -> None:
    await conn.execute("UPDATE donations SET refunded_at = $2 WHERE id = $1", donation_id, at)


# --- reads for the dashboards and the need's view ---------------------------------------------------


async def flows_by_month(conn: Conn, area: str, since, zone: str) -> list[asyncpg.Record]:
    """By local month (YYYY-MM) from `since`, inside the area: donations received (the area of their
    fund), donations earmarked (the area of the earmark) and disbursements approved (the area of the
    commitment or earmark they draw on)."""
    return await conn.fetch(
        """SELECT to_char(at AT TIME ZONE $3, 'YYYY-MM') AS month, kind, sum(amount)::bigint AS fen FROM (
               SELECT 'in' AS kind, received_at AS at, amount FROM donations WHERE area_code LIKE $1
               UNION ALL
               SELECT 'earmarked', created_at, amount FROM earmarks WHERE area_code LIKE $1
               UNION ALL
               SELECT 'out', d.approved_at, d.amount FROM disbursements d
                 LEFT JOIN commitments c ON c.id = d.commitment_id LEFT JOIN earmarks e ON e.id = d.earmark_id
                WHERE d.status = 'disbursed' AND coalesce(c.area_code, e.area_code) LIKE $1) flows
           WHERE at >= $2 GROUP BY 1, 2""",
        code_prefix(area) + "%",
        since,
        zone,
    )


async def need_earmarks(conn: Conn, need_id, area: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, amount, created_at, area_code FROM earmarks
            WHERE target_kind = 'need' AND target_id = $1 AND area_code LIKE $2 ORDER BY created_at, id""",
        need_id,
        code_prefix(area) + "%",
    )


async def earmark_disbursements(conn: Conn, earmark_ids: list) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, earmark_id, amount, status, milestone, approved_at FROM disbursements
            WHERE earmark_id = ANY($1::uuid[]) ORDER BY requested_at, id""",
        earmark_ids,
    )
