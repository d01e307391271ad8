"""`wushe reencrypt [SERVICE ...]`: after `wushe keys rotate` and a restart of the services, rewrite
every service's personal data under the active key, showing progress, so older keys can be retired.
Safe while the services run; stopped half-way, the next run goes on."""
from __future__ import annotations

import importlib
import time

import asyncpg

from kit import db
from kit.crypto import load_keyring
from kit.reencrypt import Progress, reencrypt
from kit.settings import Settings

PRINT_EVERY_S = 1.0


async def run(settings: Settings, services: list[str], batch: int) -> int:
    if not settings.keyring_file.exists():
        print(f"找不到密钥环 / no keyring at {settings.keyring_file}")
        return 2
    keyring = load_keyring(settings.keyring_file)
    print(f"当前密钥 / active key: {keyring.active}")
    failed = False
    for service in services:
        targets = importlib.import_module(f"services.{service}.handlers").ENCRYPTED
        try:
            pool = await db.create_pool(settings, service, size=2)
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"无法连接 {service} 的数据库 / cannot reach the {service} database: {exc}")
            return 2
        try:
            outcomes = await reencrypt(pool, keyring, targets, batch=batch, on_progress=_printer(service))
        except KeyError as exc:
            print(f"{service}: 有密文所用的密钥 {exc} 不在密钥环中，无法解密 / a ciphertext is under key {exc}, "
                  "which the keyring no longer holds")
            return 1
        finally:
            await pool.close()
        for o in outcomes:
            left = f"，{o.remaining} 行被占用未完成，请再运行一次 / {o.remaining} rows were locked: run again" if o.remaining else ""
            print(f"{service}.{o.table}: 完成，重新加密 {o.done} 行{left} / done, {o.done} rows re-encrypted")
            failed = failed or o.remaining > 0
    return 1 if failed else 0


def _printer(service: str):
    last = {"at": 0.0}

    def show(p: Progress) -> None:
        finished = p.done >= p.total
        if not finished and time.monotonic() - last["at"] < PRINT_EVERY_S and p.done:
            return
        last["at"] = time.monotonic()
        print(f"{service}.{p.table}: {p.done}/{p.total} 行 / rows  {p.rate:.0f} 行/秒 / rows/s", flush=True)

    return show
