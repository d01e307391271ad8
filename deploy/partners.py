"""`wushe partner add|list|revoke`: who may read the public events, of which area and event types.

`add` registers a partner in the exchange's database and hands it two credentials: an nkey seed
for the PUBLIC stream (deploy/nats_accounts: the server keeps only the public key) and a token for
the events API and webhooks. The running nats-servers reload the partners' users at once, so
`revoke` cuts a partner's connection and its next HTTP request is refused, without a restart."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import nats
from nats.js.errors import NotFoundError

from deploy import nats_accounts
from kit import db
from kit.auth import issue_token
from kit.crypto import write_private
from kit.problems import Problem
from kit.settings import Settings
from services.exchange import domain, handlers, store

TOKEN_DAYS = 90  # a partner's events-API token; `add` again (same scope) for a fresh one


async def add(settings: Settings, name: str, area: str, events: list[str], label: str = "") -> int:
    conn = await connect_exchange(settings)
    if conn is None:
        return 2
    seed, public_key = nats_accounts.new_nkey()
    try:
        async with conn.transaction():
            row = await handlers.add_partner(conn, name, label, area, events, public_key)
        await _apply(settings, conn)
    except Problem as exc:
        print(f"wushe partner add: {exc.errors[0]['field'] if exc.errors else ''}: {exc.detail}")
        return 2
    finally:
        await conn.close()
    await _drop_consumers(settings, name)  # consumers of an earlier scope go with it
    seed_file = _write_seed(settings, name, seed)
    view = handlers.partner_view(row)
    print(
        f"已登记合作方 / registered partner {view.label}（{view.name}），辖区 / area {view.area_name} {view.area_code}"
    )
    print("可见事件 / event types: " + ", ".join(view.event_types))
    print(f"NATS 凭据（nkey 种子，仅此一份）/ NATS credential (nkey seed, the only copy): {seed_file}")
    print(f"  消费者名称 / durable names: {', '.join(domain.consumer_names(name))}")
    print(f"  过滤主题 / filter subjects: {', '.join(domain.stream_filters(view.area_code, view.events))}")
    print(f"  JetStream 前缀 / prefix: {nats_accounts.PARTNER_API_PREFIX}; inbox: {nats_accounts.inbox_prefix(name)}")
    token = issue_token(settings, role="partner", area=view.area_code, sub=view.name, ttl_s=TOKEN_DAYS * 86400)
    print(f"事件接口令牌（{TOKEN_DAYS} 天）/ events API token ({TOKEN_DAYS} days):\n{token}")
    return 0


async def list_(settings: Settings) -> int:
    conn = await connect_exchange(settings)
    if conn is None:
        return 2
    try:
        rows = await store.partners(conn)
    finally:
        await conn.close()
    if not rows:
        print("尚无合作方 / no partners yet")
    for view in map(handlers.partner_view, rows):
        state = f"已撤销 / revoked {view.revoked_at:%Y-%m-%d %H:%M}" if view.revoked_at else "有效 / active"
        print(f"{view.name}  {view.label}  {view.area_name} {view.area_code}  {' '.join(view.events)}  {state}")
    return 0


async def revoke(settings: Settings, name: str) -> int:
    conn = await connect_exchange(settings)
    if conn is None:
        return 2
    try:
        revoked = await store.revoke_partner(conn, name)
        if revoked:
            await _apply(settings, conn)
    finally:
        await conn.close()
    if not revoked:
        print(f"wushe partner revoke: 没有有效的合作方 / no active partner named {name}")
        return 1
    await _drop_consumers(settings, name)
    print(
        f"已撤销 / revoked {name}: NATS 连接已断开，其下一次请求即被拒绝 / its NATS connection is cut, its next request refused"
    )
    return 0


async def _apply(settings: Settings, conn: asyncpg.Connection) -> None:
    """Write the users of every active partner with an nkey, and make the running nodes load them."""
    users = [
        (
            row["nkey"],
            nats_accounts.partner_permissions(
                row["name"], domain.stream_filters(row["area_code"], row["events"]), domain.consumer_names(row["name"])
            ),
        )
        for row in await store.partners(conn, active_only=True)
        if row["nkey"]
    ]
    nats_accounts.write_partner_users(settings, users)
    nats_accounts.reload_nodes(settings)


async def _drop_consumers(settings: Settings, name: str) -> None:
    """Delete the partner's durable consumers on PUBLIC (a revoked or re-scoped partner keeps none)."""
    try:
        nc = await nats.connect(settings.nats_servers, connect_timeout=2, max_reconnect_attempts=0)
    except (OSError, nats.errors.Error):
        return  # NATS is down: nothing reads the consumers until it starts again, and `add`/`revoke` may be re-run
    try:
        js = nc.jetstream()
        for consumer in domain.consumer_names(name):
            try:
                await js.delete_consumer(nats_accounts.STREAM, consumer)
            except NotFoundError:
                continue
    finally:
        await nc.close()


def _write_seed(settings: Settings, name: str, seed: str) -> Path:
    path = settings.path("partners", f"{name}.nk")
    write_private(path, seed + "\n")
    return path


async def connect_exchange(settings: Settings) -> asyncpg.Connection | None:
    try:
        return await db.connect(settings, "exchange")
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"无法连接数据交换服务的数据库 / cannot reach the exchange database: {exc}")
        return None
