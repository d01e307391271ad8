"""Idempotent provisioning: keys, per-service roles and databases, migrations, JetStream streams."""

from __future__ import annotations

import asyncio
import time
from importlib.resources import files
from pathlib import Path

import asyncpg
import nats
from nats.js import JetStreamContext
from nats.js.api import StreamInfo

from kit import db
from kit.auth import ensure_signing_key
from kit.bus import ensure_streams
from kit.crypto import ensure_keyring, ensure_secret
from kit.settings import SERVICES, Settings
from services.exchange.config import exchange_settings


def migrations_of(service: str) -> Path:
    return Path(str(files(f"services.{service}"))) / "migrations"


async def provision(settings: Settings, log=print) -> None:
    ensure_signing_key(settings)
    ensure_keyring(settings.keyring_file)
    ensure_secret(exchange_settings().key_file(settings))  # before any exchange replica pseudonymizes
    await provision_databases(settings, log)
    await provision_streams(settings, log)


async def provision_streams(settings: Settings, log=print) -> None:
    """Create or update every stream with stream_replicas() copies, then wait until each copy holds
    its stream: just after R1 → R3 the new copies are still catching up, and losing the old node
    then would leave the stream without a leader."""
    nc = await nats.connect(settings.nats_servers, connect_timeout=5, max_reconnect_attempts=3)
    replicas = stream_replicas(settings)
    try:
        js = nc.jetstream()
        streams = await ensure_streams(js, replicas=replicas)
        await wait_replicated(js, streams, replicas)
    finally:
        await nc.close()
    log(f"streams ready (R{replicas}): {', '.join(streams)}")


async def wait_replicated(js: JetStreamContext, streams: list[str], replicas: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for name in streams:
        while not _replicated(await js.stream_info(name), replicas):
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"消息流 {name} 的 {replicas} 个副本 {timeout:.0f} 秒内未同步 / stream {name}: "
                    f"its {replicas} replicas are not current after {timeout:.0f}s"
                )
            await asyncio.sleep(0.2)


def _replicated(info: StreamInfo, replicas: int) -> bool:
    peers = (info.cluster.replicas if info.cluster else None) or []  # the leader's followers
    return len(peers) == replicas - 1 and all(peer.current for peer in peers)


def stream_replicas(settings: Settings) -> int:
    """One copy per node, three at most: R3 survives a lost node; more copies only add write latency."""
    return max(1, min(settings.nats_cluster_size, 3))


async def provision_databases(settings: Settings, log=print) -> None:
    admin = await asyncpg.connect(**db.server_kwargs(settings), user=settings.pg_admin_user, database="postgres")
    try:
        for service in SERVICES:
            name = settings.db_name(service)  # role and database share the name
            if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                await admin.execute(f'CREATE ROLE "{name}" LOGIN')
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
            # each service's role reaches only its own database
            await admin.execute(f'REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC')
            await admin.execute(f'GRANT CONNECT ON DATABASE "{name}" TO "{name}"')
    finally:
        await admin.close()
    for service in SERVICES:
        conn = await db.connect(settings, service)
        try:
            applied = await db.migrate_service(conn, service, migrations_of(service))
        finally:
            await conn.close()
        log(f"database {settings.db_name(service)}: " + (", ".join(applied) if applied else "up to date"))
