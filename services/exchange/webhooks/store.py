"""The webhooks' SQL: subscriptions, the delivery queue (one row per public event per subscription)
and the workers' leases on subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import asyncpg

from kit.db import AnyConnection, Conn, insert_sql, set_clause

OPEN = "('pending', 'failed')"
# a subscription whose owner may still be sent to: a portal's callback, or a partner not revoked
LIVE_OWNER = """(s.portal IS NOT NULL
                 OR EXISTS (SELECT 1 FROM partners p WHERE p.name = s.partner AND p.revoked_at IS NULL))"""

# --- subscriptions ----------------------------------------------------------------------------------


async def add_subscription(conn: Conn, row: dict[str, Any]) -> asyncpg.Record:
    added = await conn.fetchrow(insert_sql("webhook_subscriptions", tuple(row), "RETURNING *"), *row.values())
    return cast(asyncpg.Record, added)


async def subscription(conn: Conn, subscription_id: UUID, partner: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM webhook_subscriptions WHERE id = $1 AND partner = $2", subscription_id, partner
    )


async def subscription_count(conn: Conn, partner: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM webhook_subscriptions WHERE partner = $1", partner))


async def subscriptions_of(conn: Conn, partner: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM webhook_subscriptions WHERE partner = $1 ORDER BY created_at", partner)


async def update_subscription(conn: Conn, subscription_id: UUID, **values: Any) -> asyncpg.Record:
    updated = await conn.fetchrow(
        f"UPDATE webhook_subscriptions SET {set_clause(values, 2)}, updated_at = now() WHERE id = $1 RETURNING *",
        subscription_id,
        *values.values(),
    )
    return cast(asyncpg.Record, updated)


async def rotate_secret(conn: Conn, subscription_id: UUID, sealed: bytes, overlap_s: float) -> asyncpg.Record:
    """The new secret signs from now on; the one it replaces keeps signing for `overlap_s`."""
    rotated = await conn.fetchrow(
        """UPDATE webhook_subscriptions
           SET previous_secret = secret, previous_secret_until = now() + make_interval(secs => $3),
               secret = $2, updated_at = now()
           WHERE id = $1 RETURNING *""",
        subscription_id,
        sealed,
        overlap_s,
    )
    return cast(asyncpg.Record, rotated)


async def enable(conn: Conn, subscription_id: UUID) -> None:
    """Enabled again: the deliveries it kept pending are due now, and it starts afresh on failing."""
    await conn.execute(
        """UPDATE webhook_subscriptions SET enabled = true, disabled_reason = NULL, disabled_at = NULL,
                  failing_since = NULL, updated_at = now() WHERE id = $1""",
        subscription_id,
    )
    await conn.execute(
        f"UPDATE webhook_deliveries SET next_attempt_at = now() WHERE subscription_id = $1 AND status IN {OPEN}",
        subscription_id,
    )


async def disable(conn: Conn, subscription_id: UUID, reason: str) -> bool:
    done = await conn.execute(
        """UPDATE webhook_subscriptions SET enabled = false, disabled_reason = $2, disabled_at = now(),
                  updated_at = now() WHERE id = $1 AND enabled""",
        subscription_id,
        reason,
    )
    return done != "UPDATE 0"


async def delete_subscription(conn: Conn, subscription_id: UUID, partner: str) -> bool:
    done = await conn.execute(
        "DELETE FROM webhook_subscriptions WHERE id = $1 AND partner = $2", subscription_id, partner
    )
    return done != "DELETE 0"


async def open_counts(conn: Conn, subscription_ids: Sequence[UUID]) -> dict[UUID, int]:
    rows = await conn.fetch(
        f"""SELECT subscription_id, count(*) AS n FROM webhook_deliveries
            WHERE subscription_id = ANY($1::uuid[]) AND status IN {OPEN} GROUP BY subscription_id""",
        list(subscription_ids),
    )
    return {r["subscription_id"]: r["n"] for r in rows}


# --- the queue -----------------------------------------------------------------------------------------


async def candidates(conn: AnyConnection, event_ids: list[UUID]) -> list[asyncpg.Record]:
    """(subscription, public event) pairs that match by type and area, of enabled subscriptions of
    partners not revoked, with the partner's scope for a last check."""
    return await conn.fetch(
        """SELECT s.id AS subscription_id, e.event_id, e.seq, e.type, e.area_code,
                  p.events AS partner_events, p.area_code AS partner_area
           FROM public_events e
           JOIN webhook_subscriptions s ON e.type = ANY(s.types) AND e.area_code LIKE s.area_prefix || '%'
           JOIN partners p ON p.name = s.partner AND p.revoked_at IS NULL
           WHERE e.event_id = ANY($1::uuid[]) AND s.enabled""",
        event_ids,
    )


async def add_deliveries(conn: AnyConnection, rows: list[tuple[UUID, UUID, int, str]]) -> None:
    """One row per (subscription, event), once: a second enqueue of the same pair adds nothing."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO webhook_deliveries (subscription_id, event_id, seq, type)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[])
           ON CONFLICT (subscription_id, event_id) DO NOTHING""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
    )


async def requeue_since(conn: Conn, sub: asyncpg.Record, since: datetime) -> int:
    """Every public event of the subscription's types and area since `since`, queued again (or for
    the first time): due now, its back-off from the start."""
    done = await conn.fetchval(
        """WITH queued AS (
               INSERT INTO webhook_deliveries (subscription_id, event_id, seq, type)
               SELECT $1, event_id, seq, type FROM public_events
               WHERE occurred_at >= $2 AND type = ANY($3::text[]) AND area_code LIKE $4 || '%'
               ON CONFLICT (subscription_id, event_id) DO UPDATE
                  SET status = 'pending', failures = 0, next_attempt_at = now(), last_error = NULL
               RETURNING 1)
           SELECT count(*) FROM queued""",
        sub["id"],
        since,
        sub["types"],
        sub["area_prefix"],
    )
    return int(done)


async def requeue_one(conn: Conn, subscription_id: UUID, delivery_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """UPDATE webhook_deliveries SET status = 'pending', failures = 0, next_attempt_at = now(), last_error = NULL
           WHERE id = $1 AND subscription_id = $2 RETURNING *""",
        delivery_id,
        subscription_id,
    )


async def deliveries(
    conn: Conn, subscription_id: UUID, status: str | None, after: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM webhook_deliveries
           WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2) AND seq > $3
           ORDER BY seq LIMIT $4""",
        subscription_id,
        status,
        after,
        limit,
    )


# --- oversight -----------------------------------------------------------------------------------------


async def partner_subscriptions(conn: Conn, partners: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM webhook_subscriptions WHERE partner = ANY($1::text[]) ORDER BY created_at", list(partners)
    )


async def portal_callbacks(conn: Conn, area_prefix: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM webhook_subscriptions WHERE portal IS NOT NULL AND area_code LIKE $1 || '%' ORDER BY portal",
        area_prefix,
    )


async def endpoint(conn: Conn, subscription_id: UUID) -> asyncpg.Record | None:
    """A subscription of any owner, partner or portal."""
    return await conn.fetchrow("SELECT * FROM webhook_subscriptions WHERE id = $1", subscription_id)


async def health(conn: Conn, subscription_ids: Sequence[UUID], since: datetime) -> dict[UUID, asyncpg.Record]:
    """Per subscription, its deliveries queued since `since`: how many delivered, open and dead,
    the attempts, the p99 of delivered requests' latency, the last success."""
    rows = await conn.fetch(
        f"""SELECT subscription_id,
                   count(*) FILTER (WHERE status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE status IN {OPEN}) AS pending,
                   count(*) FILTER (WHERE status = 'dead') AS dead,
                   coalesce(sum(attempts), 0) AS attempts,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY last_latency_ms)
                       FILTER (WHERE status = 'delivered') AS p99_latency_ms,
                   max(delivered_at) AS last_success_at
            FROM webhook_deliveries WHERE subscription_id = ANY($1::uuid[]) AND created_at >= $2
            GROUP BY subscription_id""",
        list(subscription_ids),
        since,
    )
    return {r["subscription_id"]: r for r in rows}


async def last_failures(conn: Conn, subscription_ids: Sequence[UUID]) -> dict[UUID, asyncpg.Record]:
    """Per subscription, its latest failed attempt's time, HTTP status and reason."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (subscription_id) subscription_id, last_attempt_at AS at, last_status AS status,
                  last_error AS error
           FROM webhook_deliveries
           WHERE subscription_id = ANY($1::uuid[]) AND last_error IS NOT NULL AND status <> 'delivered'
           ORDER BY subscription_id, last_attempt_at DESC""",
        list(subscription_ids),
    )
    return {r["subscription_id"]: r for r in rows}


async def latest_deliveries(conn: Conn, subscription_id: UUID, status: str | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM webhook_deliveries WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2)
           ORDER BY seq DESC LIMIT $3""",
        subscription_id,
        status,
        limit,
    )


async def requeue_own_since(conn: Conn, subscription_id: UUID, since: datetime) -> int:
    """A portal's callback messages since `since`, sent again (they are its own, not public events)."""
    done = await conn.execute(
        """UPDATE webhook_deliveries SET status = 'pending', failures = 0, next_attempt_at = now(), last_error = NULL
           WHERE subscription_id = $1 AND created_at >= $2""",
        subscription_id,
        since,
    )
    return int(done.split()[-1])


# --- the workers -----------------------------------------------------------------------------------------


async def claim(conn: Conn, owner: UUID, limit: int, lease_s: float) -> list[UUID]:
    """Subscriptions whose head of line is due and that no live worker holds, leased to `owner`.
    SKIP LOCKED: two replicas claiming at once never take the same one."""
    rows = await conn.fetch(
        f"""WITH due AS (
                SELECT s.id FROM webhook_subscriptions s
                WHERE s.enabled AND (s.leased_until IS NULL OR s.leased_until < now()) AND {LIVE_OWNER}
                  AND (SELECT d.next_attempt_at FROM webhook_deliveries d
                       WHERE d.subscription_id = s.id AND d.status IN {OPEN}
                       ORDER BY d.seq LIMIT 1) <= now()
                LIMIT $2
                FOR UPDATE OF s SKIP LOCKED)
            UPDATE webhook_subscriptions s SET lease_owner = $1, leased_until = now() + make_interval(secs => $3)
            FROM due WHERE s.id = due.id RETURNING s.id""",
        owner,
        limit,
        lease_s,
    )
    return [r["id"] for r in rows]


async def renew(conn: Conn, subscription_id: UUID, owner: UUID, lease_s: float) -> asyncpg.Record | None:
    """The subscription (with its partner's scope; none for a portal's callback), if `owner` still
    holds it and it is enabled; its lease extended."""
    return await conn.fetchrow(
        f"""UPDATE webhook_subscriptions s SET leased_until = now() + make_interval(secs => $3)
            WHERE s.id = $1 AND s.lease_owner = $2 AND s.enabled AND {LIVE_OWNER}
            RETURNING s.*, (SELECT p.events FROM partners p WHERE p.name = s.partner) AS partner_events,
                      (SELECT p.area_code FROM partners p WHERE p.name = s.partner) AS partner_area""",
        subscription_id,
        owner,
        lease_s,
    )


async def head(conn: Conn, subscription_id: UUID) -> asyncpg.Record | None:
    """The subscription's open delivery with the lowest seq, its envelope (a portal's message, or
    the public event: None once past retention), and whether it is due."""
    return await conn.fetchrow(
        f"""SELECT d.*, coalesce(d.body, e.envelope) AS envelope, e.area_code, d.next_attempt_at <= now() AS due
            FROM webhook_deliveries d LEFT JOIN public_events e ON e.event_id = d.event_id
            WHERE d.subscription_id = $1 AND d.status IN {OPEN}
            ORDER BY d.seq LIMIT 1""",
        subscription_id,
    )


# One statement a step, so that a subscription's line costs one round trip per delivery (or less:
# one statement takes the steps of many subscriptions): what the worker needs of each subscription
# (`s`) beside its head of line (the head_ columns; NULL when none is open), only while `owner` ($1)
# holds it and it may still be sent to. `s.closed` is a delivery the same statement has just
# closed: its snapshot still sees it open.
_STEP = f"""SELECT s.id, s.partner, s.url, s.secret, s.previous_secret, s.previous_secret_until, s.rate_limit_per_s,
           (SELECT p.events FROM partners p WHERE p.name = s.partner) AS partner_events,
           (SELECT p.area_code FROM partners p WHERE p.name = s.partner) AS partner_area,
           h.id AS head_id, h.event_id AS head_event_id, h.type AS head_type, h.failures AS head_failures,
           h.envelope AS head_envelope, h.area_code AS head_area_code, h.due AS head_due
    FROM s LEFT JOIN LATERAL (
        SELECT d.id, d.event_id, d.type, d.failures, coalesce(d.body, e.envelope) AS envelope, e.area_code,
               d.next_attempt_at <= now() AS due
        FROM webhook_deliveries d LEFT JOIN public_events e ON e.event_id = d.event_id
        WHERE d.subscription_id = s.id AND d.status IN {OPEN} AND d.id IS DISTINCT FROM s.closed
        ORDER BY d.seq LIMIT 1) h ON true
    WHERE s.ours"""
# The subscription as the step finds it: still `owner`'s to send, and whether its lease is to be
# renewed (less than $3 seconds left; $2 is the lease). The row is written only when something
# changes: every queued delivery's foreign key locks it (FOR KEY SHARE), so a write per delivery
# would make the exchange's consumer and the worker contend on it.
_OURS = f"""(s.lease_owner = $1 AND s.enabled AND {LIVE_OWNER}) AS ours,
            s.leased_until < now() + make_interval(secs => $3) AS renew"""
SUCCESS_STAMP_S = 1.0  # last_success_at is kept to the second, not rewritten at every delivery
Step = tuple[dict[str, Any], dict[str, Any] | None]  # (the subscription, its head of line or None)


def _step(row: asyncpg.Record) -> Step:
    sub = {k: v for k, v in row.items() if not k.startswith("head_")}
    head = {k[len("head_") :]: v for k, v in row.items() if k.startswith("head_")}
    return sub, (head if head["id"] is not None else None)


async def lease_head(
    conn: Conn, subscription_id: UUID, owner: UUID, lease_s: float, renew_below_s: float
) -> Step | None:
    """`renew` and `head` in one statement (the lease extended to `lease_s` once less than
    `renew_below_s` is left): None when `owner` no longer holds the subscription or it may no longer
    be sent to."""
    row = await conn.fetchrow(
        f"""WITH s AS (SELECT s.*, NULL::uuid AS closed, {_OURS} FROM webhook_subscriptions s WHERE s.id = $4),
            renewed AS (
                UPDATE webhook_subscriptions r SET leased_until = now() + make_interval(secs => $2)
                FROM s WHERE r.id = s.id AND s.ours AND s.renew)
            {_STEP}""",
        owner,
        lease_s,
        renew_below_s,
        subscription_id,
    )
    return _step(row) if row is not None else None


async def delivered_and_next(
    conn: Conn,
    owner: UUID,
    lease_s: float,
    renew_below_s: float,
    done: Sequence[tuple[UUID, UUID, int | None, int]],
) -> dict[UUID, Step]:
    """Successes — (subscription, delivery, HTTP status, latency ms), at most one per subscription —
    recorded atomically as `record_attempt` and `succeeded` write them (last_success_at to the
    second), and each subscription's next step as `lease_head` reads it; one missing from the
    answer is no longer this worker's to send."""
    rows = await conn.fetch(
        f"""WITH x AS (
                SELECT * FROM unnest($4::uuid[], $5::uuid[], $6::int[], $7::int[])
                    AS x(subscription_id, delivery_id, http_status, latency_ms)),
            done AS (
                UPDATE webhook_deliveries d
                SET status = 'delivered', attempts = d.attempts + 1, last_attempt_at = now(),
                    last_status = x.http_status, last_latency_ms = x.latency_ms, last_error = NULL, delivered_at = now()
                FROM x WHERE d.id = x.delivery_id),
            s AS (
                SELECT s.*, x.delivery_id AS closed, {_OURS}
                FROM webhook_subscriptions s JOIN x ON x.subscription_id = s.id),
            marked AS (
                UPDATE webhook_subscriptions r
                SET last_success_at = now(), failing_since = NULL,
                    leased_until = CASE WHEN s.ours AND s.renew THEN now() + make_interval(secs => $2)
                                        ELSE r.leased_until END
                FROM s WHERE r.id = s.id
                  AND ((s.ours AND s.renew) OR r.failing_since IS NOT NULL OR r.last_success_at IS NULL
                       OR r.last_success_at < now() - make_interval(secs => {SUCCESS_STAMP_S})))
            {_STEP}""",
        owner,
        lease_s,
        renew_below_s,
        [d[0] for d in done],
        [d[1] for d in done],
        [d[2] for d in done],
        [d[3] for d in done],
    )
    return {row["id"]: _step(row) for row in rows}


async def release(conn: Conn, owner: UUID, subscription_id: UUID | None = None) -> None:
    await conn.execute(
        """UPDATE webhook_subscriptions SET lease_owner = NULL, leased_until = NULL
           WHERE lease_owner = $1 AND ($2::uuid IS NULL OR id = $2)""",
        owner,
        subscription_id,
    )


async def record_attempt(
    conn: Conn,
    delivery_id: UUID,
    *,
    status: str,
    counted: bool,
    retry_in_s: float | None,
    http_status: int | None,
    latency_ms: int | None,
    error: str | None,
) -> None:
    await conn.execute(
        """UPDATE webhook_deliveries
           SET status = $2, attempts = attempts + 1, failures = failures + $3::int,
               next_attempt_at = CASE WHEN $4::float8 IS NULL THEN next_attempt_at
                                      ELSE now() + make_interval(secs => $4::float8) END,
               last_attempt_at = now(), last_status = $5, last_latency_ms = $6, last_error = $7,
               delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
           WHERE id = $1""",
        delivery_id,
        status,
        1 if counted else 0,
        retry_in_s,
        http_status,
        latency_ms,
        error,
    )


async def mark_dead(conn: Conn, delivery_id: UUID, error: str) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET status = 'dead', last_error = $2 WHERE id = $1", delivery_id, error
    )


async def succeeded(conn: Conn, subscription_id: UUID) -> None:
    await conn.execute(
        "UPDATE webhook_subscriptions SET last_success_at = now(), failing_since = NULL WHERE id = $1",
        subscription_id,
    )


async def failed(conn: Conn, subscription_id: UUID) -> datetime | None:
    """The endpoint failed: since when it has been failing (this failure, if it had not been)."""
    since: datetime | None = await conn.fetchval(
        """UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, now()) WHERE id = $1
           RETURNING failing_since""",
        subscription_id,
    )
    return since


# --- retention ------------------------------------------------------------------------------------------


async def prune_deliveries(conn: AnyConnection, older_than: datetime, batch: int) -> int:
    """One batch of deliveries that are closed (delivered or dead) and were queued before `older_than`."""
    done = await conn.execute(
        """DELETE FROM webhook_deliveries WHERE id IN (
               SELECT id FROM webhook_deliveries
               WHERE status IN ('delivered', 'dead') AND created_at < $1 ORDER BY created_at LIMIT $2)""",
        older_than,
        batch,
    )
    return int(done.split()[-1])
