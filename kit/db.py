"""asyncpg pools and the plain-SQL migrations runner."""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from kit.months import LOCAL
from kit.settings import Settings

log = logging.getLogger(__name__)
KIT_MIGRATIONS = Path(__file__).parent / "migrations"
# a connection of its own (`connect`) or one acquired from a pool (a unit of work's, a consumer's)
AnyConnection = asyncpg.Connection | PoolConnectionProxy
# what a statement runs on: a pool (it acquires a connection for the statement) or a connection
Conn = asyncpg.Pool | AnyConnection


PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _timestamptz_out(value: tuple[int]) -> datetime:
    """Times are stored UTC and read in Beijing time, so every answer gives them as +08:00."""
    return (PG_EPOCH + timedelta(microseconds=value[0])).astimezone(LOCAL)


def _timestamptz_in(value: datetime) -> tuple[int]:
    if value.tzinfo is None:  # as asyncpg itself takes a naive time: UTC
        value = value.replace(tzinfo=UTC)
    return ((value - PG_EPOCH) // timedelta(microseconds=1),)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )
    await conn.set_type_codec(
        "timestamptz", encoder=_timestamptz_in, decoder=_timestamptz_out, schema="pg_catalog", format="tuple"
    )


def tls_context(settings: Settings) -> ssl.SSLContext | bool:
    """asyncpg's ssl=: False on a socket (local: no TLS) and with sslmode disable; else a context that
    verifies as pg_sslmode says, against pg_sslrootcert (or the system's CAs). False, not None: asyncpg
    would otherwise take PGSSLMODE and its kin from the environment, around the settings."""
    if not settings.pg_over_tcp or settings.pg_sslmode == "disable":
        return False
    root = settings.pg_sslrootcert
    context = ssl.create_default_context(cafile=str(root) if root else None)  # verify-full: CA and host name
    if settings.pg_sslmode != "verify-full":
        context.check_hostname = False
    if settings.pg_sslmode == "require":
        context.verify_mode = ssl.CERT_NONE
    if ssl.HAS_ALPN:
        context.set_alpn_protocols(["postgresql"])  # as asyncpg's own contexts offer it
    return context


def server_kwargs(settings: Settings) -> dict[str, Any]:
    """Where and how every connection and pool reaches the server (host, port, ssl); the password is
    libpq's PGPASSWORD, which asyncpg reads itself."""
    return {"host": settings.pg_address, "port": settings.pg_port, "ssl": tls_context(settings)}


def connect_kwargs(settings: Settings, service: str) -> dict[str, Any]:
    return {**server_kwargs(settings), "user": settings.db_name(service), "database": settings.db_name(service)}


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Our code never changes session state on pooled connections (no SET, LISTEN or advisory
    session locks), so the default reset query on every release is a wasted round trip."""


async def create_pool(settings: Settings, service: str, size: int | None = None) -> asyncpg.Pool:
    size = size or settings.pg_pool_size
    return await asyncpg.create_pool(
        **connect_kwargs(settings, service),
        min_size=min(2, size),
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
    )


async def connect(settings: Settings, service: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(**connect_kwargs(settings, service))
    await _init_connection(conn)
    return conn


async def migrate(conn: asyncpg.Connection, namespace: str, folder: Path) -> list[str]:
    """Apply folder/NNNN_*.sql in order, each once, recorded in schema_migrations. Safe to rerun
    concurrently (advisory lock); refuses an applied file whose content changed."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('wushe-migrations'))")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   namespace text NOT NULL, version text NOT NULL, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, version))"""
        )
        done = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations WHERE namespace = $1", namespace)
        }
        for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            sql = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != checksum:
                    raise RuntimeError(f"migration {namespace}/{path.name} changed after it was applied")
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (namespace, version, checksum) VALUES ($1, $2, $3)",
                namespace,
                path.name,
                checksum,
            )
            applied.append(f"{namespace}/{path.name}")
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied


async def migrate_service(conn: asyncpg.Connection, service: str, service_migrations: Path) -> list[str]:
    """The kit's tables (outbox, inbox) first, then the service's own."""
    return await migrate(conn, "kit", KIT_MIGRATIONS) + await migrate(conn, service, service_migrations)


# --- statement builders for the stores (table and column names come from code, never from input) ---


def placeholders(count: int, start: int = 1) -> str:
    return ", ".join(f"${i}" for i in range(start, start + count))


def insert_sql(table: str, columns: tuple[str, ...] | list[str], suffix: str = "") -> str:
    """INSERT of `columns` as $1…$n, with e.g. `ON CONFLICT … RETURNING true` appended."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))}) {suffix}".rstrip()


async def insert(conn: Conn, table: str, row: dict[str, Any], suffix: str = "") -> Any:
    """Insert one row given as {column: value}; returns what a RETURNING suffix returns, if any."""
    return await conn.fetchval(insert_sql(table, tuple(row), suffix), *row.values())


def set_clause(columns: Iterable[str], start: int) -> str:
    """`a = $start, b = $start+1, …`: the SET list of an UPDATE whose values follow the earlier parameters."""
    return ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=start))


async def update(conn: Conn, table: str, row_id: object, **values: object) -> None:
    """UPDATE table SET column = value, … WHERE id = row_id."""
    await conn.execute(f"UPDATE {table} SET {set_clause(values, 2)} WHERE id = $1", row_id, *values.values())
