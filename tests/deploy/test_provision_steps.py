"""The steps the Kubernetes pods and the compose file run (deploy/k8s/provision.py), against the
real NATS and PostgreSQL of the test session: each is idempotent, as a re-run Job or a restarted
init container needs."""

from __future__ import annotations

import asyncio

import nats

from deploy.k8s import provision as k8s_provision
from kit.bus import STREAMS
from kit.settings import SERVICES


def test_migrate_and_streams_run_again_without_changing_anything(settings, capsys):
    for service in SERVICES:
        assert k8s_provision.main(["migrate", service]) == 0
        assert f"database {settings.db_name(service)}: up to date" in capsys.readouterr().out
    assert k8s_provision.main(["streams"]) == 0

    async def streams() -> set[str]:
        nc = await nats.connect(settings.nats_servers)
        try:
            return {s.config.name for s in await nc.jetstream().streams_info()}
        finally:
            await nc.close()

    assert set(STREAMS) <= asyncio.run(streams())


def test_files_keeps_the_keys_it_finds(settings):
    keys = sorted(settings.path("keys").iterdir())
    before = {p.name: p.read_bytes() for p in keys}
    assert k8s_provision.main(["files"]) == 0
    after = {p.name: p.read_bytes() for p in sorted(settings.path("keys").iterdir())}
    assert {name: after[name] for name in before} == before
    assert settings.path("nats", "partners.conf").exists()
