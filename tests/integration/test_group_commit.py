"""Group commit (kit.group_commit) against a real PostgreSQL, through a probe service's HTTP writes
with Idempotency-Keys: writes that come together commit in one transaction, each with its own
events and key; one bad write fails alone; a key used twice is applied once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import orjson
import pytest
from fastapi import APIRouter, Request
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel

from contracts.envelope import wrap
from contracts.events.needs import NeedRouted
from kit import db as kit_db
from kit.app import create_app
from kit.clock import now
from kit.group_commit import WRITERS, GroupCommit
from kit.problems import invalid
from kit.settings import Settings
from kit.telemetry import current_traceparent

SERVICE = "projects"  # its database is unused by these tests beyond the table they own
COMMUNITY = "130102001001"
router = APIRouter()


class Parcel(BaseModel):
    code: str
    hold_s: float = 0.0  # the write keeps its group's transaction open this long


async def write_parcels(conn: asyncpg.Connection, parcels: list[tuple[uuid.UUID, Parcel]]) -> None:
    await asyncio.sleep(max(p.hold_s for _, p in parcels))
    await conn.executemany(
        "INSERT INTO probe_parcels (id, code, tx) VALUES ($1, $2, txid_current())",
        [(parcel_id, p.code) for parcel_id, p in parcels],
    )


def parcel_id_of(code: str, key: str) -> uuid.UUID:
    """Known to the test before the write: so is the id its event would carry."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"parcel/{code}/{key}")


@router.post("/parcels", status_code=201)
async def send_parcel(body: Parcel, request: Request) -> dict:
    parcel_id = parcel_id_of(body.code, request.headers["idempotency-key"])
    event = NeedRouted(
        need_id=parcel_id,
        area_code=COMMUNITY,
        route="volunteer_task",
        category="bath_aid",
        urgency="major",
        routed_by="sw-group",
        routed_at=now(),
    )
    envelope = wrap(event, subject=str(parcel_id), area_code=COMMUNITY, traceparent=current_traceparent())
    try:
        await request.app.state.parcels.submit((parcel_id, body), [envelope])
    except asyncpg.CheckViolationError:
        raise invalid("code", "refused by the table") from None
    return {"id": str(parcel_id), "event_id": str(envelope.id)}


@pytest.fixture
async def client(settings: Settings):
    if not isinstance(trace.get_tracer_provider(), TracerProvider):  # the global provider can be set only once
        trace.set_tracer_provider(TracerProvider())
    pool = await kit_db.create_pool(settings, SERVICE, size=6)
    await pool.execute(
        """CREATE TABLE IF NOT EXISTS probe_parcels (
               n bigserial PRIMARY KEY, id uuid NOT NULL, code text NOT NULL CHECK (code NOT LIKE '%-bad'), tx bigint NOT NULL,
               began timestamptz NOT NULL DEFAULT transaction_timestamp(), written timestamptz NOT NULL DEFAULT clock_timestamp()
           )"""
    )
    app = create_app(SERVICE, title="probe", routers=[router], idempotent_writes=True)
    app.state.pool, app.state.parcels = pool, GroupCommit(pool, write_parcels)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as c:
        c.pool = pool
        yield c
    await pool.close()


def caller(token, key: str) -> dict:
    return {"Authorization": f"Bearer {token('social_worker', '130102', 'sw-group')}", "Idempotency-Key": key}


def trace_of(code: str) -> str:
    """Each write its own trace, so that a group's events can be told to carry their own."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"trace/{code}").hex


def send(client, token, code: str, key: str | None = None, hold_s: float = 0.0):
    headers = {**caller(token, key or code), "traceparent": f"00-{trace_of(code)}-00f067aa0ba902b7-01"}
    return client.post("/parcels", json={"code": code, "hold_s": hold_s}, headers=headers)


async def writers_busy(client, token, run: str) -> list[asyncio.Future]:
    """A held write in each of the writers (kit.group_commit.WRITERS): what comes next waits, together."""
    held = []
    for n in range(WRITERS):
        held.append(asyncio.ensure_future(send(client, token, f"{run}-held-{n}", hold_s=0.3)))
        await asyncio.sleep(0.05)
    return held


async def parcels(client, codes: list[str]) -> dict[str, asyncpg.Record]:
    rows = await client.pool.fetch("SELECT * FROM probe_parcels WHERE code = ANY($1::text[])", codes)
    found = {r["code"]: r for r in rows}
    assert len(found) == len(rows), "a write was applied twice"
    return found


async def events_of(client, parcel_ids: list[str]) -> dict[str, dict]:
    """The outbox's events about these parcels, by event id."""
    rows = await client.pool.fetch(
        """SELECT event_id, payload FROM outbox
           WHERE convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'need_id' = ANY($1::text[])""",
        parcel_ids,
    )
    return {str(r["event_id"]): orjson.loads(r["payload"]) for r in rows}


async def test_writes_that_come_together_commit_together_each_with_its_event_and_key(client, token):
    run = uuid.uuid4().hex[:8]
    codes = [f"{run}-{i}" for i in range(12)]
    held = await writers_busy(client, token, run)
    replies = await asyncio.gather(*(send(client, token, c) for c in codes))
    assert [(await h).status_code for h in held] == [201] * WRITERS
    held_rows = await parcels(client, [f"{run}-held-0", f"{run}-held-1"])
    assert held_rows[f"{run}-held-1"]["began"] < held_rows[f"{run}-held-0"]["written"]  # two groups in flight

    assert [r.status_code for r in replies] == [201] * 12
    rows = await parcels(client, codes)
    assert {code: str(rows[code]["id"]) for code in codes} == {
        c: r.json()["id"] for c, r in zip(codes, replies, strict=True)
    }
    assert len({rows[c]["tx"] for c in codes}) == 1  # the twelve waiting shared one transaction
    events = await events_of(client, [r.json()["id"] for r in replies])
    assert {e["data"]["need_id"]: i for i, e in events.items()} == {
        r.json()["id"]: r.json()["event_id"] for r in replies
    }
    traces = {str(rows[c]["id"]): trace_of(c) for c in codes}  # each event continues its own request's trace
    assert {e["data"]["need_id"]: e["traceparent"].split("-")[1] for e in events.values()} == traces

    again = await asyncio.gather(*(send(client, token, c) for c in codes))  # retries: the first answers
    assert [r.json() for r in again] == [r.json() for r in replies]
    assert all(r.headers["idempotent-replayed"] == "true" for r in again)
    assert len(await parcels(client, codes)) == 12


async def test_a_write_that_fails_fails_alone_and_its_neighbours_commit(client, token):
    run = uuid.uuid4().hex[:8]
    held = await writers_busy(client, token, run)
    replies = await asyncio.gather(
        send(client, token, f"{run}-a"),
        send(client, token, f"{run}-bad"),  # the table's check refuses it
        send(client, token, f"{run}-b"),
    )
    assert [(await h).status_code for h in held] == [201] * WRITERS
    assert [r.status_code for r in replies] == [201, 422, 201]
    assert replies[1].json()["errors"][0]["field"] == "code"
    assert sorted(await parcels(client, [f"{run}-{s}" for s in ("a", "b", "bad")])) == [f"{run}-a", f"{run}-b"]
    committed = {r.json()["id"]: r.json()["event_id"] for r in (replies[0], replies[2])}
    events = await events_of(client, [*committed, str(parcel_id_of(f"{run}-bad", f"{run}-bad"))])
    assert {e["data"]["need_id"]: i for i, e in events.items()} == committed  # none for the refused write

    # the refused write's key was rolled back with it: the key's next use is a first request, not a replay
    retried = await send(client, token, f"{run}-c", key=f"{run}-bad")
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_one_key_sent_twice_at_once_is_applied_once(client, token):
    run = uuid.uuid4().hex[:8]
    held = await writers_busy(client, token, run)
    twice = await asyncio.gather(*(send(client, token, f"{run}-once") for _ in range(3)))
    await asyncio.gather(*held)
    assert [r.status_code for r in twice] == [201] * 3
    assert len({r.json()["id"] for r in twice}) == 1
    assert sorted(r.headers.get("idempotent-replayed", "no") for r in twice) == ["no", "true", "true"]
    assert str((await parcels(client, [f"{run}-once"]))[f"{run}-once"]["id"]) == twice[0].json()["id"]  # once
