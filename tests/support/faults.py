"""Helpers shared by the fault tests: raise needs over HTTP, and count where they were applied."""

from __future__ import annotations

import asyncio

import httpx

CONSUMER = "volunteers-need-raised"
HOLDERS = "charity-holders-need-raised"  # charity learns the holders of needs from NeedRaised
NEED = {
    "area_code": "130102001001",
    "category": "daily_care",
    "description": "故障测试需求",
    "resident": {"name": "李四", "phone": "13900139000", "citizen_id": "11010519491231002X"},
}


async def raise_needs(url: str, token: str, count: int, concurrency: int = 16) -> list[str]:
    ids: list[str] = []
    queue = iter(range(count))

    async def worker(client):
        for _ in queue:
            response = await client.post("/needs", json=NEED, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return ids


async def demands_of(volunteers_db, need_ids: list[str]) -> int:
    """How many of the needs the volunteers service holds as demands."""
    return await volunteers_db.fetchval("SELECT count(*) FROM demands WHERE need_id = ANY($1::uuid[])", need_ids)


async def raised_events(volunteers_db, need_ids: list[str]) -> list:
    """The ids of the NeedRaised events the volunteers service applied for these needs."""
    return [
        r["event_id"]
        for r in await volunteers_db.fetch("SELECT event_id FROM demands WHERE need_id = ANY($1::uuid[])", need_ids)
    ]


async def applied_by(conn, consumer: str, event_ids: list) -> int:
    """How many of the events `consumer` applied (its inbox rows)."""
    return await conn.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", consumer, event_ids
    )
