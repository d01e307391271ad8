"""The second half of a key rotation: rewrite every ciphertext still under an older key with the
active one, so the older key can be retired.

Each service declares where it keeps ciphertexts (`Encrypted`), naming the same context function it
encrypts with, so the associated data cannot drift from the service's own. The walk goes in short
batches, each its own transaction locking only its rows (`FOR UPDATE SKIP LOCKED`): the services keep
running, a row is decrypted and re-encrypted inside its lock (a concurrent update is never
overwritten with stale data), and a stopped run goes on where it stopped, since it only ever selects
what is still under an older key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from cryptography.exceptions import InvalidTag

from kit.crypto import Keyring

Context = Callable[[Any, str], bytes]  # (row id, field name) -> associated data


@dataclass(frozen=True)
class Field:
    """One ciphertext of a row: a bytea column, or a hex string under `json_key` of a jsonb column."""

    column: str
    name: str
    context: Context
    json_key: str | None = None

    def sql(self) -> str:
        return f"decode({self.column}->>'{self.json_key}', 'hex')" if self.json_key else self.column


def fields(context: Context, columns: Mapping[str, str]) -> tuple[Field, ...]:
    """{bytea column: field name}, each encrypted under `context(row id, field name)`."""
    return tuple(Field(column, name, context) for column, name in columns.items())


@dataclass(frozen=True)
class Encrypted:
    """A table's ciphertexts; its primary key is `id`."""

    table: str
    fields: tuple[Field, ...]

    def ciphertexts(self) -> str:
        """SQL select list: each field's ciphertext (bytea) as f0, f1 … in field order."""
        return ", ".join(f"{f.sql()} AS f{i}" for i, f in enumerate(self.fields))

    def stale(self) -> str:
        """SQL: the row holds a ciphertext whose key id prefix is not $1."""
        return " OR ".join(
            f"({f.sql()} IS NOT NULL AND substring({f.sql()} from 1 for length($1::bytea)) <> $1)" for f in self.fields
        )

    def assignments(self) -> str:
        """SQL SET list taking the new ciphertexts as $2, $3 … in field order (jsonb keys nested)."""
        values: dict[str, str] = {}
        for i, f in enumerate(self.fields, start=2):
            if f.json_key is None:
                values[f.column] = f"${i}"
            else:
                inner = values.get(f.column, f.column)
                values[f.column] = (
                    f"CASE WHEN ${i}::text IS NULL THEN {inner} "
                    f"ELSE jsonb_set({inner}, '{{{f.json_key}}}', to_jsonb(${i}::text)) END"
                )
        return ", ".join(f"{column} = {value}" for column, value in values.items())


class Unreadable(Exception):
    """A ciphertext the keyring cannot decrypt: its key is gone from the keyring, or it does not
    match its row and field (copied from elsewhere, or altered). Its batch is rolled back."""

    def __init__(self, table: str, row_id: Any, field: str, kid: str, missing_key: bool) -> None:
        self.table, self.row_id, self.field, self.kid, self.missing_key = table, row_id, field, kid, missing_key
        why = f"key {kid} is not in the keyring" if missing_key else f"it does not decrypt under key {kid} for this row"
        super().__init__(f"{table} {row_id} {field}: {why}")


@dataclass
class Progress:
    table: str
    total: int  # under an older key when the walk began
    done: int = 0
    started: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)


@dataclass
class Outcome:
    table: str
    done: int
    remaining: int  # still under an older key: rows another transaction held locked to the end
    seconds: float


async def reencrypt(
    pool: asyncpg.Pool,
    keyring: Keyring,
    targets: tuple[Encrypted, ...],
    *,
    batch: int = 200,
    on_progress: Callable[[Progress], None] = lambda _: None,
    max_batches: int | None = None,
    lock_wait_s: float = 30.0,
) -> list[Outcome]:
    """Every target's ciphertexts under the active key, `batch` rows per transaction. `max_batches`
    stops early (the next run goes on); rows locked by others are waited for up to `lock_wait_s`."""
    active = keyring.active.encode() + b":"
    outcomes, budget = [], max_batches
    for target in targets:
        progress = Progress(target.table, await _count(pool, target, active), started=time.monotonic())
        on_progress(progress)
        budget = await _walk(pool, keyring, target, active, batch, progress, on_progress, budget, lock_wait_s)
        outcomes.append(
            Outcome(
                target.table, progress.done, await _count(pool, target, active), time.monotonic() - progress.started
            )
        )
    return outcomes


async def _walk(
    pool: asyncpg.Pool,
    keyring: Keyring,
    target: Encrypted,
    active: bytes,
    batch: int,
    progress: Progress,
    on_progress: Callable[[Progress], None],
    budget: int | None,
    lock_wait_s: float,
) -> int | None:
    """Passes in id order, each batch starting after the last id of the one before, so each pass
    reads a row once; a new pass picks up what was locked (or written under an older key) meanwhile."""
    deadline, after = time.monotonic() + lock_wait_s, None
    while budget is None or budget > 0:
        changed, last = await _batch(pool, keyring, target, active, batch, after)
        if changed:
            progress.done += changed
            on_progress(progress)
            budget = None if budget is None else budget - 1
            deadline, after = time.monotonic() + lock_wait_s, last
        elif after is not None:
            after = None  # end of a pass
        elif not await _count(pool, target, active) or time.monotonic() > deadline:
            break
        else:
            await asyncio.sleep(0.2)  # what is left is locked by a running transaction: it ends soon
    return budget


async def _batch(
    pool: asyncpg.Pool, keyring: Keyring, target: Encrypted, active: bytes, batch: int, after: Any
) -> tuple[int, Any]:
    """Re-encrypt up to `batch` stale rows with ids above `after`; (rows changed, the last id)."""
    since, args = ("", (active, batch)) if after is None else (" AND id > $3", (active, batch, after))
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            f"""SELECT id, {target.ciphertexts()} FROM {target.table} WHERE ({target.stale()}){since}
                                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED""",
            *args,
        )
        await conn.executemany(
            f"UPDATE {target.table} SET {target.assignments()} WHERE id = $1",
            [(row["id"], *_rewritten(keyring, target, row)) for row in rows],
        )
    return len(rows), rows[-1]["id"] if rows else None


def _rewritten(keyring: Keyring, target: Encrypted, row: asyncpg.Record) -> list[bytes | str | None]:
    values: list[bytes | str | None] = []
    for i, f in enumerate(target.fields):
        old = row[f"f{i}"]
        if old is None:
            values.append(None)
            continue
        context = f.context(row["id"], f.name)
        new = keyring.encrypt(_decrypt(keyring, target, row["id"], f, old, context), context)
        values.append(new.hex() if f.json_key else new)
    return values


def _decrypt(keyring: Keyring, target: Encrypted, row_id: Any, f: Field, blob: bytes, context: bytes) -> str:
    kid = bytes(blob).partition(b":")[0].decode(errors="replace")
    try:
        return keyring.decrypt(blob, context)
    except KeyError:
        raise Unreadable(target.table, row_id, f.name, kid, missing_key=True) from None
    except InvalidTag:
        raise Unreadable(target.table, row_id, f.name, kid, missing_key=False) from None


async def _count(pool: asyncpg.Pool, target: Encrypted, active: bytes) -> int:
    return cast(int, await pool.fetchval(f"SELECT count(*) FROM {target.table} WHERE {target.stale()}", active))
