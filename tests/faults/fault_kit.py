"""Helpers shared by the fault tests: raise needs over HTTP, wait for a condition."""
from __future__ import annotations

import asyncio

import httpx

CONSUMER = "volunteers-need-raised"
NEED = {
    "area_code": "130102001001", "category": "daily_care", "description": "故障测试需求",
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
