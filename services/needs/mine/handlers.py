"""Use cases of the resident's own page (我的诉求): their needs, each with its progress and what
they may do with it now, read in one snapshot."""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from contracts.api import needs as api
from contracts.values import mask_name
from kit.auth import Principal
from kit.crypto import Keyring
from services.needs import domain, handlers
from services.needs.mine import domain as rules
from services.needs.mine import store

NEEDS_SHOWN = 50


async def my_needs(pool: asyncpg.Pool, keyring: Keyring, labels: dict[str, str], who: Principal) -> api.MyNeeds:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        registered = await store.resident_id(conn, who.sub)
        wards = await store.wards(conn, who.sub)
        rows = await store.my_needs(conn, [who.sub, *(w["resident_ref"] for w in wards)], NEEDS_SHOWN)
        entries = await store.timelines(conn, [r["id"] for r in rows])
    by_need = defaultdict(list)
    for entry in entries:
        by_need[entry["need_id"]].append(entry)
    names = {w["resident_ref"]: _masked_name(keyring, w) for w in wards}
    return api.MyNeeds(
        resident_id=registered,
        wards=[api.MyWard(resident_id=w["id"], name=names[w["resident_ref"]]) for w in wards],
        items=[_my_need(row, by_need[row["id"]], keyring, labels, names.get(row["resident_ref"])) for row in rows],
    )


def _masked_name(keyring: Keyring, ward: asyncpg.Record) -> str:
    return mask_name(keyring.decrypt(ward["name_enc"], handlers.pii_context(ward["id"], "name")))


def _my_need(
    row: asyncpg.Record, timeline: list, keyring: Keyring, labels: dict[str, str], ward: str | None
) -> api.MyNeed:
    may = rules.choices(domain.Status(row["status"]))
    return api.MyNeed(
        ward=ward,
        need=handlers.need_view(row, keyring, labels),
        timeline=handlers.timeline_view(timeline),
        may_confirm=may.confirm,
        may_rate=may.rate,
        may_dispute=may.dispute,
        may_ask_revisit=may.revisit,
    )
