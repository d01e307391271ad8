"""Retention of the delivery tables: sent outbox rows, inbox rows and idempotency records older
than `retention_days` are deleted in small batches, so the tables stay the size of the horizon
and no batch holds locks for long. The horizon must outlast anything that could still bring an
event or a request back: JetStream's duplicate window (2 minutes), a consumer's redeliveries,
a client's retries, and `wushe dlq replay` (which refuses letters older than the horizon)."""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from kit.schedule import Periodic
from kit.settings import Settings

log = logging.getLogger(__name__)

BATCH = 1000
# table, its age column, the rows that may go
PRUNED = (
    ("outbox", "sent_at", "sent_at IS NOT NULL"),
    ("inbox", "processed_at", "TRUE"),
    ("idempotency_keys", "created_at", "TRUE"),
    ("event_failures", "last_failed_at", "TRUE"),
)


async def prune(pool: asyncpg.Pool, older_than: timedelta, batch: int = BATCH) -> dict[str, int]:
    """Delete what is older than the horizon, `batch` rows per transaction → rows deleted per table."""
    deleted = {}
    for table, column, which in PRUNED:
        deleted[table] = 0
        while True:
            status = await pool.execute(
                f"""DELETE FROM {table} WHERE ctid = ANY(ARRAY(
                        SELECT ctid FROM {table} WHERE {which} AND {column} < now() - $1::interval
                        ORDER BY {column} LIMIT $2))""",
                older_than,
                batch,
            )
            count = int(status.split()[-1])
            deleted[table] += count
            if count < batch:
                break
    if any(deleted.values()):
        log.info("pruned delivery records", extra={"deleted": deleted, "older_than_days": older_than.days})
    return deleted


def retention_job(pool: asyncpg.Pool, settings: Settings) -> Periodic:
    horizon = timedelta(days=settings.retention_days)
    return Periodic("retention", settings.retention_interval_s, lambda: prune(pool, horizon))
