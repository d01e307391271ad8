"""Idempotency-Key on every write (kit.idempotency) against a real PostgreSQL: a retried write is
applied once and answered as the first time; concurrent retries too; the key is bound to the
caller, the path and the body."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from kit import db as kit_db
from kit.app import create_app
from kit.problems import conflict
from kit.settings import Settings
from kit.uow import UnitOfWork

SERVICE = "projects"  # its database is unused by these tests beyond the table they own
router = APIRouter()


class Deposit(BaseModel):
    amount: int


@router.post("/accounts/{account}/deposits", status_code=201)
async def deposit(account: str, body: Deposit, request: Request) -> dict:
    async with UnitOfWork(request.app.state.pool) as uow:
        await asyncio.sleep(float(request.headers.get("x-delay", "0")))  # widens the race for the concurrency test
        balance = await uow.conn.fetchval(
            """INSERT INTO probe_accounts (id, balance) VALUES ($1, $2)
               ON CONFLICT (id) DO UPDATE SET balance = probe_accounts.balance + $2 RETURNING balance""",
            account,
            body.amount,
        )
        if balance > 1000:
            raise conflict("too much", rule="ceiling")
    return {"account": account, "balance": balance, "deposit_id": str(uuid.uuid4())}


@router.put("/accounts/{account}/label")
async def label(account: str, request: Request) -> dict:
    """A PUT whose unit of work emits no event: the key commits with the row all the same."""
    async with UnitOfWork(request.app.state.pool) as uow:
        await uow.conn.execute("INSERT INTO probe_labels (account, n) VALUES ($1, 1)", account)
    return {"label_id": str(uuid.uuid4())}


@pytest.fixture
async def client(settings: Settings):
    pool = await kit_db.create_pool(settings, SERVICE, size=6)
    await pool.execute("CREATE TABLE IF NOT EXISTS probe_accounts (id text PRIMARY KEY, balance int NOT NULL)")
    await pool.execute("CREATE TABLE IF NOT EXISTS probe_labels (account text, n int)")
    app = create_app(SERVICE, title="probe", routers=[router], idempotent_writes=True)
    app.state.pool = pool
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as c:
        c.pool, c.app = pool, app
        yield c
    await pool.close()


def caller(token, sub: str, key: str) -> dict:
    return {"Authorization": f"Bearer {token('social_worker', '130102', sub)}", "Idempotency-Key": key}


async def balance(client, account: str) -> int | None:
    return await client.pool.fetchval("SELECT balance FROM probe_accounts WHERE id = $1", account)


async def test_a_retried_write_is_applied_once_and_answered_as_the_first_time(client, token):
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", "k-1")
    first = await client.post(f"/accounts/{account}/deposits", json={"amount": 100}, headers=headers)
    again = await client.post(f"/accounts/{account}/deposits", json={"amount": 100}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await balance(client, account) == 100
    fresh = await client.post(
        f"/accounts/{account}/deposits", json={"amount": 100}, headers=caller(token, "sw-1", "k-2")
    )
    assert fresh.json()["balance"] == 200


async def test_concurrent_retries_apply_once(client, token):
    account, headers = f"a-{uuid.uuid4()}", {**caller(token, "sw-1", "k-race"), "x-delay": "0.3"}
    replies = await asyncio.gather(
        *(client.post(f"/accounts/{account}/deposits", json={"amount": 7}, headers=headers) for _ in range(4))
    )
    assert {r.status_code for r in replies} == {201}
    assert len({r.json()["deposit_id"] for r in replies}) == 1
    assert await balance(client, account) == 7


async def test_a_key_is_the_callers_and_the_paths(client, token):
    account, other = f"a-{uuid.uuid4()}", f"b-{uuid.uuid4()}"
    await client.post(f"/accounts/{account}/deposits", json={"amount": 5}, headers=caller(token, "sw-1", "same"))
    await client.post(f"/accounts/{account}/deposits", json={"amount": 5}, headers=caller(token, "sw-2", "same"))
    await client.post(f"/accounts/{other}/deposits", json={"amount": 5}, headers=caller(token, "sw-1", "same"))
    assert (await balance(client, account), await balance(client, other)) == (10, 5)


async def test_the_same_key_with_another_body_is_refused_naming_the_header(client, token):
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", "k-body")
    await client.post(f"/accounts/{account}/deposits", json={"amount": 5}, headers=headers)
    reply = await client.post(f"/accounts/{account}/deposits", json={"amount": 6}, headers=headers)
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "Idempotency-Key"
    too_long = await client.post(
        f"/accounts/{account}/deposits", json={"amount": 5}, headers=caller(token, "sw-1", "k" * 201)
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await balance(client, account) == 5


async def test_a_refused_write_is_not_remembered(client, token):
    account = f"a-{uuid.uuid4()}"
    await client.post(f"/accounts/{account}/deposits", json={"amount": 1000}, headers=caller(token, "sw-1", "fill"))
    headers = caller(token, "sw-1", "over")
    refused = await client.post(f"/accounts/{account}/deposits", json={"amount": 1}, headers=headers)
    assert refused.status_code == 409 and refused.json()["rule"] == "ceiling"
    await client.pool.execute("UPDATE probe_accounts SET balance = 0 WHERE id = $1", account)
    retried = await client.post(f"/accounts/{account}/deposits", json={"amount": 1}, headers=headers)
    assert retried.status_code == 201 and retried.json()["balance"] == 1  # nothing happened the first time


async def test_a_put_that_emits_nothing_is_applied_once_too(client, token):
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", "label")
    first = await client.put(f"/accounts/{account}/label", headers=headers)
    again = await client.put(f"/accounts/{account}/label", headers=headers)
    assert again.json() == first.json()
    assert await client.pool.fetchval("SELECT count(*) FROM probe_labels WHERE account = $1", account) == 1


async def test_an_applied_write_whose_answer_was_lost_is_not_applied_again(client, token):
    """The process stopped between the commit and storing the answer: the retry is told so."""
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", "lost")
    await client.post(f"/accounts/{account}/deposits", json={"amount": 3}, headers=headers)
    await client.pool.execute("UPDATE idempotency_keys SET status = NULL, response = NULL WHERE key = 'lost'")
    reply = await client.post(f"/accounts/{account}/deposits", json={"amount": 3}, headers=headers)
    assert reply.status_code == 409 and reply.json()["rule"] == "idempotency_applied"
    assert await balance(client, account) == 3


async def test_answers_kept_together_each_replay_their_own_request(client, token):
    """Answers are kept after they are sent, those of concurrent requests in one statement: each key
    must still replay its own request's answer, never a neighbour's."""
    writes = [(f"a-{uuid.uuid4()}", caller(token, f"sw-{i % 3}", f"batch-{uuid.uuid4()}"), i + 1) for i in range(12)]

    async def post(account, headers, amount):
        return await client.post(f"/accounts/{account}/deposits", json={"amount": amount}, headers=headers)

    firsts = await asyncio.gather(*(post(*w) for w in writes))
    retries = await asyncio.gather(*(post(*w) for w in writes))
    for (account, _, amount), first, retried in zip(writes, firsts, retries, strict=True):
        assert first.status_code == retried.status_code == 201
        assert retried.headers["idempotent-replayed"] == "true"
        assert retried.json() == first.json() == {**first.json(), "account": account, "balance": amount}
        assert await balance(client, account) == amount


async def test_an_answer_the_caller_never_received_is_replayed_to_its_retry(client, token):
    """The connection breaks as the first answer is sent: the write is applied and its answer kept all
    the same, so the retry (what a caller does when it heard nothing) replays it."""
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", f"lost-{uuid.uuid4()}")

    async def caller_gone(scope, receive, send):
        async def broken(message):
            raise OSError("the caller has gone")

        await client.app(scope, receive, broken)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=caller_gone), base_url="http://probe") as lost:
        with pytest.raises(OSError):
            await lost.post(f"/accounts/{account}/deposits", json={"amount": 7}, headers=headers)
    retried = await client.post(f"/accounts/{account}/deposits", json={"amount": 7}, headers=headers)
    assert retried.status_code == 201 and retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["balance"] == 7 and await balance(client, account) == 7


async def test_without_a_token_nothing_is_claimed(client):
    reply = await client.post("/accounts/x/deposits", json={"amount": 1}, headers={"Idempotency-Key": "anon"})
    assert reply.status_code == 201  # this probe route checks no token; a service route would answer 401
    assert await client.pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = 'anon'") == 0


async def test_the_database_lost_after_the_commit_still_answers_the_write(client, token, monkeypatch):
    """PostgreSQL goes away between the commit and storing the answer: the caller gets its 201 (the
    write is applied), not a 500 that would make it doubt; a retry is told the write was applied."""
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", f"gone-{uuid.uuid4()}")

    async def database_away(*_args):
        raise ConnectionRefusedError("PostgreSQL is restarting")

    monkeypatch.setattr("kit.idempotency._store", database_away)
    first = await client.post(f"/accounts/{account}/deposits", json={"amount": 4}, headers=headers)
    assert first.status_code == 201 and first.json()["balance"] == 4
    monkeypatch.undo()
    retried = await client.post(f"/accounts/{account}/deposits", json={"amount": 4}, headers=headers)
    assert retried.status_code == 409 and retried.json()["rule"] == "idempotency_applied"
    assert await balance(client, account) == 4


async def test_a_retry_waiting_for_an_answer_while_the_database_is_away_is_told_to_retry(client, token, monkeypatch):
    account, headers = f"a-{uuid.uuid4()}", caller(token, "sw-1", f"wait-{uuid.uuid4()}")
    await client.post(f"/accounts/{account}/deposits", json={"amount": 2}, headers=headers)

    async def database_away(*_args):
        raise ConnectionRefusedError("PostgreSQL is restarting")

    monkeypatch.setattr("kit.idempotency._stored", database_away)
    retried = await client.post(f"/accounts/{account}/deposits", json={"amount": 2}, headers=headers)
    assert retried.status_code == 503 and retried.headers["retry-after"] == "5"
    monkeypatch.undo()
    assert await balance(client, account) == 2
