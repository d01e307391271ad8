"""`wushe portal add|callback|list|rotate|revoke`: the portals (12345 hotlines, civil-affairs
systems) that may post work orders (工单), the secret each signs them with, and the callback where
it hears of their progress (signed with the same secret; kept by the exchange service).

The portals file (`<home>/keys/portals.json`, mode 0600) is the needs service's list of who may
post and with which secrets; it reads it on every post, so a change holds at once without a
restart. `rotate` adds a new secret and keeps the previous one valid until the next rotation, so
a portal can switch over without a refused order."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE, WORK_ORDER_TYPE
from deploy import partners
from kit.crypto import write_private
from kit.problems import Problem
from kit.settings import Settings
from services.exchange import domain as exchange_rules
from services.exchange.portals import handlers as portal_callbacks
from services.needs.config import needs_settings

SECRETS_KEPT = 2  # the current secret and the one before it
REVOKED_REASON = "门户已撤销 / the portal was revoked"


async def add(settings: Settings, name: str, area: str, label: str = "", callback: str | None = None) -> int:
    if not exchange_rules.PARTNER_NAME.fullmatch(name):
        print("wushe portal add: name: 3–40 位小写字母、数字或连字符，以字母开头 / 3–40 of a-z, 0-9, -, from a letter")
        return 2
    if error := exchange_rules.area_error(area):
        print(f"wushe portal add: area: {error}")
        return 2
    portals = _read(settings)
    secret = _new_secret()
    label = label or name
    if callback and not await _with_exchange(
        settings, "add", portal_callbacks.set_callback, name, label, callback, area, secret
    ):
        return 2
    portals[name] = {"label": label, "area_code": area, "secrets": [secret], "added_at": _now()}
    _write(settings, portals)
    print(f"已登记门户 / registered portal {label}（{name}），辖区 / area {area}")
    _print_how_to_post(settings, name, secret)
    if callback:
        _print_callback(callback)
    return 0


async def callback(settings: Settings, name: str, url: str) -> int:
    """Where the portal hears of its work orders' progress (set again: enabled again)."""
    portals = _read(settings)
    if not _active(portals, name, "callback"):
        return 1
    entry = portals[name]
    args = (name, entry["label"], url, entry["area_code"], entry["secrets"][0])
    if not await _with_exchange(settings, "callback", portal_callbacks.set_callback, *args):
        return 2
    _print_callback(url)
    return 0


async def rotate(settings: Settings, name: str) -> int:
    portals = _read(settings)
    if not _active(portals, name, "rotate"):
        return 1
    secret = _new_secret()
    if not await _with_exchange(settings, "rotate", portal_callbacks.rotate_callback_secret, name, secret):
        return 2
    portals[name]["secrets"] = [secret, *portals[name]["secrets"]][:SECRETS_KEPT]
    _write(settings, portals)
    print("新密钥已生效，旧密钥在下次轮换前仍有效 / the new secret holds; the previous one until the next rotation")
    print("回调同时以新旧密钥签名一段时间 / callbacks carry both signatures for the overlap")
    _print_how_to_post(settings, name, secret)
    return 0


def list_(settings: Settings) -> int:
    portals = _read(settings)
    if not portals:
        print("尚无门户 / no portals yet")
    for name, entry in portals.items():
        state = (
            "已撤销 / revoked" if entry.get("revoked") else f"有效 / active, {len(entry['secrets'])} 个密钥 / secrets"
        )
        print(f"{name}  {entry['label']}  {entry['area_code']}  {state}")
    return 0


async def revoke(settings: Settings, name: str) -> int:
    portals = _read(settings)
    if not _active(portals, name, "revoke"):
        return 1
    if not await _with_exchange(settings, "revoke", portal_callbacks.stop_callback, name, REVOKED_REASON):
        return 2
    portals[name] |= {"revoked": True, "secrets": [], "revoked_at": _now()}
    _write(settings, portals)
    print(
        f"已撤销 / revoked {name}: 其工单即被拒绝（401），回调停止 / its work orders are refused (401), its callbacks stop"
    )
    return 0


async def _with_exchange(
    settings: Settings, command: str, change: Callable[..., Awaitable[object]], *args: object
) -> bool:
    """`change` in one transaction of the exchange's database (where the callbacks are): False,
    having said why, when it cannot be reached or refuses (then nothing is changed at all)."""
    conn = await partners.connect_exchange(settings)
    if conn is None:
        print(f"wushe portal {command}: 未作任何更改 / nothing was changed")
        return False
    try:
        async with conn.transaction():
            await change(conn, *args)
    except Problem as exc:
        print(f"wushe portal {command}: {exc.errors[0]['field'] if exc.errors else ''}: {exc.detail}")
        return False
    finally:
        await conn.close()
    return True


def _active(portals: dict[str, Any], name: str, command: str) -> bool:
    if name in portals and not portals[name].get("revoked"):
        return True
    print(f"wushe portal {command}: 没有有效的门户 / no active portal named {name}")
    return False


def _print_callback(url: str) -> None:
    print(f"回调地址 / callback: {url}")
    print(f"  工单进展（受理、派单、改派、退单、办结、回访）以 {WORK_ORDER_PROGRESS_TYPE} 推送，用同一密钥验签")
    print("  / each stage is posted there as a CloudEvent, signed (Standard Webhooks) with the same secret")


def _print_how_to_post(settings: Settings, name: str, secret: str) -> None:
    print(f"签名密钥（Standard Webhooks，仅显示一次）/ signing secret (shown once): {secret}")
    print(f"提交地址 / post to: http://127.0.0.1:{settings.http_port}/api/v1/needs/work-orders/{name}")
    print(f"CloudEvents type: {WORK_ORDER_TYPE}")


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _path(settings: Settings) -> Path:
    return needs_settings().portals_path(settings)


def _read(settings: Settings) -> dict[str, Any]:
    path = _path(settings)
    return json.loads(path.read_text()) if path.exists() else {}


def _write(settings: Settings, portals: dict[str, Any]) -> None:
    """Readable by its owner only: it holds the portals' secrets."""
    write_private(_path(settings), json.dumps(portals, ensure_ascii=False, indent=2))
