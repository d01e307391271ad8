"""Use cases of portal callbacks: each stage of a work order's life queued for its portal in the
transaction that takes the need's event (so none is lost and none told twice, in the need's order),
and a portal's callback set, re-keyed or stopped by `wushe portal`."""

from __future__ import annotations

from typing import Any

import asyncpg

from contracts.api import exchange as api
from contracts.areas import code_prefix
from contracts.envelope import Envelope, new_id
from contracts.events.needs import NeedRaised, NeedRouted
from kit.auth import Principal
from kit.db import AnyConnection, Conn
from services.exchange.portals import domain, store
from services.exchange.webhooks import handlers as webhooks
from services.exchange.webhooks import store as webhook_store
from services.exchange.webhooks.config import webhook_settings


async def relay(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    """The needs' events of a batch, in stream order: those of needs from a work order become the
    portal's stage messages (one query for a batch with none)."""
    await store.remember_orders(
        conn,
        [
            (e.data.need_id, e.data.work_order.portal, e.data.work_order.order_id)
            for e in envelopes
            if isinstance(e.data, NeedRaised) and e.data.work_order is not None
        ],
    )
    orders = await store.orders_of(conn, [e.data.need_id for e in envelopes])
    routed = {need_id: order["routed"] for need_id, order in orders.items()}
    for envelope in envelopes:
        order = orders.get(envelope.data.need_id)
        if order is None:
            continue
        event = envelope.data
        stage = domain.stage_of(event, routed[order["need_id"]])
        if stage is None:
            continue
        routed[order["need_id"]] += isinstance(event, NeedRouted)
        await store.advance(conn, order["need_id"], stage.value, routed[order["need_id"]])
        if order["callback_id"] is not None:  # a portal without a callback reads progress from Open311
            body = domain.progress(event, order["order_id"], order["need_id"], stage, envelope.time)
            await store.queue_message(conn, order["callback_id"], *_message(envelope, body))


def _message(envelope: Envelope[Any], body: Any) -> tuple[Any, dict[str, Any]]:
    message_id = new_id()
    return message_id, domain.message(message_id, envelope, body)


# --- callbacks (wushe portal) -------------------------------------------------------------------------


async def set_callback(conn: Conn, portal: str, label: str, url: str, area: str, secret: str) -> None:
    """The portal's callback at `url`, signed with its current secret; enabled (again) if it was
    disabled. 422 naming `url` for a URL the webhook rules refuse."""
    await webhooks.check_url(url, webhooks.private_allowed())
    found = await store.callback(conn, portal)
    if found is None:
        subscription_id = new_id()
        sealed = webhooks.seal(subscription_id, secret)
        await store.add_callback(conn, subscription_id, portal, label, url, area, sealed)
        return
    await store.change_callback(conn, found["id"], label, url, webhooks.seal(found["id"], secret))
    if not found["enabled"]:
        await webhook_store.enable(conn, found["id"])


async def rotate_callback_secret(conn: Conn, portal: str, secret: str) -> bool:
    """The new secret signs the portal's callbacks; the one it replaced too, for the overlap."""
    found = await store.callback(conn, portal)
    if found is None:
        return False
    sealed = webhooks.seal(found["id"], secret)
    await webhook_store.rotate_secret(conn, found["id"], sealed, webhook_settings().secret_overlap_s)
    return True


async def callbacks(pool: asyncpg.Pool, who: Principal) -> list[api.PortalCallbackView]:
    """The portals' callbacks in the official's area, with how their deliveries go."""
    async with pool.acquire() as conn:
        rows = await webhook_store.portal_callbacks(conn, code_prefix(who.area))
        health = await webhooks.endpoints_health(conn, rows)
    return [
        api.PortalCallbackView(portal=r["portal"], label=r["portal_label"] or r["portal"], callback=h)
        for r, h in zip(rows, health, strict=True)
    ]


async def stop_callback(conn: Conn, portal: str, reason: str) -> None:
    found = await store.callback(conn, portal)
    if found is not None:
        await webhook_store.disable(conn, found["id"], reason)
