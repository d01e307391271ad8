"""deploy/compose.yaml, offline (no container engine here): valid against the Compose Specification's
JSON Schema (schemas/README.md), and saying what the code does: every service's replicas share its
port in one network namespace, where the gateway dials them; the settings it passes exist; NATS gets
the platform's accounts and an fsync on every write."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from k8s_support import ROOT, environment, setting_names

from deploy import nats_accounts
from deploy.k8s import provision as k8s_provision
from kit.settings import SERVICES, Settings

COMPOSE = ROOT / "deploy" / "compose.yaml"
APPS = (*SERVICES, "gateway")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # merge keys (<<) resolved, as Compose resolves them


def test_compose_file_is_valid_for_the_compose_specification(compose):
    schema = json.loads((Path(__file__).parent / "schemas" / "compose-spec.json").read_text())
    errors = [
        f"{'.'.join(map(str, e.instance_path))}: {e.message}"
        for e in jsonschema_rs.validator_for(schema).iter_errors(compose)
    ]
    assert not errors
    assert not jsonschema_rs.validator_for(schema).is_valid({**compose, "servicez": {}})  # the schema is strict


def test_each_service_runs_replicas_on_its_port_where_the_gateway_dials_it(compose):
    services = compose["services"]
    images = set()
    for app in APPS:
        service = services[app]
        images.add(service["image"])
        with environment({k: str(v) for k, v in service["environment"].items()}):
            settings = Settings()
        assert service["command"] == ["serve", app, "--reuse-port"]  # replicas share the port (SO_REUSEPORT)
        assert service["deploy"]["replicas"] >= 2
        assert service["network_mode"] == "service:net"  # one namespace: url_of() dials 0.0.0.0:<port>
        assert settings.http_host == "0.0.0.0"
        assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:{settings.port_of(app)}/readyz"
        assert service["depends_on"]["provision"] == {"condition": "service_completed_successfully"}
        assert service["read_only"] is True and service["user"] == "10001:10001"
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"] if isinstance(v, str)}
        assert mounts[str(settings.pg_socket_dir)] == "pg-socket"
        assert mounts[str(settings.public_key_file.parent)] == "keys"
    assert len(images) == 1
    gateway_port = Settings(http_port=int(services["gateway"]["environment"]["WUSHE_HTTP_PORT"])).port_of("gateway")
    assert services["net"]["ports"] == [f"${{WUSHE_PUBLISH:-127.0.0.1:{gateway_port}}}:{gateway_port}"]
    postgres = {v.split(":")[0]: v.split(":")[1] for v in services["postgres"]["volumes"]}
    assert postgres["pg-socket"] == "/var/run/postgresql"  # the official image's socket directory


def test_compose_settings_exist_and_the_provisioning_steps_too(compose):
    known = setting_names()
    for name in compose["x-wushe"]["environment"]:
        assert name in known, name
    for step in ("files", "provision"):
        entrypoint = compose["services"][step]["entrypoint"]
        assert entrypoint[:3] == ["python", "-m", "deploy.k8s.provision"]
        with pytest.raises(SystemExit) as help_:
            k8s_provision.main([*entrypoint[3:], "--help"])
        assert help_.value.code == 0


def test_compose_nats_has_the_platform_accounts_and_syncs_every_write(compose):
    conf = compose["configs"]["nats"]["content"].replace("$$", "$")  # Compose's escape for a literal $
    assert re.search(r"jetstream \{[^}]*sync_interval: always", conf)
    for subject, many in nats_accounts._EXPORTS:
        stream = ", response_type: stream" if many else ""
        assert f'{{ service: "{subject}", accounts: [PARTNERS]{stream} }}' in conf
        to = subject.replace("$JS.API", nats_accounts.PARTNER_API_PREFIX)
        assert f'{{ service: {{ account: PLATFORM, subject: "{subject}" }}, to: "{to}" }}' in conf
    assert f"user: {nats_accounts.PLATFORM_USER}, password: $PLATFORM_PASSWORD" in conf
    assert "no_auth_user" not in conf
    # the partners' users file: written by `files` and by `wushe partner` in the exchange, read by NATS
    partners = nats_accounts.partners_file(Settings(home=Path("/var/lib/wushe")))
    for name in ("files", "exchange"):
        volumes = [v for v in compose["services"][name]["volumes"] if isinstance(v, str)]
        assert f"nats-partners:{partners.parent}" in volumes, name
    assert 'include "partners/partners.conf"' in conf
    assert "nats-partners:/etc/nats/partners:ro" in compose["services"]["nats"]["volumes"]
    assert compose["services"]["nats"]["configs"] == [{"source": "nats", "target": "/etc/nats/nats.conf"}]
