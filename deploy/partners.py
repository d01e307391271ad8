"""`wushe partner add|list|revoke`: who may read the public events, of which area and event types.

A partner registered here pages /api/v1/events with the token `add` prints (role partner, its
name as the token's sub); revoking it refuses its next request. NATS credentials for the PUBLIC
stream are not written yet (see the exchange issue's note)."""

from __future__ import annotations

import asyncpg

from kit import db
from kit.auth import issue_token
from kit.problems import Problem
from kit.settings import Settings
from services.exchange import handlers, store

TOKEN_DAYS = 90  # a partner's events-API token; `add` again (same scope) for a fresh one


async def add(settings: Settings, name: str, area: str, events: list[str], label: str = "") -> int:
    conn = await _connect(settings)
    if conn is None:
        return 2
    try:
        async with conn.transaction():
            row = await handlers.add_partner(conn, name, label, area, events)
    except Problem as exc:
        print(f"wushe partner add: {exc.errors[0]['field'] if exc.errors else ''}: {exc.detail}")
        return 2
    finally:
        await conn.close()
    view = handlers.partner_view(row)
    print(
        f"已登记合作方 / registered partner {view.label}（{view.name}），辖区 / area {view.area_name} {view.area_code}"
    )
    print("可见事件 / event types: " + ", ".join(view.event_types))
    token = issue_token(settings, role="partner", area=view.area_code, sub=view.name, ttl_s=TOKEN_DAYS * 86400)
    print(f"事件接口令牌（{TOKEN_DAYS} 天）/ events API token ({TOKEN_DAYS} days):\n{token}")
    return 0


async def list_(settings: Settings) -> int:
    conn = await _connect(settings)
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
    conn = await _connect(settings)
    if conn is None:
        return 2
    try:
        revoked = await store.revoke_partner(conn, name)
    finally:
        await conn.close()
    if not revoked:
        print(f"wushe partner revoke: 没有有效的合作方 / no active partner named {name}")
        return 1
    print(f"已撤销 / revoked {name}: 其下一次请求即被拒绝 / its next request is refused")
    return 0


async def _connect(settings: Settings) -> asyncpg.Connection | None:
    try:
        return await db.connect(settings, "exchange")
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"无法连接数据交换服务的数据库 / cannot reach the exchange database: {exc}")
        return None
