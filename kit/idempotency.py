"""Idempotency-Key for HTTP writes: a retried request gets the first response, not a second effect.

Claimed inside the write's own unit of work: a concurrent retry waits on the key's row until the
first request commits (or rolls back), then replays its response."""
from __future__ import annotations

import hashlib
from typing import TypeVar

import asyncpg
from pydantic import BaseModel

from kit.problems import Problem

M = TypeVar("M", bound=BaseModel)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def request_hash(body: BaseModel) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def claim(conn: asyncpg.Connection, caller: str, key: str, digest: str) -> bytes | None:
    """Claim `key` for this request; return the stored response if a previous request used it."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise _invalid(f"长度须为 1–{MAX_KEY_LENGTH} / must be 1–{MAX_KEY_LENGTH} characters")
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (caller, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""", caller, key, digest)
    if claimed:
        return None
    previous = await conn.fetchrow(
        "SELECT request_hash, response FROM idempotency_keys WHERE caller = $1 AND key = $2", caller, key)
    if previous["request_hash"] != digest:
        raise _invalid("已用于另一个不同的请求 / already used for a different request")
    return bytes(previous["response"])


async def record(conn: asyncpg.Connection, caller: str, key: str, response: BaseModel) -> None:
    await conn.execute("UPDATE idempotency_keys SET response = $3 WHERE caller = $1 AND key = $2",
                       caller, key, response.model_dump_json().encode())


async def replayed(conn: asyncpg.Connection, caller: str, key: str | None, body: BaseModel,
                   view: type[M]) -> M | None:
    """With a key: the first response if this key was used before (else the key is now claimed).
    Without one: None — the write simply happens."""
    if key is None:
        return None
    previous = await claim(conn, caller, key, request_hash(body))
    return None if previous is None else view.model_validate_json(previous)


async def remember(conn: asyncpg.Connection, caller: str, key: str | None, response: BaseModel) -> None:
    if key is not None:
        await record(conn, caller, key, response)


def _invalid(message: str) -> Problem:
    return Problem(422, "幂等键无效 / Invalid Idempotency-Key", message,
                   errors=[{"field": HEADER, "message": message, "type": "idempotency_key"}])
