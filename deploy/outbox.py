"""`wushe outbox list|retry`: what each service's relay has still to send, and the rows it parked
because they could not be published (with the reason), put back in the queue once fixed."""

from __future__ import annotations

import asyncpg

from kit import db
from kit.settings import Settings
from kit.uow import NOTIFY_CHANNEL

SUMMARY = """SELECT count(*) FILTER (WHERE parked_at IS NULL) AS pending,
                    count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked,
                    extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)) AS oldest_s
             FROM outbox WHERE sent_at IS NULL"""
PARKED = """SELECT id, subject, attempts, last_error, created_at, parked_at FROM outbox
            WHERE parked_at IS NOT NULL AND sent_at IS NULL ORDER BY id LIMIT 100"""
# a re-queued row gets its attempts back; NOTIFY wakes the relays at once
RETRY = """WITH requeued AS (
               UPDATE outbox SET parked_at = NULL, retry_at = NULL, attempts = 0
               WHERE parked_at IS NOT NULL AND sent_at IS NULL AND (cardinality($1::bigint[]) = 0 OR id = ANY($1))
               RETURNING id)
           SELECT count(*) FROM requeued"""


async def list_(settings: Settings, services: list[str]) -> int:
    for service in services:
        conn = await _connect(settings, service)
        if conn is None:
            return 2
        try:
            summary, parked = await conn.fetchrow(SUMMARY), await conn.fetch(PARKED)
        finally:
            await conn.close()
        oldest = (
            f"，最早 {summary['oldest_s']:.0f} 秒前 / oldest {summary['oldest_s']:.0f} s ago"
            if summary["oldest_s"]
            else ""
        )
        print(
            f"{service}: 待发 {summary['pending']} 条{oldest}；搁置 {summary['parked']} 条 / "
            f"{summary['pending']} pending, {summary['parked']} parked"
        )
        for row in parked:
            print(
                f"  #{row['id']}  {row['subject']}  尝试 {row['attempts']} 次 / attempts {row['attempts']}  "
                f"搁置于 / parked at {row['parked_at']:%Y-%m-%d %H:%M:%S%z}\n    原因 / reason: {row['last_error']}"
            )
    return 0


async def retry(settings: Settings, service: str, ids: list[int]) -> int:
    conn = await _connect(settings, service)
    if conn is None:
        return 2
    try:
        async with conn.transaction():
            count = await conn.fetchval(RETRY, ids)
            await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    finally:
        await conn.close()
    print(f"{service}: 已重新排队 {count} 条 / {count} parked rows re-queued")
    return 0


async def _connect(settings: Settings, service: str) -> asyncpg.Connection | None:
    try:
        return await db.connect(settings, service)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"无法连接 {service} 的数据库 / cannot reach the {service} database: {exc}")
        return None
