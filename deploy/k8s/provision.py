"""The provisioning steps of a Kubernetes deployment (deploy/k8s), as its pods run them.

`wushe provision` serves the local stack: one embedded PostgreSQL holding every database, reached as
its superuser. On Kubernetes each service's database is a CloudNativePG cluster of its own, which
creates the role and the database itself; what is left is:

- `streams`: every JetStream stream with min(WUSHE_NATS_CLUSTER_SIZE, 3) replicas (the Job);
- `migrate SERVICE`: the kit's and the service's migrations in the service's own database, as its
  own role (the init container of its pods; concurrent runs wait on an advisory lock, kit/db.py).

A single host without Kubernetes (deploy/compose.yaml) runs one PostgreSQL server and shares its
socket, like `wushe up`, so it takes the local steps, in two parts because NATS reads a file of them:

- `files`: the keys and the NATS partners' users file under WUSHE_HOME, where missing;
- `single-host`: what `wushe provision` does (keys, roles, databases, migrations, streams), without its
  check that the server is the local embedded one.

    python -m deploy.k8s.provision streams
    python -m deploy.k8s.provision migrate needs
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
import time

import asyncpg

from deploy import nats_accounts
from deploy.provision import migrations_of, provision, provision_streams
from kit import db
from kit.auth import ensure_signing_key
from kit.crypto import ensure_keyring, ensure_secret
from kit.failures import describe
from kit.settings import SERVICES, Settings
from services.exchange.config import exchange_settings
from services.exchange.webhooks.config import webhook_settings

# A new CloudNativePG cluster takes a minute or two to elect its primary: wait for it here rather
# than crash-loop (the kubelet's back-off would add minutes).
CONNECT_TIMEOUT_S = 300.0
# the cluster's -rw Service not resolving or answering yet (OSError), PostgreSQL still starting up; but a
# certificate that fails verification (an SSLError, so an OSError too) will not pass on a retry
NOT_YET = (OSError, asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.ConnectionDoesNotExistError)


async def migrate(settings: Settings, service: str, timeout_s: float = CONNECT_TIMEOUT_S) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = await db.connect(settings, service)
            break
        except ssl.SSLCertVerificationError:
            raise
        except NOT_YET as exc:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for {settings.db_name(service)}: {describe(exc)}", file=sys.stderr, flush=True)
            await asyncio.sleep(2.0)
    try:
        return await db.migrate_service(conn, service, migrations_of(service))
    finally:
        await conn.close()


def files(settings: Settings) -> None:
    ensure_signing_key(settings)
    ensure_keyring(settings.keyring_file)
    ensure_secret(exchange_settings().key_file(settings))
    ensure_secret(webhook_settings().secrets_key_file(settings))
    if not nats_accounts.partners_file(settings).exists():
        nats_accounts.write_partner_users(settings, [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.k8s.provision", description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("streams", help="create or update every JetStream stream")
    steps.add_parser("migrate", help="apply one service's migrations").add_argument("service", choices=SERVICES)
    steps.add_parser("files", help="the keys and the NATS partners file, where missing")
    steps.add_parser("single-host", help="all of `wushe provision`, on a server that is not the embedded one")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.step == "streams":
        asyncio.run(provision_streams(settings))
        return 0
    if args.step == "files":
        files(settings)
        return 0
    if args.step == "single-host":
        asyncio.run(provision(settings))
        return 0
    applied = asyncio.run(migrate(settings, args.service))
    print(f"database {settings.db_name(args.service)}: " + (", ".join(applied) if applied else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
