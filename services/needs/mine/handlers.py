"""Use cases of the resident's own page (我的诉求): their needs, each with its progress and what
they may do with it now, read in one snapshot."""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from contracts.api import needs as api
from kit.auth import Principal
from kit.crypto import Keyring
from services.needs import domain, handlers
from services.needs.mine import domain as rules
from services.needs.mine import store

NEEDS_SHOWN = 50


async def my_needs(pool: asyncpg.Pool, keyring: Keyring, labels: dict[str, str], who: Principal) -> api.MyNeeds:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await store.my_needs(conn, who.sub, NEEDS_SHOWN)
        entries = await store.timelines(conn, [r["id"] for r in rows])
        registered = await store.resident_id(conn, who.sub)
    by_need = defaultdict(list)
    for entry in entries:
        by_need[entry["need_id"]].append(entry)
    return api.MyNeeds(
        resident_id=registered, items=[_my_need(row, by_need[row["id"]], keyring, labels) for row in rows]
    )


def _my_need(row: asyncpg.Record, timeline: list, keyring: Keyring, labels: dict[str, str]) -> api.MyNeed:
    may = rules.choices(domain.Status(row["status"]))
    return api.MyNeed(
        need=handlers.need_view(row, keyring, labels),
        timeline=handlers.timeline_view(timeline),
        may_confirm=may.confirm,
        may_rate=may.rate,
        may_dispute=may.dispute,
    )
