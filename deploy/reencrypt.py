"""`wushe reencrypt [SERVICE ...]`: after `wushe keys rotate` and a restart of the services, rewrite
every service's personal data under the active key, showing progress, so older keys can be retired.
Safe while the services run; stopped half-way, the next run goes on."""

from __future__ import annotations

import importlib
import sys
import time

import asyncpg

from kit import db
from kit.crypto import Keyring, load_keyring
from kit.reencrypt import Outcome, Progress, Unreadable, reencrypt
from kit.settings import Settings

PRINT_EVERY_S = 1.0


async def run(settings: Settings, services: list[str], batch: int) -> int:
    """0 when every ciphertext of `services` is under the active key; 1 when some are not (locked
    rows, an unreadable ciphertext); 2 when the keyring or a database cannot be reached."""
    if not settings.keyring_file.exists():
        _error(f"找不到密钥环 / no keyring at {settings.keyring_file}")
        return 2
    keyring = load_keyring(settings.keyring_file)
    print(f"当前密钥 / active key: {keyring.active}；每批 {batch} 行 / {batch} rows per batch", flush=True)
    finished: dict[str, list[Outcome]] = {}
    code = 0
    for service in services:
        code = await _service(settings, keyring, service, batch, finished)
        if code:
            break
    _summary(services, finished)
    if code:
        return code
    return 1 if any(o.remaining for outcomes in finished.values() for o in outcomes) else 0


async def _service(
    settings: Settings, keyring: Keyring, service: str, batch: int, finished: dict[str, list[Outcome]]
) -> int:
    targets = importlib.import_module(f"services.{service}.handlers").ENCRYPTED
    where = f"{settings.pg_address} port {settings.pg_port}"
    try:
        pool = await db.create_pool(settings, service, size=2)
    except (OSError, asyncpg.PostgresError) as exc:
        _error(
            f"无法连接 {service} 的数据库（{where}），PostgreSQL 是否在运行？/ cannot reach the {service} database "
            f"at {where}: is PostgreSQL running (`wushe up`; WUSHE_PG_HOST, WUSHE_PG_PORT)? ({exc})"
        )
        return 2
    try:
        outcomes = await reencrypt(pool, keyring, targets, batch=batch, on_progress=_printer(service))
    except Unreadable as exc:
        _error(_unreadable(service, exc))
        return 1
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
        _error(
            f"与 {service} 数据库的连接中断；已完成的批次已保存，再运行一次即可继续 / lost the {service} database: "
            f"the finished batches are kept, run again to go on ({exc})"
        )
        return 2
    except asyncpg.PostgresError as exc:
        _error(f"{service} 数据库报错 / the {service} database refused: {exc}")
        return 1
    finally:
        await pool.close()
    for o in outcomes:
        left = (
            f"，{o.remaining} 行被占用未完成，请再运行一次 / {o.remaining} rows were locked: run again"
            if o.remaining
            else ""
        )
        print(f"{service}.{o.table}: 完成，重新加密 {o.done} 行{left} / done, {o.done} rows re-encrypted", flush=True)
    finished[service] = outcomes
    return 0


def _unreadable(service: str, exc: Unreadable) -> str:
    where = f"{service}.{exc.table} {exc.row_id} ({exc.field})"
    if exc.missing_key:
        return (
            f"{where}: 所用密钥 {exc.kid} 已不在密钥环中，无法解密；请把它放回密钥环后再运行 / it is under key "
            f"{exc.kid}, which the keyring no longer holds: put that key back, then run again"
        )
    return (
        f"{where}: 无法解密（密文与此行不符或被改动）；请核查此行后再运行 / it does not decrypt under key "
        f"{exc.kid} for this row (copied from another row, or altered): check the row, then run again"
    )


def _summary(services: list[str], finished: dict[str, list[Outcome]]) -> None:
    if not finished:
        return
    print("汇总 / summary:")
    for service in services:
        if service not in finished:
            print(f"  {service}: 未完成 / not finished")
            continue
        outcomes = finished[service]
        done, left = sum(o.done for o in outcomes), sum(o.remaining for o in outcomes)
        seconds = sum(o.seconds for o in outcomes)
        state = (
            f"{left} 行仍在旧密钥下 / rows still under an older key"
            if left
            else "全部在当前密钥下 / all under the active key"
        )
        print(
            f"  {service}: 重新加密 {done} 行 / {done} rows re-encrypted, {seconds:.1f} s, "
            f"{done / max(seconds, 1e-6):.0f} 行/秒 / rows/s; {state}"
        )


def _printer(service: str):
    last = {"at": 0.0}

    def show(p: Progress) -> None:
        finished = p.done == p.total  # past it (rows written meanwhile under an older key): still throttled
        if not finished and time.monotonic() - last["at"] < PRINT_EVERY_S and p.done:
            return
        last["at"] = time.monotonic()
        print(f"{service}.{p.table}: {p.done}/{p.total} 行 / rows  {p.rate:.0f} 行/秒 / rows/s", flush=True)

    return show


def _error(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
