"""Idempotency-Key on every HTTP write: a retried request gets the first answer, not a second effect.

One mechanism for every POST, PUT, PATCH and DELETE of every service (`IdempotentWrites`, installed
by the app factory). A key belongs to the caller (the verified token's subject) and to the method
and path, so to the path parameters too; it is bound to a digest of the body, and the same key with
another body is refused (422 naming the header).

The claim commits with the write: the first unit of work of a keyed request inserts the key's row
in its own transaction (`claim_in`), so the effect and the claim exist together or not at all. A
retry's unit of work finds the row (waiting while the first request holds it uncommitted), rolls
back and answers with the first request's answer, stored once its route has answered, marked
`Idempotent-Replayed: true`. So every write of a service commits in a unit of work: that is what
makes it idempotent, at no cost to a first request beyond the claim and the stored answer."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.db import AnyConnection
from kit.failures import describe, is_transient
from kit.problems import Problem, problem_response, unexpected

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED = (b"idempotent-replayed", b"true")
UNCLAIMED_WRITE = "a keyed write committed no unit of work: a retry would apply it again"
ANSWER_WAIT_S = 2.0  # how long a retry waits for the first request's answer to be stored


@dataclass
class Claim:
    caller: str
    scope: str  # "METHOD /path"
    key: str
    digest: str
    committed: bool = False  # the key's row committed with the request's first unit of work
    taken: bool = False  # another request with this key committed first

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes a key one key: the caller's, for one method and path."""
        return (self.caller, self.scope, self.key)


_pending: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)


class KeyTaken(Problem):
    """A concurrent request with the same key committed first: this one's effect is rolled back and
    the middleware answers with the first request's answer."""

    def __init__(self) -> None:
        super().__init__(409, "请求处理中 / Request in progress", "同一幂等键的请求已被处理 / handled under this key")


def pending() -> Claim | None:
    """The calling request's key, while no unit of work of the request has claimed it."""
    claim = _pending.get()
    return None if claim is None or claim.committed else claim


async def claim_in(conn: AnyConnection) -> Claim | None:
    """Inside a unit of work's transaction: claim the request's key, once per request. Waits while a
    concurrent request holds the same key uncommitted."""
    claim = pending()
    if claim is None:
        return None
    if await claim_all(conn, [claim]):
        claim.taken = True
        raise KeyTaken()
    return claim


async def claim_all(conn: AnyConnection, claims: list[Claim]) -> list[Claim]:
    """Claim the keys of several requests in one statement (kit.group_commit); those another request
    committed first are returned. The keys must differ from each other."""
    if not claims:
        return []
    inserted = await conn.fetch(
        """INSERT INTO idempotency_keys (caller, scope, key, request_hash)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           ON CONFLICT DO NOTHING RETURNING caller, scope, key""",
        [c.caller for c in claims],
        [c.scope for c in claims],
        [c.key for c in claims],
        [c.digest for c in claims],
    )
    claimed = {tuple(row) for row in inserted}
    return [c for c in claims if c.identity not in claimed]


def committed(claim: Claim | None) -> None:
    """The unit of work that claimed the key committed."""
    if claim is not None:
        claim.committed = True


class IdempotentWrites:
    """ASGI middleware of a service: keyed writes are claimed, answered once and replayed."""

    def __init__(self, app: ASGIApp, caller_of: Callable[[Scope], str | None]) -> None:
        self.app = app
        self.caller_of = caller_of  # the verified subject of a request's token, or None
        self.answers = Answers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            return await _refuse(
                scope, receive, send, f"长度须为 1–{MAX_KEY_LENGTH} / must be 1–{MAX_KEY_LENGTH} characters"
            )
        caller = self.caller_of(scope)
        if caller is None:  # no valid token: the route answers 401, and nothing is claimed
            return await self.app(scope, receive, send)
        body = await _body(receive)
        claim = Claim(caller, f"{scope['method']} {scope['path']}", key, hashlib.sha256(body).hexdigest())
        pool = scope["app"].state.pool
        status, headers, chunks = await self._run(scope, _replaying(body, receive), claim)
        if claim.taken:
            try:
                stored = await _wait_for_answer(pool, claim)
            except Exception as exc:  # noqa: BLE001 - PostgreSQL away: 503, retry with the same key; else 500
                return await problem_response(unexpected(exc, scope["path"]), scope["path"])(scope, receive, send)
            return await _answer_stored(stored, claim, scope, receive, send)
        try:
            await _send(send, status, headers, chunks)
        finally:  # kept even when the caller has gone: its retry is what the answer is kept for
            if claim.committed and status < 500:  # a failure after the commit is not replayed: it says nothing
                await self.answers.keep(pool, Answer(claim, status, _content_type(headers), b"".join(chunks)))
            elif 200 <= status < 300:
                log.warning(UNCLAIMED_WRITE, extra={"scope": claim.scope})

    async def _run(
        self, scope: Scope, receive: Receive, claim: Claim
    ) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
        """The route, with the claim pending for its first unit of work; its answer is held back."""
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        token = _pending.set(claim)
        try:
            await self.app(scope, receive, capture)
        finally:
            _pending.reset(token)
        return started["status"], list(started.get("headers", [])), chunks


def _key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in WRITES:
        return None
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            return cast(bytes, value).decode("latin-1")
    return None


async def _body(receive: Receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _stored(pool: asyncpg.Pool, claim: Claim) -> asyncpg.Record | None:
    return await pool.fetchrow(
        """SELECT request_hash, status, content_type, response FROM idempotency_keys
           WHERE caller = $1 AND scope = $2 AND key = $3""",
        claim.caller,
        claim.scope,
        claim.key,
    )


async def _wait_for_answer(pool: asyncpg.Pool, claim: Claim) -> asyncpg.Record | None:
    """The first request committed its claim; its answer follows as soon as its route returns."""
    deadline = asyncio.get_running_loop().time() + ANSWER_WAIT_S
    while True:
        stored = await _stored(pool, claim)
        if stored is None or stored["status"] is not None or asyncio.get_running_loop().time() > deadline:
            return stored
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Answer:
    claim: Claim
    status: int
    content_type: str
    body: bytes


def _content_type(headers: list[tuple[bytes, bytes]]) -> str:
    return dict(headers).get(b"content-type", b"").decode()


class Answers:
    """First answers kept for replays, after they are sent, in one statement with the others answered
    meanwhile: a statement and a commit per write would be a fifth of the needs service's database
    work at saturation. A retry arriving before its answer is kept waits for it (`_wait_for_answer`).

    The write is committed, so if PostgreSQL went away just now the caller has still had this answer;
    a retry of it will hear "applied, answer not kept" (409)."""

    def __init__(self) -> None:
        self.waiting: list[Answer] = []
        self.storing = False

    async def keep(self, pool: asyncpg.Pool, answer: Answer) -> None:
        """Queue the answer; the first request to find nobody storing stores every queued one."""
        self.waiting.append(answer)
        if self.storing:
            return
        self.storing = True
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    await _store(pool, batch)
                except Exception as exc:  # noqa: BLE001 - the answers are sent: nothing to raise to
                    level = logging.WARNING if is_transient(exc) else logging.ERROR
                    log.log(level, "answers not kept for replay", extra={"answers": len(batch), "error": describe(exc)})
        finally:
            self.storing = False


async def _store(pool: asyncpg.Pool, batch: list[Answer]) -> None:
    """One round trip and one commit for the batch (executemany pipelines one prepared statement; a
    statement over unnest()ed arrays would be planned anew for every batch)."""
    await pool.executemany(
        """UPDATE idempotency_keys SET status = $4, content_type = $5, response = $6
           WHERE caller = $1 AND scope = $2 AND key = $3""",
        [(a.claim.caller, a.claim.scope, a.claim.key, a.status, a.content_type, a.body) for a in batch],
    )


async def _answer_stored(
    stored: asyncpg.Record | None, claim: Claim, scope: Scope, receive: Receive, send: Send
) -> None:
    if stored is None:  # the first request's claim rolled back after all: nothing happened under this key
        problem = Problem(
            409,
            "请重试 / Please retry",
            "同一幂等键的请求未完成，可重试 / the earlier request did not complete",
            headers={"Retry-After": "1"},
            rule="idempotency_retry",
        )
        return await problem_response(problem, scope["path"])(scope, receive, send)
    if stored["request_hash"] != claim.digest:
        return await _refuse(scope, receive, send, "已用于另一个不同的请求 / already used for a different request")
    if stored["status"] is None:  # committed, but its answer was never stored (the process stopped)
        problem = Problem(
            409,
            "请求已执行 / Already applied",
            "该幂等键的请求已执行，但结果未能保存 / the request was applied; its answer was not kept",
            rule="idempotency_applied",
        )
        return await problem_response(problem, scope["path"])(scope, receive, send)
    headers = [(b"content-type", stored["content_type"].encode()), REPLAYED]
    await _send(send, stored["status"], headers, [bytes(stored["response"])])


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> None:
    body = b"".join(chunks)
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    problem = Problem(
        422,
        "幂等键无效 / Invalid Idempotency-Key",
        message,
        errors=[{"field": HEADER, "message": message, "type": "idempotency_key"}],
    )
    await problem_response(problem, scope["path"])(scope, receive, send)
