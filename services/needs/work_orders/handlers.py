"""Portal work orders (工单) in: a portal posts a signed CloudEvent, and it becomes one need, however
often and however concurrently it is posted. The signature (Standard Webhooks, with the portal's
secret from the portals file) is the portal's credential: this service checks it itself."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

import asyncpg
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from contracts.api import needs as api
from contracts.envelope import new_id
from contracts.events.needs import WorkOrderRef
from kit.auth import Principal, Role
from kit.crypto import Keyring
from kit.problems import Problem, field_errors, forbidden, invalid, invalid_fields
from kit.settings import get_settings
from kit.uow import UnitOfWork
from services.needs.config import needs_settings
from services.needs.handlers import Defaults, raised_need, write_raised_needs_in
from services.needs.taxonomy import Taxonomy
from services.needs.work_orders import domain, store

log = logging.getLogger(__name__)
ACCEPTED = "已受理 / accepted"


def active_portals() -> dict[str, dict[str, Any]]:
    """The portals file's portals that are not revoked: read on every post, so that a `wushe portal`
    change holds at once on every replica (a missing or unreadable file: none)."""
    try:
        portals = json.loads(needs_settings().portals_path(get_settings()).read_text())
    except (OSError, ValueError):
        return {}
    return {name: entry for name, entry in portals.items() if not entry.get("revoked")}


def verified(name: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The portal, once the post's signature verifies with one of its secrets inside the timestamp
    window; else 401, logged (an unknown portal looks like a bad signature)."""
    portal = active_portals().get(name)
    signed = {k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")}
    reason = "unknown or revoked portal"
    for secret in portal["secrets"] if portal else []:  # two while a secret is being rotated
        try:
            Webhook(secret).verify(body, signed, json_parse=False)
            return portal  # type: ignore[return-value]
        except (WebhookVerificationError, ValueError) as exc:  # ValueError: a malformed header or body
            reason = f"{type(exc).__name__}: {exc}"
    log.warning("work order refused: portal %s, webhook-id %s: %s", name, signed.get("webhook-id"), reason)
    raise Problem(
        401,
        "签名无效 / Invalid signature",
        "工单签名无效、已过期或门户未登记 / the signature is invalid, too old or of no registered portal",
        headers={"WWW-Authenticate": 'Signature realm="wushe-work-orders"'},
    )


def work_order_of(headers: Mapping[str, str], body: bytes) -> tuple[str, api.WorkOrderIn]:
    """(CloudEvent id, work order) of a post, or 422 naming the field."""
    try:
        attributes, data = domain.cloud_event(headers.get("content-type", ""), headers, body)
    except domain.Unreadable as exc:
        raise invalid(exc.field, str(exc)) from None
    try:
        return attributes["id"], api.WorkOrderIn.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "field": f"data.{e['field']}"} for e in field_errors(exc.errors())]
        raise invalid_fields("工单内容无效 / invalid work order", errors) from None


async def receive_work_order(
    pool: asyncpg.Pool, keyring: Keyring, defaults: Defaults, taxonomy: Taxonomy, name: str, headers, body: bytes
) -> api.WorkOrderAccepted:
    portal = verified(name, headers, body)
    event_id, order = work_order_of(headers, body)
    return await accept(pool, keyring, defaults, taxonomy, name, portal, event_id, order)


async def accept(
    pool: asyncpg.Pool,
    keyring: Keyring,
    defaults: Defaults,
    taxonomy: Taxonomy,
    name: str,
    portal: dict[str, Any],
    event_id: str,
    order: api.WorkOrderIn,
) -> api.WorkOrderAccepted:
    """The need of a portal's order, raised now unless an earlier post of the same order did."""
    raiser = Principal(name, Role.PARTNER, portal["area_code"])
    if not raiser.covers(order.area_code):
        raise forbidden("data.area_code", "诉求所在地不在门户辖区内 / the area is outside the portal's")
    await taxonomy.require(order.category, "data.category")
    need_id = new_id()
    async with UnitOfWork(pool) as uow:
        first = await store.claim_work_order(uow.conn, name, order.order_id, need_id, event_id)
        if first == need_id:
            need = domain.need_of(order)
            ref = WorkOrderRef(portal=name, order_id=order.order_id)
            raised = raised_need(keyring, raiser, need_id, need, order.resident, ref)
            await write_raised_needs_in(uow, defaults, [raised])
    return api.WorkOrderAccepted(order_id=order.order_id, need_id=first, status=ACCEPTED, duplicate=first != need_id)


# --- Open311 GeoReport v2: the same intake for portals that speak it ---------------------------------


def portal_by_key(api_key: str | None) -> tuple[str, dict[str, Any]]:
    """The portal whose signing secret is this Open311 `api_key` (403 when none is)."""
    for name, entry in active_portals().items():
        if api_key and any(hmac.compare_digest(api_key, s) for s in entry["secrets"]):
            return name, entry
    log.warning("Open311 request refused: no portal has this api_key")
    raise forbidden("api_key", "api_key 无效或门户已撤销 / the api_key is of no registered portal")


async def open311_requests(pool: asyncpg.Pool, name: str, ids: list[str], limit: int) -> list[dict[str, Any]]:
    rows = await store.portal_requests(pool, name, ids, limit)
    return [domain.open311_request(dict(row)) for row in rows]
