"""Use cases of the exchange's webhooks: a partner's subscriptions (their URL, types, area, rate and
secret), queueing each public event for every matching subscription in the transaction that
publishes it (so none is lost and none queued twice), and the delivery worker that posts them.

The worker leases a subscription whose head of line is due (SKIP LOCKED, so two replicas never take
the same one), sends its open deliveries one at a time in public-event order, and records each
answer; a killed worker's lease runs out and another (or the restarted one) carries on. So every
delivery is made at least once, in order per subscription; `webhook-id` lets the receiver dedupe."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

import aiohttp
import asyncpg
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from contracts.api import exchange as api
from contracts.areas import Area, code_prefix, contains, lookup
from contracts.envelope import Envelope, new_id
from contracts.public import PUBLIC_EVENTS, PublicEvent
from kit.auth import Principal
from kit.clock import now
from kit.crypto import Keyring, ensure_secret, field_context
from kit.db import AnyConnection, Conn
from kit.db import connect as db_connect
from kit.failures import describe
from kit.problems import conflict, forbidden, invalid, not_found
from kit.settings import Settings, get_settings
from kit.uow import NOTIFY_CHANNEL, UnitOfWork
from services.exchange import domain as exchange_domain
from services.exchange import store as exchange_store
from services.exchange.webhooks import domain, store
from services.exchange.webhooks.config import WebhookSettings, webhook_settings

log = logging.getLogger(__name__)
SECRET_BYTES = 32
CONTENT_TYPE = "application/cloudevents+json"  # CloudEvents structured mode: the body is the envelope
USER_AGENT = "wushe-webhooks/1 (Standard Webhooks)"

# --- secrets at rest --------------------------------------------------------------------------------


@lru_cache
def _keyring() -> Keyring:
    key = ensure_secret(webhook_settings().secrets_key_file(get_settings()))
    return Keyring(active="w1", keys={"w1": key}, pseudonym_key=b"")


def seal(subscription_id: UUID, secret: str) -> bytes:
    return _keyring().encrypt(secret, field_context("webhook", subscription_id, "secret"))


def _unseal(subscription_id: UUID, blob: bytes) -> str:
    return _keyring().decrypt(blob, field_context("webhook", subscription_id, "secret"))


def _new_secret() -> str:
    return domain.secret_text(secrets.token_bytes(SECRET_BYTES))


# --- validation -----------------------------------------------------------------------------------------


async def _partner(conn: Conn, who: Principal) -> asyncpg.Record:
    """The caller's partner record, as for the events API: registered and not revoked."""
    row = await exchange_store.partner(cast(AnyConnection, conn), who.sub)
    if row is None or row["revoked_at"] is not None:
        raise forbidden("sub", "合作方未登记或已撤销 / not a registered partner, or revoked")
    return row


def _types(asked: list[str], partner_patterns: list[str]) -> list[str]:
    """The CloudEvents types a subscription takes: all of the partner's by default; a pattern
    (`needs.*`) takes what of it lies in the partner's scope, a named type must lie in it."""
    allowed = exchange_domain.covered(partner_patterns)
    if not asked:
        return [t.type_name() for t in allowed]
    chosen: set[type[PublicEvent]] = set()
    for name in asked:
        if "*" in name:
            if error := exchange_domain.pattern_error(name):
                raise invalid("types", error)
            inside = [t for t in exchange_domain.covered([name]) if t in allowed]
            if not inside:
                raise forbidden("types", f"不在合作方的事件范围内 / outside the partner's event types: {name}")
            chosen.update(inside)
            continue
        try:
            chosen.update(exchange_domain.requested_types([name], allowed))
        except ValueError:
            raise invalid("types", f"没有这样的公开事件类型 / no such public event type: {name}") from None
        except LookupError:
            raise forbidden("types", f"不在合作方的事件范围内 / outside the partner's event types: {name}") from None
    return [t.type_name() for t in PUBLIC_EVENTS if t in chosen]


def _area(asked: str | None, partner_area: str) -> str:
    area = asked or partner_area
    if lookup(area) is None:
        raise invalid("area", f"未知的行政区划代码 / unknown area code: {area}")
    if not contains(partner_area, area):
        raise forbidden("area", f"不在合作方辖区内 / outside the partner's area: {area}")
    return area


async def check_url(url: str, allow_private: bool) -> None:
    """422 naming `url` for a URL the rules refuse; where private endpoints are not allowed, also
    for a host that does not resolve or resolves to a loopback, private or link-local address."""
    if error := domain.url_error(url):
        raise invalid("url", error)
    if allow_private:
        return
    host = domain.host_of(url)
    addresses = [host] if domain.ip_literal(host) else await _resolve(host)
    if error := domain.address_error(host, addresses):
        raise invalid("url", error)


async def _resolve(host: str) -> list[str]:
    try:
        found = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError, UnicodeError):
        return []
    return [str(info[4][0]) for info in found]


def private_allowed() -> bool:
    return webhook_settings().private_allowed(get_settings())


# --- views -------------------------------------------------------------------------------------------------


def view(row: asyncpg.Record, pending: int) -> api.WebhookView:
    return api.WebhookView(
        id=row["id"],
        url=row["url"],
        types=row["types"],
        area_code=row["area_code"],
        area_name=cast(Area, lookup(row["area_code"])).name,
        rate_limit_per_s=row["rate_limit_per_s"],
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        last_success_at=row["last_success_at"],
        failing_since=row["failing_since"],
        previous_secret_until=row["previous_secret_until"] if row["previous_secret"] is not None else None,
        pending=pending,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _with_secret(row: asyncpg.Record, pending: int, secret: str) -> api.WebhookWithSecret:
    return api.WebhookWithSecret(**view(row, pending).model_dump(), secret=secret)


def delivery_view(row: asyncpg.Record) -> api.DeliveryView:
    open_ = row["status"] in domain.OPEN_STATUSES
    return api.DeliveryView(
        id=row["id"],
        event_id=row["event_id"],
        type=row["type"],
        type_label=exchange_domain.event_label(row["type"]),
        status=row["status"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_latency_ms=row["last_latency_ms"],
        last_error=row["last_error"],
        last_attempt_at=row["last_attempt_at"],
        next_attempt_at=row["next_attempt_at"] if open_ else None,
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
    )


async def _pending(conn: Conn, row: asyncpg.Record) -> int:
    return (await store.open_counts(conn, [row["id"]])).get(row["id"], 0)


async def _own(conn: Conn, who: Principal, subscription_id: UUID) -> asyncpg.Record:
    """The caller's own subscription; another partner's looks exactly like a missing one."""
    await _partner(conn, who)
    row = await store.subscription(conn, subscription_id, who.sub)
    if row is None:
        raise not_found()
    return row


# --- subscriptions -------------------------------------------------------------------------------------------


async def subscribe(pool: asyncpg.Pool, who: Principal, body: api.WebhookIn) -> api.WebhookWithSecret:
    await check_url(body.url, private_allowed())
    async with UnitOfWork(pool) as uow:
        partner = await _partner(uow.conn, who)
        await _below_cap(uow.conn, partner["name"])
        types = _types(body.types, partner["events"])
        area = _area(body.area, partner["area_code"])
        subscription_id, secret = new_id(), _new_secret()
        row = await store.add_subscription(
            uow.conn,
            {
                "id": subscription_id,
                "partner": partner["name"],
                "url": body.url,
                "types": types,
                "area_code": area,
                "area_prefix": code_prefix(area),
                "rate_limit_per_s": body.rate_limit_per_s,
                "secret": seal(subscription_id, secret),
            },
        )
    return _with_secret(row, 0, secret)


async def _below_cap(conn: Conn, partner: str) -> None:
    """A partner's subscriptions are bounded: each is a line the workers serve."""
    cap = webhook_settings().max_subscriptions
    if await store.subscription_count(conn, partner) >= cap:
        raise conflict(
            f"订阅数已达上限（{cap} 个），请先删除不用的订阅，或在一个订阅中选多种事件 / at most {cap} "
            "subscriptions: delete one you no longer use, or take several event types in one"
        )


async def prune_deliveries(conn: AnyConnection, batch: int = 1000) -> int:
    """Delivered and dead deliveries older than the log keeps them go, oldest first, in batches."""
    older_than = now() - timedelta(days=webhook_settings().keep_days)
    pruned = 0
    while done := await store.prune_deliveries(conn, older_than, batch):
        pruned += done
    return pruned


async def subscriptions(pool: asyncpg.Pool, who: Principal) -> list[api.WebhookView]:
    async with pool.acquire() as conn:
        await _partner(conn, who)
        rows = await store.subscriptions_of(conn, who.sub)
        pending = await store.open_counts(conn, [r["id"] for r in rows])
    return [view(r, pending.get(r["id"], 0)) for r in rows]


async def subscription(pool: asyncpg.Pool, who: Principal, subscription_id: UUID) -> api.WebhookView:
    async with pool.acquire() as conn:
        row = await _own(conn, who, subscription_id)
        return view(row, await _pending(conn, row))


async def change(pool: asyncpg.Pool, who: Principal, subscription_id: UUID, body: api.WebhookPatch) -> api.WebhookView:
    if body.url is not None:
        await check_url(body.url, private_allowed())
    async with UnitOfWork(pool) as uow:
        row = await _own(uow.conn, who, subscription_id)
        partner = await _partner(uow.conn, who)
        values: dict[str, Any] = {}
        if body.url is not None:
            values["url"] = body.url
        if body.types is not None:
            values["types"] = _types(body.types, partner["events"])
        if body.area is not None:
            area = _area(body.area, partner["area_code"])
            values |= {"area_code": area, "area_prefix": code_prefix(area)}
        if body.rate_limit_per_s is not None:
            values["rate_limit_per_s"] = body.rate_limit_per_s
        if values:
            row = await store.update_subscription(uow.conn, subscription_id, **values)
        if body.enabled is True and not row["enabled"]:
            await store.enable(uow.conn, subscription_id)
        elif body.enabled is False and row["enabled"]:
            await store.disable(uow.conn, subscription_id, domain.BY_PARTNER_REASON)
        row = await _own(uow.conn, who, subscription_id)
        return view(row, await _pending(uow.conn, row))


async def unsubscribe(pool: asyncpg.Pool, who: Principal, subscription_id: UUID) -> None:
    async with UnitOfWork(pool) as uow:
        await _own(uow.conn, who, subscription_id)
        await store.delete_subscription(uow.conn, subscription_id, who.sub)


async def rotate_secret(pool: asyncpg.Pool, who: Principal, subscription_id: UUID) -> api.WebhookWithSecret:
    """A new secret; the one it replaces keeps signing for the overlap, so each delivery meanwhile
    carries both signatures and the receiver may switch at any time."""
    overlap = webhook_settings().secret_overlap_s
    async with UnitOfWork(pool) as uow:
        row = await _own(uow.conn, who, subscription_id)
        secret = _new_secret()
        row = await store.rotate_secret(uow.conn, subscription_id, seal(subscription_id, secret), overlap)
        return _with_secret(row, await _pending(uow.conn, row), secret)


# --- deliveries ---------------------------------------------------------------------------------------------------


async def deliveries(
    pool: asyncpg.Pool, who: Principal, subscription_id: UUID, status: str | None, after: str | None, limit: int
) -> api.DeliveryPage:
    try:
        position = exchange_domain.parse_cursor(after)
    except ValueError:
        raise invalid("after", "游标无效：请使用上一页的 next / not a cursor: use a page's `next`") from None
    async with pool.acquire() as conn:
        await _own(conn, who, subscription_id)
        rows = await store.deliveries(conn, subscription_id, status, position, limit + 1)
    page = rows[:limit]
    last = page[-1]["seq"] if page else position
    return api.DeliveryPage(deliveries=[delivery_view(r) for r in page], next=str(last), has_more=len(rows) > limit)


# how a caller's endpoint is found: a partner's own (`_own`), or one in the office's area (`overseen`)
Finder = Callable[[Conn, Principal, UUID], Awaitable[asyncpg.Record]]


async def replay(
    pool: asyncpg.Pool, who: Principal, subscription_id: UUID, since: datetime, find: Finder | None = None
) -> api.ReplayView:
    """A partner's subscription: every public event of its types and area since `since`, sent again
    (those it never had too); a portal's callback: its own messages since then. In order, from the
    first step of the back-off."""
    async with UnitOfWork(pool) as uow:
        row = await (find or _own)(uow.conn, who, subscription_id)
        if row["portal"] is not None:
            return api.ReplayView(queued=await store.requeue_own_since(uow.conn, subscription_id, since))
        return api.ReplayView(queued=await store.requeue_since(uow.conn, row, since))


async def retry(
    pool: asyncpg.Pool, who: Principal, subscription_id: UUID, delivery_id: UUID, find: Finder | None = None
) -> api.DeliveryView:
    async with UnitOfWork(pool) as uow:
        await (find or _own)(uow.conn, who, subscription_id)
        row = await store.requeue_one(uow.conn, subscription_id, delivery_id)
        if row is None:
            raise not_found()
        return delivery_view(row)


# --- oversight (the civil-affairs office) -----------------------------------------------------------------------

HEALTH_WINDOW_H = 24 * 7  # the deliveries the health figures are taken over


async def endpoints_health(conn: Conn, rows: list[asyncpg.Record]) -> list[api.EndpointHealth]:
    """Each subscription or callback with its delivery health over the last HEALTH_WINDOW_H hours."""
    ids = [r["id"] for r in rows]
    figures = await store.health(conn, ids, now() - timedelta(hours=HEALTH_WINDOW_H))
    failures = await store.last_failures(conn, ids)
    return [_endpoint_health(r, figures.get(r["id"]), failures.get(r["id"])) for r in rows]


def _endpoint_health(
    row: asyncpg.Record, figures: asyncpg.Record | None, failure: asyncpg.Record | None
) -> api.EndpointHealth:
    counts = {k: figures[k] if figures else 0 for k in ("delivered", "pending", "dead", "attempts")}
    return api.EndpointHealth(
        id=row["id"],
        url=row["url"],
        event_labels=[exchange_domain.event_label(t) for t in row["types"]],
        area_code=row["area_code"],
        area_name=cast(Area, lookup(row["area_code"])).name,
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        failing_since=row["failing_since"],
        health=api.DeliveryHealth(
            window_hours=HEALTH_WINDOW_H,
            **counts,
            success_rate=counts["delivered"] / counts["attempts"] if counts["attempts"] else None,
            p99_latency_ms=figures["p99_latency_ms"] if figures else None,
            last_success_at=row["last_success_at"],
            last_failure=api.DeliveryFailure(**dict(failure)) if failure and failure["at"] else None,
        ),
    )


async def overseen(conn: Conn, who: Principal, subscription_id: UUID) -> asyncpg.Record:
    """A subscription or callback in the official's area; one elsewhere looks like a missing one."""
    row = await store.endpoint(conn, subscription_id)
    if row is None or not who.covers(row["area_code"]):
        raise not_found()
    return row


async def deliveries_for(
    pool: asyncpg.Pool, who: Principal, subscription_id: UUID, status: str | None, limit: int
) -> list[api.DeliveryView]:
    """An endpoint's latest deliveries, newest first (what the office looks at when one fails)."""
    async with pool.acquire() as conn:
        await overseen(conn, who, subscription_id)
        rows = await store.latest_deliveries(conn, subscription_id, status, limit)
    return [delivery_view(r) for r in rows]


# --- the queue ------------------------------------------------------------------------------------------------------


async def enqueue(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    """Inside the transaction that stores these public events: one delivery per matching enabled
    subscription whose partner may still see the event."""
    if not envelopes:
        return
    found = await store.candidates(conn, [e.id for e in envelopes])
    await store.add_deliveries(
        conn,
        [
            (r["subscription_id"], r["event_id"], r["seq"], r["type"])
            for r in found
            if domain.in_scope(r["type"], r["area_code"], r["partner_events"], r["partner_area"])
        ],
    )


# --- the delivery worker -----------------------------------------------------------------------------------------


class _PublicAddressesOnly(AbstractResolver):
    """Resolves as usual, and refuses a host with any address that is not public: checked where the
    connection is made, so a name that resolved to a public address when the subscription was made
    cannot be pointed at an internal one later."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if error := domain.address_error(host, [r["host"] for r in found]):
            raise OSError(error)
        return found

    async def close(self) -> None:
        await self._inner.close()


class DeliveryWorker:
    """Sends due deliveries, up to `max_endpoints` subscriptions at once, each in its own task."""

    name = "exchange-webhooks"

    def __init__(self, pool: asyncpg.Pool, settings: WebhookSettings, platform: Settings) -> None:
        self.pool, self.settings, self.platform = pool, settings, platform
        self.allow_private = settings.private_allowed(platform)
        self.owner = new_id()  # this worker's leases
        self.paused: str | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()  # something may be due: claim now rather than at the next poll
        self._listener: asyncpg.Connection | None = None
        self._serving: dict[UUID, asyncio.Task[None]] = {}
        self._buckets: dict[UUID, domain.TokenBucket] = {}
        self._secrets: dict[tuple[UUID, bytes], str] = {}  # unsealed signing secrets, by their sealed form
        # a lease is extended once less than this is left, so that every request starts with at least
        # twice its timeout left on the lease (always, where the lease is that short)
        self._renew_below_s = max(settings.lease_s / 2, 2 * settings.timeout_s)
        # successes waiting to be recorded, (subscription, delivery, HTTP status, latency ms, the waiter)
        self._successes: list[tuple[UUID, UUID, int | None, int, asyncio.Future[store.Step | None]]] = []
        self._recording: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        resolver = None if self.allow_private else _PublicAddressesOnly()
        connector = aiohttp.TCPConnector(resolver=resolver, limit=self.settings.max_endpoints * 2)
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self._session = session
            try:
                while not self._stopping.is_set():
                    await self._listen()
                    self._wake.clear()
                    try:
                        await self._claim()
                        self.paused = None
                    except Exception as exc:  # noqa: BLE001 - e.g. PostgreSQL restarting: claim again next round
                        self.paused = describe(exc)
                        log.warning("webhook claim failed", extra={"error": self.paused})
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval_s)
                    except TimeoutError:
                        pass
            finally:
                await self._wind_down()
                if self._listener is not None:
                    try:
                        await self._listener.close()
                    except Exception:  # noqa: BLE001 - the server ends the session with the connection
                        pass

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _listen(self) -> None:
        """Wake on the exchange's outbox NOTIFY: public events commit in the transaction that queues
        their deliveries, so a new delivery is claimed at once instead of at the next poll. Without
        the listener (PostgreSQL away) the poll alone keeps things moving."""
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = None
        try:
            # a connection of its own: a pooled one would lose its LISTEN when released
            listener = await asyncio.wait_for(db_connect(self.platform, "exchange"), self.settings.timeout_s)
            await listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception:  # noqa: BLE001 - PostgreSQL away: poll meanwhile, listen again next round
            return
        self._listener = listener

    async def _wait(self, seconds: float) -> bool:
        """Sleep, or less when stopping: True when it is time to stop."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _claim(self) -> None:
        free = self.settings.max_endpoints - len(self._serving)
        if free <= 0:
            return
        for subscription_id in await store.claim(self.pool, self.owner, free, self.settings.lease_s):
            task = asyncio.create_task(self._serve(subscription_id), name=f"webhook:{subscription_id}")
            self._serving[subscription_id] = task
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        for subscription_id, serving in list(self._serving.items()):
            if serving is task:
                del self._serving[subscription_id]
        self._wake.set()  # a delivery queued while it wound down is claimed again now, and a slot is free

    async def _wind_down(self) -> None:
        """Let the requests in flight finish (briefly), then give up this worker's leases."""
        if self._serving:
            _, late = await asyncio.wait(list(self._serving.values()), timeout=3)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._recording is not None and not self._recording.done():
            await asyncio.wait([self._recording], timeout=3)  # the successes it is recording
        try:
            await store.release(self.pool, self.owner)
        except Exception as exc:  # noqa: BLE001 - the leases run out by themselves
            log.warning("webhook leases not released", extra={"error": describe(exc)})

    async def _serve(self, subscription_id: UUID) -> None:
        """The subscription's open deliveries, head of line first, while they are due. Every step
        checks the lease (renewing it as it runs low) and reads the head of line in one statement,
        and a success is recorded in the statement that reads the next step: one round trip to
        PostgreSQL per delivery at most."""
        try:
            step = await self._step(subscription_id)
            while step is not None and not self._stopping.is_set():
                sub, job = step
                if job is None or not job["due"]:
                    return
                if job["envelope"] is None:
                    await store.mark_dead(
                        self.pool, job["id"], "公开事件已过保留期 / the public event is past retention"
                    )
                elif sub["partner"] and not domain.in_scope(
                    job["type"], job["area_code"], sub["partner_events"], sub["partner_area"]
                ):
                    await store.mark_dead(self.pool, job["id"], "已不在合作方范围内 / no longer in the partner's scope")
                elif await self._rate_limited(sub):
                    return
                else:
                    step = await self._deliver(sub, job)
                    continue
                step = await self._step(subscription_id)
        except Exception as exc:  # noqa: BLE001 - the lease runs out and the subscription is claimed again
            log.warning("webhook sending paused", extra={"subscription": str(subscription_id), "error": describe(exc)})
        finally:
            try:
                await store.release(self.pool, self.owner, subscription_id)
            except Exception:  # noqa: BLE001 - the lease runs out by itself
                pass

    async def _step(self, subscription_id: UUID) -> store.Step | None:
        return await store.lease_head(
            self.pool, subscription_id, self.owner, self.settings.lease_s, self._renew_below_s
        )

    async def _succeeded(
        self, subscription_id: UUID, delivery_id: UUID, status: int | None, latency_ms: int
    ) -> store.Step | None:
        """Record a success and read the subscription's next step. The subscriptions served at once
        share the statement: successes that come while one runs are recorded by the next, like a
        group commit. Each subscription still has one delivery in flight, recorded before its next."""
        waiter: asyncio.Future[store.Step | None] = asyncio.get_running_loop().create_future()
        self._successes.append((subscription_id, delivery_id, status, latency_ms, waiter))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.create_task(self._record_successes(), name="webhook:successes")
        return await waiter

    async def _record_successes(self) -> None:
        while self._successes:
            await asyncio.sleep(0)  # those that come in the same turn of the loop join this statement
            batch, self._successes = self._successes, []
            try:
                steps = await store.delivered_and_next(
                    self.pool, self.owner, self.settings.lease_s, self._renew_below_s, [b[:4] for b in batch]
                )
            except Exception as exc:  # noqa: BLE001 - each waiter's line pauses, as on any failure of its own
                for *_, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for subscription_id, *_, waiter in batch:
                if not waiter.done():  # cancelled meanwhile (winding down): its success is recorded all the same
                    waiter.set_result(steps.get(subscription_id))

    async def _rate_limited(self, sub: dict[str, Any]) -> bool:
        """Wait for the endpoint's rate limit (holding the lease meanwhile): True when stopping."""
        bucket = self._buckets.get(sub["id"])
        if bucket is None:
            bucket = self._buckets[sub["id"]] = domain.TokenBucket(sub["rate_limit_per_s"], time.monotonic())
        bucket.retune(sub["rate_limit_per_s"])
        wait = bucket.take(time.monotonic())
        if wait <= 0:
            return False
        await store.renew(self.pool, sub["id"], self.owner, self.settings.lease_s + wait)
        return await self._wait(wait)

    def _secret(self, subscription_id: UUID, sealed: bytes) -> str:
        """A signing secret, unsealed once per sealed value (a rotation seals a new one)."""
        key = (subscription_id, bytes(sealed))
        secret = self._secrets.get(key)
        if secret is None:
            if len(self._secrets) >= 4 * self.settings.max_endpoints:
                self._secrets.clear()  # bounded: those still in use are unsealed again
            secret = self._secrets[key] = _unseal(subscription_id, sealed)
        return secret

    async def _deliver(self, sub: dict[str, Any], job: dict[str, Any]) -> store.Step | None:
        """One attempt, and its outcome recorded: the next step of the line, or None to stop (the
        subscription disabled, its head waiting for a retry, or no longer this worker's)."""
        at = datetime.now(UTC)
        signing = domain.signing_secrets(
            self._secret(sub["id"], sub["secret"]),
            self._secret(sub["id"], sub["previous_secret"]) if sub["previous_secret"] is not None else None,
            sub["previous_secret_until"],
            at,
        )
        payload = orjson.dumps(job["envelope"]).decode()
        msg_id = str(job["event_id"])
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": domain.signature_header(signing, msg_id, at, payload),
            "content-type": CONTENT_TYPE,
            "user-agent": USER_AGENT,
        }
        status, retry_after, error = await self._post(sub["url"], payload, headers)
        latency_ms = int((datetime.now(UTC) - at).total_seconds() * 1000)
        result = domain.outcome(status, retry_after, job["failures"], self.settings.retry_s, random.random(), at)
        if result.status == "delivered":
            return await self._succeeded(sub["id"], job["id"], status, latency_ms)
        async with self.pool.acquire() as conn, conn.transaction():
            await store.record_attempt(
                conn,
                job["id"],
                status=result.status,
                counted=result.counted,
                retry_in_s=result.retry_in_s,
                http_status=status,
                latency_ms=latency_ms,
                error=error,
            )
            failing_since = await store.failed(conn, sub["id"])
            reason = None
            if result.gone:
                reason = domain.GONE_REASON
            elif domain.should_disable(failing_since, now(), self.settings.disable_after_s):
                reason = domain.failing_reason(self.settings.disable_after_s / 86400)
            if reason is not None:
                await store.disable(conn, sub["id"], reason)
        if reason is None:
            if result.status != "dead":
                return None  # a failed head waits for its retry
            # a dead head no longer blocks the line
            return await self._step(sub["id"])
        log.warning(
            "webhook subscription disabled",
            extra={"subscription": str(sub["id"]), "partner": sub["partner"], "reason": reason},
        )
        return None

    async def _post(self, url: str, payload: str, headers: dict[str, str]) -> tuple[int | None, str | None, str | None]:
        """(HTTP status or None, Retry-After, what went wrong or None)."""
        assert self._session is not None
        host = domain.host_of(url)
        if not self.allow_private and domain.ip_literal(host) and (refused := domain.address_error(host, [host])):
            return None, None, refused
        try:
            async with self._session.post(url, data=payload.encode(), headers=headers, allow_redirects=False) as reply:
                await reply.content.read(64 * 1024)
                error = None if 200 <= reply.status < 300 else f"HTTP {reply.status}"
                return reply.status, reply.headers.get("Retry-After"), error
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return None, None, describe(exc) or type(exc).__name__
