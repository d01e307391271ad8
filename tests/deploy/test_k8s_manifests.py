"""deploy/k8s, offline: both overlays render with the real kustomize (kubectl's); every object they
hold is valid for the Kubernetes API, strictly (kubernetes-validate's schemas, an unknown field is an
error) at the oldest and the newest Kubernetes we target, and every custom resource for its CRD
(CloudNativePG Cluster, KEDA ScaledObject: schemas/README.md). And the manifests say what the code
does: each container listens, is probed and is configured the way kit/settings.py reads it; each
service reaches NATS, its own database and nothing else."""

from __future__ import annotations

import ipaddress
import json
import re
import ssl
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import kubernetes_validate
import pytest
import yaml
from k8s_support import (
    IMAGE,
    K8S,
    OVERLAYS,
    ROOT,
    container_env,
    environment,
    objects,
    pod_templates,
    setting_names,
    settings_map,
)
from support.tls import TestCA

from contracts.flow import consumers_of
from deploy import nats_accounts
from deploy.k8s import provision as k8s_provision
from kit import db as kit_db
from kit import metrics
from kit.settings import SERVICES, Settings
from services.exchange.config import ExchangeSettings
from services.exchange.webhooks.config import WebhookSettings
from services.needs.config import NeedsSettings

# The oldest Kubernetes the manifests need (the preStop sleep action, on by default from 1.30) and the
# newest kubernetes-validate knows.
K8S_VERSIONS = ("1.30", "1.37")
SCHEMAS = Path(__file__).parent / "schemas"
CRDS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "postgresql.cnpg.io-v1-cluster.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh-v1alpha1-scaledobject.json",
}
APPS = (*SERVICES, "gateway")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# variables that are not wushe settings: asyncpg's libpq password, the one the NATS URL is built of,
# OpenTelemetry's exporter settings
OTHER_ENV = {"PGPASSWORD", "NATS_PASSWORD"}
OTHER_PREFIXES = ("OTEL_",)


@pytest.fixture(scope="module")
def some_ca(tmp_path_factory) -> Path:
    return TestCA(tmp_path_factory.mktemp("ca")).cert_file


def docs_of(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> list[dict[str, Any]]:
    return rendered[overlay]


def wushe_containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [c for c in [*spec.get("initContainers", []), *spec["containers"]] if image_name(c["image"]) == IMAGE]


def image_name(image: str) -> str:
    return image.rsplit("/", 1)[-1].split(":")[0]


def api_deployment(docs: list[dict[str, Any]], app: str) -> dict[str, Any]:
    return objects(docs, "Deployment")[f"wushe-{app}"]


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def settings_of(docs: list[dict[str, Any]], container: dict[str, Any]) -> Settings:
    with environment(container_env(docs, container)):
        return Settings()


def mounted_file(template: dict[str, Any], container: dict[str, Any], file: Path) -> tuple[str, str] | None:
    """(Secret, key) whose value the container reads at `file`, if a mounted Secret puts it there."""
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    for mount in container["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret")
        if secret is None or file.parent != Path(mount["mountPath"]):
            continue
        items = {i["path"]: i["key"] for i in secret.get("items", [])}
        if not items or file.name in items:  # without items every key is a file of its name
            return secret["secretName"], items.get(file.name, file.name)
    return None


# --- rendering and schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_renders_every_part_of_the_platform(rendered, overlay):
    docs = docs_of(rendered, overlay)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Job", "Ingress", "Cluster"} <= kinds
    assert {f"wushe-{app}" for app in APPS} <= set(objects(docs, "Deployment"))
    assert {f"wushe-{s}-relay" for s in SERVICES} <= set(objects(docs, "Deployment"))
    assert all(d["metadata"].get("namespace") == "wushe" for d in docs if d["kind"] != "Namespace")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_for_the_kubernetes_api_strictly(rendered, overlay, version):
    for doc in docs_of(rendered, overlay):
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']} at {where}: {exc.message}")


def strict_schema(node: Any) -> Any:
    """A CRD's structural OpenAPI schema as a JSON Schema that, like the API server with strict field
    validation, refuses fields it does not declare. CEL rules (x-kubernetes-validations) are the API
    server's alone: not checked here."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    nullable = node.get("nullable", False)
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}, *([{"type": "null"}] if nullable else [])]
    elif "type" in node:
        out["type"] = [node["type"], "null"] if nullable else node["type"]
    for key in ("enum", "required", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems",
                "maxItems", "uniqueItems", "minProperties", "maxProperties"):  # fmt: skip
        if key in node:
            out[key] = node[key]
    if "enum" in out and nullable:
        out["enum"] = [*out["enum"], None]
    if "properties" in node:
        out["properties"] = {k: strict_schema(v) for k, v in node["properties"].items()}
    if "items" in node:
        out["items"] = strict_schema(node["items"])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in node:
            out[key] = [strict_schema(v) for v in node[key]]
    if "not" in node:
        out["not"] = strict_schema(node["not"])
    if "additionalProperties" in node:
        out["additionalProperties"] = strict_schema(node["additionalProperties"])
    elif "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def crd_validators() -> dict[tuple[str, str], jsonschema_rs.Validator]:
    validators = {}
    for (api_version, kind), file in CRDS.items():
        data = json.loads((SCHEMAS / file).read_text())
        assert f"{data['group']}/{data['version']}" == api_version and data["kind"] == kind
        schema = strict_schema(data["openAPIV3Schema"])
        schema["properties"]["metadata"] = {"type": "object"}  # ObjectMeta: the API server's own type
        validators[(api_version, kind)] = jsonschema_rs.validator_for(schema)
    return validators


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_is_valid_for_its_crd(rendered, overlay, crd_validators):
    found = set()
    for doc in docs_of(rendered, overlay):
        key = (doc["apiVersion"], doc["kind"])
        if key not in CRDS:
            continue
        found.add(key)
        errors = [f"{'.'.join(map(str, e.instance_path))}: {e.message}" for e in crd_validators[key].iter_errors(doc)]
        assert not errors, f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {errors}"
    expected = set(CRDS) if overlay == "province" else {("postgresql.cnpg.io/v1", "Cluster")}
    assert found == expected


def test_the_strict_crd_schema_refuses_what_the_api_server_would(crd_validators):
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "x"},
        "spec": {"instances": 2, "storage": {"size": "1Gi"}},
    }
    validator = crd_validators[("postgresql.cnpg.io/v1", "Cluster")]
    assert validator.is_valid(cluster)
    assert not validator.is_valid({**cluster, "spec": {**cluster["spec"], "instancez": 2}})  # unknown field
    assert not validator.is_valid({**cluster, "spec": {**cluster["spec"], "instances": "two"}})  # wrong type


# --- the code's view of the manifests ----------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_container_listens_and_is_probed_where_the_settings_say(rendered, overlay):
    docs = docs_of(rendered, overlay)
    for app in APPS:
        deployment = api_deployment(docs, app)
        container = main_container(deployment)
        settings = settings_of(docs, container)
        port = settings.port_of(app)
        assert container["args"][:2] == ["serve", app]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert settings.http_host == "0.0.0.0"  # reachable from outside the pod
        probes = {kind: container[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
        assert all(p["port"] in ("http", port) for p in probes.values())
        assert (probes["startupProbe"]["path"], probes["livenessProbe"]["path"]) == ("/healthz", "/healthz")
        assert probes["readinessProbe"]["path"] == "/readyz"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == (str(port), "/metrics")
        service = objects(docs, "Service")[f"wushe-{app}"]
        assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http", "appProtocol": "http"}]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_environment_name_is_a_setting_and_every_reference_resolves(rendered, overlay):
    docs = docs_of(rendered, overlay)
    known = setting_names()
    for name in settings_map(docs):
        assert name in known or name.startswith(OTHER_PREFIXES), f"settings.env: {name} is no setting"
    for workload, template in pod_templates(docs).items():
        for container in wushe_containers(template):
            defined: list[str] = list(container_env(docs, {"envFrom": container.get("envFrom", [])}))
            for entry in container.get("env", []):
                name = entry["name"]
                assert name in known or name in OTHER_ENV, f"{workload}/{container['name']}: {name} is no setting"
                # Kubernetes leaves a $(VAR) it cannot resolve as it is: it must be defined before
                for ref in re.findall(r"\$\((\w+)\)", entry.get("value", "")):
                    assert ref in defined, f"{workload}/{container['name']}: {name} uses $({ref}) before it is set"
                defined.append(name)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_services_reach_nats_and_their_database_as_the_settings_connect(rendered, overlay, some_ca):
    docs = docs_of(rendered, overlay)
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    ca_cert = ssl.create_default_context(cafile=str(some_ca)).get_ca_certs()[0]
    for workload, template in pod_templates(docs).items():
        for container in wushe_containers(template):
            settings = settings_of(docs, container)
            assert not settings.relay_in_process  # the relays are Deployments of their own
            assert settings.nats_cluster_size == values["config"]["cluster"]["replicas"] == 3
            uses_nats = any(e["name"] == "NATS_PASSWORD" for e in container.get("env", []))
            assert uses_nats == (container["name"] != "migrate"), (
                workload
            )  # it needs no NATS (the gateway: its view cache)
            for url in settings.nats_servers if uses_nats else ():
                assert re.fullmatch(rf"nats://platform:\$\(NATS_PASSWORD\)@{values['fullnameOverride']}:4222", url)
            if container["name"] == "provision":
                continue
            service = container["args"][1] if container.get("args") else container["command"][-1]
            if service == "gateway":
                continue
            # the service's own cluster's primary (CloudNativePG's -rw Service), over TLS that checks the
            # CA and the host name, with the CA that the cluster's CA Secret puts where the settings read it
            cluster = f"wushe-{service}-db"
            assert cluster in objects(docs, "Cluster")
            assert settings.pg_over_tcp and settings.pg_address == f"{cluster}-rw", workload
            assert settings.pg_port == 5432
            assert settings.pg_sslmode == "verify-full" and settings.pg_sslrootcert is not None
            assert mounted_file(template, container, settings.pg_sslrootcert) == (f"{cluster}-ca", "ca.crt"), workload
            assert container_env(docs, container)["PGPASSWORD"] == f"<secret:{cluster}-app/password>"
            # and what kit/db.py hands asyncpg from them (a stand-in CA file where the Secret's would be)
            connect = kit_db.connect_kwargs(settings.model_copy(update={"pg_sslrootcert": some_ca}), service)
            assert (connect["host"], connect["port"], connect["user"]) == (f"{cluster}-rw", 5432, f"wushe_{service}")
            context = connect["ssl"]
            assert isinstance(context, ssl.SSLContext)
            assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
            assert context.get_ca_certs() == [ca_cert], "the mounted CA and no other"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_reaches_each_service_at_its_service(rendered, overlay):
    """url_of() names each service's Kubernetes Service and its port, which hands the connection on to
    that service's API pods; nothing in the gateway's pod between them."""
    docs = docs_of(rendered, overlay)
    gateway = api_deployment(docs, "gateway")
    settings = settings_of(docs, main_container(gateway))
    assert "initContainers" not in gateway["spec"]["template"]["spec"]
    for service in SERVICES:
        url = urlsplit(settings.url_of(service))
        assert (url.scheme, url.hostname, url.path) == ("http", f"wushe-{service}", "")
        target = objects(docs, "Service")[url.hostname]
        (port,) = target["spec"]["ports"]
        assert url.port == port["port"] == settings.port_of(service)
        assert target["spec"]["selector"] == api_deployment(docs, service)["spec"]["selector"]["matchLabels"]
        assert port["targetPort"] == "http"  # the API container's port, which it listens on (test above)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_key_files_are_mounted_secrets(rendered, overlay):
    docs = docs_of(rendered, overlay)
    for app in APPS:
        deployment = api_deployment(docs, app)
        container = main_container(deployment)
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        env = container_env(docs, container)
        with environment(env):
            files = [Settings().public_key_file]
            if app != "gateway":
                files.append(Settings().pg_sslrootcert)  # the cluster's CA
            if app in ("needs", "volunteers", "party", "charity"):
                files.append(Settings().keyring_file)
            if app == "needs":
                files.append(NeedsSettings().portals_path(Settings()))
            if app == "exchange":
                files += [ExchangeSettings().key_file(Settings()), WebhookSettings().secrets_key_file(Settings())]
        for file in files:
            volume = mounts.get(str(file.parent))
            assert volume is not None and "secret" in volume, f"{app}: {file} is not in a mounted Secret"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_image_for_every_process_at_the_project_version(rendered, overlay):
    docs = docs_of(rendered, overlay)
    images = {c["image"] for t in pod_templates(docs).values() for c in wushe_containers(t)}
    for workload, template in pod_templates(docs).items():  # no sidecar of another image
        assert len(wushe_containers(template)) == len(template["spec"].get("initContainers", [])) + len(
            template["spec"]["containers"]
        ), workload
    expected = "localhost/wushe" if overlay == "dev" else "registry.hebei.example/wushe/wushe"
    assert images == {f"{expected}:{VERSION}"}
    deployments = objects(docs, "Deployment")
    for service in SERVICES:
        relay = main_container(deployments[f"wushe-{service}-relay"])
        assert relay["args"] == ["relay", service] and "ports" not in relay
        for name in (f"wushe-{service}", f"wushe-{service}-relay"):
            init = {c["name"]: c for c in deployments[name]["spec"]["template"]["spec"]["initContainers"]}
            assert list(init) == ["migrate"]
            assert init["migrate"]["command"] == ["python", "-m", "deploy.k8s.provision", "migrate", service]
    (job,) = objects(docs, "Job").values()
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["python", "-m", "deploy.k8s.provision", "streams"]
    with pytest.raises(SystemExit) as help_:  # the step exists
        k8s_provision.main([*command[3:], "--help"])
    assert help_.value.code == 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_restricted_and_drain_gracefully(rendered, overlay):
    for workload, template in pod_templates(docs_of(rendered, overlay)).items():
        spec = template["spec"]
        assert spec["enableServiceLinks"] is False, workload  # no WUSHE_*_PORT=tcp://… from Services
        assert spec["automountServiceAccountToken"] is False, workload
        assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] == 10001
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            assert c["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }, f"{workload}/{c['name']}"
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and "memory" in c["resources"]["limits"]
        if workload.startswith("Deployment/") and not workload.endswith("-relay"):
            # preStop, then uvicorn's 5 s to finish requests, then the lifespan's 5 s to stop the workers
            pre_stop = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert spec["terminationGracePeriodSeconds"] >= pre_stop + 5 + 5 + 5


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_own_postgresql_cluster(rendered, overlay):
    docs = docs_of(rendered, overlay)
    clusters = objects(docs, "Cluster")
    assert set(clusters) == {f"wushe-{s}-db" for s in SERVICES}
    settings = Settings()
    for service in SERVICES:
        spec = clusters[f"wushe-{service}-db"]["spec"]
        initdb = spec["bootstrap"]["initdb"]
        assert initdb["database"] == initdb["owner"] == settings.db_name(service)  # kit/db.py connects so
        assert spec["enableSuperuserAccess"] is False
        if overlay == "dev":
            assert spec["instances"] == 1 and "synchronous" not in spec["postgresql"]
        else:
            assert spec["instances"] == 2
            assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1, "dataDurability": "required"}


# a relay's pool (deploy/cli.py run_relay) and its LISTEN connection; a migrate container's one
RELAY_CONNECTIONS, MIGRATE_CONNECTIONS = 2 + 1, 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_database_takes_every_connection_its_replicas_can_open(rendered, overlay):
    docs = docs_of(rendered, overlay)
    pool = settings_of(docs, main_container(api_deployment(docs, "needs"))).pg_pool_size
    bounds = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
        for h in objects(docs, "HorizontalPodAutoscaler").values()
    }
    bounds |= {
        s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"]
        for s in objects(docs, "ScaledObject").values()
    }
    deployments = objects(docs, "Deployment")
    for service in SERVICES:
        apis = bounds[f"wushe-{service}"]
        relays = bounds.get(f"wushe-{service}-relay") or deployments[f"wushe-{service}-relay"]["spec"]["replicas"]
        # each pod may be starting while its predecessor still drains: its migrate container counts too
        needed = apis * (pool + MIGRATE_CONNECTIONS) + relays * (RELAY_CONNECTIONS + MIGRATE_CONNECTIONS)
        parameters = objects(docs, "Cluster")[f"wushe-{service}-db"]["spec"]["postgresql"]["parameters"]
        headroom = 10  # superuser_reserved_connections, the operator's and replication's own
        assert needed + headroom <= int(parameters["max_connections"]), (service, needed)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scaling_targets_exist_and_no_two_autoscalers_share_one(rendered, overlay):
    docs = docs_of(rendered, overlay)
    deployments = objects(docs, "Deployment")
    targets: list[str] = []
    for hpa in objects(docs, "HorizontalPodAutoscaler").values():
        name = hpa["spec"]["scaleTargetRef"]["name"]
        (metric,) = hpa["spec"]["metrics"]
        assert metric["containerResource"]["container"] == main_container(deployments[name])["name"]
        targets.append(name)
    for scaled in objects(docs, "ScaledObject").values():
        targets.append(scaled["spec"]["scaleTargetRef"]["name"])
    assert len(targets) == len(set(targets)) and set(targets) <= set(deployments)
    for name in targets:  # an autoscaled Deployment leaves its replicas to the autoscaler
        assert "replicas" not in deployments[name]["spec"], name
    expected = {f"wushe-{app}" for app in APPS}
    if overlay == "province":
        expected |= {f"wushe-{s}-relay" for s in SERVICES}
    assert set(targets) == expected
    pdbs = [p["spec"]["selector"]["matchLabels"] for p in objects(docs, "PodDisruptionBudget").values()]
    for deployment in deployments.values():
        assert deployment["spec"]["selector"]["matchLabels"] in pdbs


def test_consumers_scale_on_the_lag_gauge_the_services_export(rendered):
    """KEDA's Prometheus trigger on each service's worst consumer backlog, by the very name and labels
    that /metrics gives the gauge (kit/metrics.py), and its CPU trigger on the service's container."""
    sampler = metrics.Sampler("needs", None, None, [("NEEDS", "needs-task-accepted")])  # type: ignore[arg-type]
    try:
        metrics.setup("needs")
        sampler.snapshot = metrics.Snapshot(consumers={"needs-task-accepted": (7, 0)}, outbox_pending=3)
        exposition = metrics.exposition().decode()
    finally:
        sampler.stop()
    assert re.search(
        r'^wushe_consumer_pending\{consumer="needs-task-accepted",.*service="needs"\} 7\.0$', exposition, re.M
    )
    assert re.search(r'^wushe_outbox_pending\{.*service="needs"\} 3\.0$', exposition, re.M)
    scaled = objects(docs_of(rendered, "province"), "ScaledObject")
    for service in SERVICES:
        assert consumers_of(service), service  # every service consumes: each gets a lag trigger
        triggers = {t["type"]: t for t in scaled[f"wushe-{service}"]["spec"]["triggers"]}
        assert triggers["cpu"]["metadata"]["containerName"] == service
        assert triggers["prometheus"]["metadata"]["query"] == f'max(wushe_consumer_pending{{service="{service}"}})'
        (relay,) = scaled[f"wushe-{service}-relay"]["spec"]["triggers"]
        assert relay["metadata"]["query"] == f'max(wushe_outbox_pending{{service="{service}"}})'
        for trigger in (triggers["prometheus"], relay):
            assert trigger["metadata"]["serverAddress"].startswith("http://")  # the component's replacement ran


# --- who may talk to whom ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str = "wushe"
    labels: tuple[tuple[str, str], ...] = ()
    ip: str | None = None  # outside the cluster
    ports: tuple[tuple[int, str], ...] = field(default=())

    @property
    def namespace_labels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace}


def endpoint(name: str, labels: dict[str, str], ports: list[int], namespace: str = "wushe", proto: str = "TCP"):
    return Endpoint(name, namespace, tuple(sorted(labels.items())), None, tuple((p, proto) for p in ports))


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels are modelled here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def peer_matches(peer: dict[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if other.ip is not None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], dict(other.labels))


def port_matches(rule: dict[str, Any], port: tuple[int, str]) -> bool:
    ports = rule.get("ports")
    return not ports or any((p["port"], p.get("protocol", "TCP")) == port for p in ports)


def allowed(policies, subject: Endpoint, other: Endpoint, port: tuple[int, str], direction: str) -> bool:
    """May `subject` send to (Egress) or receive from (Ingress) `other` on `port`, by the policies that select it?"""
    if subject.ip is not None:
        return True  # outside the cluster: no policy
    key, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    mine = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and selects(p["spec"]["podSelector"], dict(subject.labels))
        and direction in p["spec"]["policyTypes"]
    ]
    if not mine:
        return True
    return any(
        port_matches(rule, port) and any(peer_matches(peer, other, p["metadata"]["namespace"]) for peer in rule[peers])
        for p in mine
        for rule in p["spec"].get(key, [])
    )


def reachable(policies, source: Endpoint, world: list[Endpoint]) -> set[tuple[str, int, str]]:
    return {
        (target.name, *port)
        for target in world
        if target != source
        for port in target.ports
        if allowed(policies, source, target, port, "Egress") and allowed(policies, target, source, port, "Ingress")
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_reaches_nats_its_own_database_and_nothing_else(rendered, overlay):
    docs = docs_of(rendered, overlay)
    policies = list(objects(docs, "NetworkPolicy").values())
    settings = Settings(http_port=int(settings_map(docs)["WUSHE_HTTP_PORT"]))
    pods = {}
    for name, template in pod_templates(docs).items():
        labels = template["metadata"]["labels"]
        api = labels["app.kubernetes.io/component"] == "api"
        pods[name.split("/", 1)[1]] = endpoint(
            name, labels, [settings.port_of(labels["app.kubernetes.io/name"])] if api else []
        )
    databases = {s: endpoint(f"db-{s}", {"cnpg.io/cluster": f"wushe-{s}-db"}, [5432, 8000]) for s in SERVICES}
    nats = endpoint(
        "nats", {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats"}, [4222, 6222, 8222]
    )
    dns = [endpoint("dns", {"k8s-app": "kube-dns"}, [53], "kube-system", proto) for proto in ("UDP", "TCP")]
    others = [
        endpoint("stranger", {"app": "stranger"}, [5432, 4222, 8001, 80], "wushe"),
        endpoint("ingress", {"app": "ingress-nginx"}, [80, 443], "ingress-nginx"),
        endpoint("prometheus", {"app": "prometheus"}, [9090], "monitoring"),
        endpoint("otel", {"app": "otel-collector"}, [4318], "observability"),
        endpoint("operator", {"app.kubernetes.io/name": "cloudnative-pg"}, [9443], "cnpg-system"),
        Endpoint("internet", ip="203.0.113.10", ports=((443, "TCP"), (80, "TCP"), (22, "TCP"))),
        Endpoint("metadata", ip="169.254.169.254", ports=((80, "TCP"),)),
        Endpoint("intranet", ip="10.20.30.40", ports=((443, "TCP"),)),
    ]
    world = [*pods.values(), *databases.values(), nats, *dns, *others]
    base = {("dns", 53, "UDP"), ("dns", 53, "TCP")} | ({("otel", 4318, "TCP")} if overlay == "province" else set())
    for service in SERVICES:
        expected = base | {("nats", 4222, "TCP"), (f"db-{service}", 5432, "TCP")}
        if service == "exchange":  # webhooks and portal callbacks: public addresses only
            expected |= {("internet", 443, "TCP"), ("internet", 80, "TCP")}
        for pod in (f"wushe-{service}", f"wushe-{service}-relay"):
            assert reachable(policies, pods[pod], world) == expected, pod
    gateway = {(f"Deployment/wushe-{s}", settings.port_of(s), "TCP") for s in SERVICES}
    assert reachable(policies, pods["wushe-gateway"], world) == base | gateway | {("nats", 4222, "TCP")}
    assert reachable(policies, pods["wushe-provision"], world) == base | {("nats", 4222, "TCP")}
    # and into a database: its service, its own instances, the operator; no one else
    for service, db in databases.items():
        senders = {e.name for e in world if e != db and allowed(policies, db, e, (5432, "TCP"), "Ingress")}
        assert senders == {f"Deployment/wushe-{service}", f"Deployment/wushe-{service}-relay", "operator"}, service


# --- NATS --------------------------------------------------------------------------------------------


def test_nats_values_make_a_synced_three_node_cluster_with_the_platform_accounts():
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    config = values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    assert config["jetstream"]["enabled"] is True
    assert config["jetstream"]["merge"] == {"sync_interval": "always"}  # the chart has no key of its own
    accounts = config["merge"]["accounts"]
    expected_exports = [
        {"service": subject, "accounts": ["PARTNERS"], **({"response_type": "stream"} if many else {})}
        for subject, many in nats_accounts._EXPORTS
    ]
    assert accounts["PLATFORM"]["exports"] == expected_exports
    assert accounts["PLATFORM"]["users"] == [
        {"user": nats_accounts.PLATFORM_USER, "password": "<< $PLATFORM_PASSWORD >>"}
    ]
    prefix = nats_accounts.PARTNER_API_PREFIX
    assert accounts["PARTNERS"]["imports"] == [
        {"service": {"account": "PLATFORM", "subject": s}, "to": s.replace("$JS.API", prefix)}
        for s, _ in nats_accounts._EXPORTS
    ]
    # the partners' users come from the Secret mounted where the include points (relative to the config)
    include = accounts["PARTNERS"]["$include"]
    mount = values["container"]["patch"][0]["value"]
    assert Path("/etc/nats-config", include).resolve().parent == Path(mount["mountPath"])
    volume = values["podTemplate"]["patch"][0]["value"]
    assert volume["name"] == mount["name"] and volume["secret"]["secretName"] == "wushe-nats-partners"
    secret = values["container"]["env"]["PLATFORM_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "wushe-nats-platform", "key": "password"}  # the services' NATS_PASSWORD too
    assert "no_auth_user" not in config["merge"]


def test_every_secret_the_manifests_need_is_documented(rendered):
    readme = (K8S / "README.md").read_text()
    for overlay in OVERLAYS:
        names = set()
        for template in pod_templates(docs_of(rendered, overlay)).values():
            for volume in template["spec"].get("volumes", []):
                if "secret" in volume:
                    names.add(volume["secret"]["secretName"])
            for c in [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]:
                names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if "valueFrom" in e}
        for name in names:
            documented = name in readme or re.sub(r"^wushe-(\w+)-db-", "wushe-<service>-db-", name) in readme
            assert documented, f"{overlay}: Secret {name} is not in deploy/k8s/README.md"
