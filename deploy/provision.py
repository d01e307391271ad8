"""Idempotent provisioning: keys, per-service roles and databases, migrations, JetStream streams."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import asyncpg
import nats

from kit import db
from kit.auth import ensure_signing_key
from kit.bus import ensure_streams
from kit.crypto import ensure_keyring
from kit.settings import SERVICES, Settings


def migrations_of(service: str) -> Path:
    return Path(str(files(f"services.{service}"))) / "migrations"


async def provision(settings: Settings, log=print) -> None:
    ensure_signing_key(settings)
    ensure_keyring(settings.keyring_file)
    await provision_databases(settings, log)
    nc = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        streams = await ensure_streams(nc.jetstream())
    finally:
        await nc.close()
    log(f"streams ready: {', '.join(streams)}")


async def provision_databases(settings: Settings, log=print) -> None:
    admin = await asyncpg.connect(host=str(settings.pg_socket_dir), port=settings.pg_port,
                                  user=settings.pg_admin_user, database="postgres")
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
