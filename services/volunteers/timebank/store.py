"""The time bank's SQL (and only here). Balances are sums of append-only postings."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kit.db import Conn
from services.volunteers.timebank.domain import Account, Kind, Posting, Transaction


def _account(row: asyncpg.Record) -> Account:
    volunteer = str(row["volunteer_id"]) if row["volunteer_id"] is not None else None
    return Account(Kind(row["kind"]), row["bank"], volunteer, row["counterparty"])


def _columns(accounts: list[Account]) -> tuple[list, list, list, list]:
    return (
        [a.kind.value for a in accounts],
        [a.bank for a in accounts],
        [UUID(a.volunteer) if a.volunteer else None for a in accounts],
        [a.counterparty for a in accounts],
    )


async def get_volunteer(conn: Conn, volunteer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, volunteer_ref, area_code, name_enc FROM volunteers WHERE id = $1", volunteer_id
    )


# --- accounts and balances ------------------------------------------------------------------


async def ensure_accounts(conn: asyncpg.Connection, accounts: list[Account]) -> dict[Account, int]:
    """Account ids, opening the missing ones. Two statements: the SELECT's fresh snapshot also
    sees accounts a concurrent transaction opened while the INSERT waited for it."""
    columns = _columns(accounts)
    await conn.execute(
        """INSERT INTO timebank_accounts (kind, bank, volunteer_id, counterparty)
           SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[]) ON CONFLICT DO NOTHING""",
        *columns,
    )
    rows = await conn.fetch(
        """SELECT a.* FROM timebank_accounts a
             JOIN unnest($1::text[], $2::text[], $3::uuid[], $4::text[]) AS i (kind, bank, volunteer_id, counterparty)
               ON a.kind = i.kind AND a.bank = i.bank AND a.volunteer_id IS NOT DISTINCT FROM i.volunteer_id
              AND a.counterparty IS NOT DISTINCT FROM i.counterparty""",
        *columns,
    )
    return {_account(r): r["id"] for r in rows}


async def account_id(conn: Conn, account: Account) -> int | None:
    return await conn.fetchval(
        """SELECT id FROM timebank_accounts WHERE kind = $1 AND bank = $2
             AND volunteer_id IS NOT DISTINCT FROM $3 AND counterparty IS NOT DISTINCT FROM $4""",
        *(column[0] for column in _columns([account])),
    )


async def lock_accounts(conn: asyncpg.Connection, ids: list[int]) -> None:
    """Serialize writers of these accounts; balances read after this see every earlier commit.
    NO KEY UPDATE: postings that merely reference a locked account (its foreign key) don't wait,
    so two transfers in opposite directions cannot deadlock."""
    await conn.execute(
        "SELECT 1 FROM timebank_accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE", ids
    )


async def balances(conn: Conn, ids: list[int]) -> dict[int, int]:
    rows = await conn.fetch(
        "SELECT account_id, sum(units) AS units FROM timebank_postings WHERE account_id = ANY($1::bigint[]) "
        "GROUP BY account_id",
        ids,
    )
    return {r["account_id"]: int(r["units"]) for r in rows}


async def due_accounts(conn: Conn) -> list[tuple[int, Account]]:
    rows = await conn.fetch("SELECT * FROM timebank_accounts WHERE kind = 'due'")
    return [(r["id"], _account(r)) for r in rows]


async def banks(conn: Conn) -> list[str]:
    """Every bank with books (a bank that has postings has at least one non-volunteer account)."""
    rows = await conn.fetch("SELECT DISTINCT bank FROM timebank_accounts WHERE kind <> 'volunteer'")
    return [r["bank"] for r in rows]


async def bank_balances(conn: Conn, bank_codes: list[str]) -> list[asyncpg.Record]:
    """Per bank: balance by account kind (volunteers summed) and by counterparty for due accounts."""
    return await conn.fetch(
        """SELECT a.bank, a.kind, a.counterparty, coalesce(sum(p.units), 0)::bigint AS units
             FROM timebank_accounts a LEFT JOIN timebank_postings p ON p.account_id = a.id
            WHERE a.bank = ANY($1::text[])
            GROUP BY a.bank, a.kind, a.counterparty ORDER BY a.bank, a.kind, a.counterparty""",
        bank_codes,
    )


async def statement(conn: Conn, account: int, limit: int) -> list[asyncpg.Record]:
    """The newest `limit` postings with the running balance after each."""
    return await conn.fetch(
        """SELECT * FROM (
               SELECT p.id, t.id AS transaction_id, t.kind, t.memo, t.created_at AS at, p.units,
                      (sum(p.units) OVER (ORDER BY p.id))::bigint AS balance_units
                 FROM timebank_postings p JOIN timebank_transactions t ON t.id = p.transaction_id
                WHERE p.account_id = $1) s
            ORDER BY id DESC LIMIT $2""",
        account,
        limit,
    )


# --- transactions ---------------------------------------------------------------------------


async def find_transaction(conn: Conn, txn: Transaction) -> tuple[asyncpg.Record, list[Posting]] | None:
    row = await conn.fetchrow(
        "SELECT * FROM timebank_transactions WHERE kind = $1 AND reference = $2", txn.kind.value, txn.reference
    )
    if row is None:
        return None
    postings = await conn.fetch(
        """SELECT a.*, p.units FROM timebank_postings p JOIN timebank_accounts a ON a.id = p.account_id
            WHERE p.transaction_id = $1""",
        row["id"],
    )
    return row, [Posting(_account(p), p["units"]) for p in postings]


async def insert_transaction(
    conn: asyncpg.Connection,
    txn_id: UUID,
    txn: Transaction,
    ids: dict[Account, int],
    *,
    memo: str,
    by: str,
    at: datetime,
) -> bool:
    """False when (kind, reference) is already taken: the caller replays the existing one."""
    added = await conn.fetchval(
        """INSERT INTO timebank_transactions (id, kind, reference, memo, created_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, reference) DO NOTHING RETURNING true""",
        txn_id,
        txn.kind.value,
        txn.reference,
        memo,
        at,
        by,
    )
    if not added:
        return False
    await conn.execute(
        """INSERT INTO timebank_postings (transaction_id, account_id, units)
           SELECT $1, * FROM unnest($2::bigint[], $3::bigint[])""",
        txn_id,
        [ids[p.account] for p in txn.postings],
        [p.units for p in txn.postings],
    )
    return True


async def given_between(conn: Conn, volunteer_id: UUID, start: datetime, end: datetime) -> int:
    """Units a volunteer transferred to others in [start, end)."""
    return await conn.fetchval(
        """SELECT coalesce(-sum(p.units), 0)::bigint
             FROM timebank_postings p
             JOIN timebank_accounts a ON a.id = p.account_id
             JOIN timebank_transactions t ON t.id = p.transaction_id
            WHERE a.volunteer_id = $1 AND p.units < 0 AND t.kind = 'transfer'
              AND t.created_at >= $2 AND t.created_at < $3""",
        volunteer_id,
        start,
        end,
    )


# --- family links ---------------------------------------------------------------------------


async def family_link(conn: Conn, volunteer_id: UUID, relative_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM family_links WHERE volunteer_id = $1 AND relative_id = $2", volunteer_id, relative_id
    )


async def family_links_of(conn: Conn, volunteer_id: UUID) -> list[asyncpg.Record]:
    """The volunteer's declared relatives, each with the relative's record (its name_enc and id)."""
    return await conn.fetch(
        """SELECT f.*, v.id, v.name_enc FROM family_links f JOIN volunteers v ON v.id = f.relative_id
            WHERE f.volunteer_id = $1 ORDER BY f.declared_at""",
        volunteer_id,
    )


async def volunteer_by_ref(conn: Conn, volunteer_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, volunteer_ref, area_code, name_enc FROM volunteers WHERE volunteer_ref = $1", volunteer_ref
    )


async def declare_family_link(
    conn: Conn, volunteer_id: UUID, relative_id: UUID, relation: str, by: str, at: datetime
) -> asyncpg.Record:
    """Declaring again restates the relation."""
    return await conn.fetchrow(
        """INSERT INTO family_links (volunteer_id, relative_id, relation, declared_by, declared_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (volunteer_id, relative_id) DO UPDATE
              SET relation = excluded.relation, declared_by = excluded.declared_by, declared_at = excluded.declared_at
           RETURNING *""",
        volunteer_id,
        relative_id,
        relation,
        by,
        at,
    )
