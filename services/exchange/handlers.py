"""The exchange service's use cases: every internal event a partner may see is published once, in
its public form, to PUBLIC (through the outbox) and kept for the events API, in one transaction
with the inbox row of the event it came from."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

import asyncpg

from contracts.api import exchange as api
from contracts.areas import Area, code_prefix, lookup
from contracts.envelope import Envelope
from contracts.public import PublicEvent
from kit.auth import Principal, listing_area
from kit.clock import now
from kit.crypto import ensure_secret, keyed_pseudonym
from kit.db import AnyConnection
from kit.problems import Problem, forbidden, invalid
from kit.settings import get_settings
from kit.uow import UnitOfWork
from services.exchange import domain, store
from services.exchange.config import exchange_settings
from services.exchange.webhooks import handlers as webhooks
from services.exchange.webhooks import store as webhook_store


@lru_cache
def _pseudonym_key() -> bytes:
    return ensure_secret(exchange_settings().key_file(get_settings()))


def public_pseudonym(ref: str, field: str) -> str:
    """The same person has the same public pseudonym in every public event, and it is not their
    internal ref: only the exchange's own key links the two."""
    return keyed_pseudonym(_pseudonym_key(), ref, f"public:{field}")


async def publish_public(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    events = UnitOfWork.joining(conn)
    for envelope in envelopes:
        events.emit(
            domain.public_form(envelope.data, public_pseudonym),
            subject=envelope.subject,
            area_code=envelope.area_code,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.id,
            time=envelope.time,
        )
    await store.add_public_events(conn, events.envelopes)
    await webhooks.enqueue(conn, events.envelopes)  # each webhook delivery queued with its public event
    await events.flush()


# --- the events API -----------------------------------------------------------------------------


async def registered_partner(conn: AnyConnection, who: Principal) -> asyncpg.Record:
    """The caller's partner record: its token's sub must name a partner that is not revoked."""
    row = await store.partner(conn, who.sub)
    if row is None or row["revoked_at"] is not None:
        raise forbidden("sub", "合作方未登记或已撤销 / not a registered partner, or revoked")
    return row


async def events_page(
    pool: asyncpg.Pool, who: Principal, after: str | None, types: list[str], area: str | None, limit: int
) -> api.EventPage:
    """Public events after the cursor, of the partner's types and area (or a part of them)."""
    try:
        position = domain.parse_cursor(after)
    except ValueError:
        raise invalid("after", "游标无效：请使用上一页的 next / not a cursor: use a page's `next`") from None
    async with pool.acquire() as conn:
        partner = await registered_partner(conn, who)
        wanted = _types(types, domain.covered(partner["events"]))
        scope = listing_area(Principal(who.sub, who.role, partner["area_code"]), area)
        if position and position < await store.pruned_through(conn):
            raise expired_cursor()
        rows = await store.page_of_public_events(
            conn, position, [t.type_name() for t in wanted], code_prefix(scope), limit + 1
        )
        last = rows[limit - 1]["seq"] if len(rows) > limit else (rows[-1]["seq"] if rows else position)
    return api.EventPage(events=[r["envelope"] for r in rows[:limit]], next=str(last), has_more=len(rows) > limit)


def expired_cursor() -> Problem:
    message = (
        f"该游标之后的事件已超过保留期（{exchange_settings().retention_days:g} 天）被清理，请不带 after 从头读取，"
        "或按时间从 PUBLIC 消息流重放 / the events after this cursor are past retention: start again "
        "without `after`, or replay the PUBLIC stream from a time"
    )
    return Problem(410, "游标已过期 / Cursor expired", message, errors=[{"field": "after", "message": message}])


def _types(asked: list[str], allowed: list[type[PublicEvent]]) -> list[type[PublicEvent]]:
    try:
        return domain.requested_types(asked, allowed)
    except ValueError as exc:
        raise invalid("types", f"没有这样的公开事件类型 / no such public event type: {exc}") from None
    except LookupError as exc:
        raise forbidden("types", f"不在合作方的事件范围内 / outside the partner's event types: {exc}") from None


async def prune_expired(pool: asyncpg.Pool, batch: int = 1000) -> int:
    """Public events past retention go, oldest first, in batches (the horizon moves with them)."""
    older_than = now() - timedelta(days=exchange_settings().retention_days)
    pruned = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            through = await store.prune_public_events(conn, older_than, batch)
        if not through:
            return pruned
        pruned = through


# --- partners -------------------------------------------------------------------------------------


async def add_partner(
    conn: AnyConnection, name: str, label: str, area: str, events: list[str], nkey: str | None = None
) -> asyncpg.Record:
    """Register a partner (or register a revoked one again): 422 naming the field a rule refuses."""
    if not domain.PARTNER_NAME.fullmatch(name):
        raise invalid("name", "名称为 3–40 位小写字母、数字或连字符，以字母开头 / 3–40 of a-z, 0-9, -, from a letter")
    if error := domain.area_error(area):
        raise invalid("area", error)
    if not events:
        raise invalid("events", "至少一个事件模式 / at least one event pattern")
    for pattern in events:
        if error := domain.pattern_error(pattern):
            raise invalid("events", error)
    await store.add_partner(conn, name, label or name, area, events, nkey)
    return await store.partner(conn, name)


def partner_view(row: asyncpg.Record) -> api.PartnerView:
    return api.PartnerView(
        name=row["name"],
        label=row["label"],
        area_code=row["area_code"],
        area_name=cast(Area, lookup(row["area_code"])).name,
        events=row["events"],
        event_types=[p.type_name() for p in domain.covered(row["events"])],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def partners_overview(pool: asyncpg.Pool, who: Principal) -> list[api.PartnerOverview]:
    """The partners whose area lies in the office's, each with its subscriptions' delivery health."""
    async with pool.acquire() as conn:
        rows = [r for r in await store.partners(conn) if who.covers(r["area_code"])]
        subscriptions = await webhook_store.partner_subscriptions(conn, [r["name"] for r in rows])
        health = await webhooks.endpoints_health(conn, subscriptions)
    owners = [s["partner"] for s in subscriptions]
    return [
        api.PartnerOverview(
            partner=partner_view(row),
            event_labels=[domain.event_label(p.type_name()) for p in domain.covered(row["events"])],
            subscriptions=[h for owner, h in zip(owners, health, strict=True) if owner == row["name"]],
        )
        for row in rows
    ]
