"""The Kubernetes manifests as a cluster would receive them: each overlay rendered once per session
(k8s_support.render: the real kustomize, kubectl's)."""

from __future__ import annotations

from typing import Any

import pytest
from k8s_support import K8S, OVERLAYS, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """overlay → its objects, as `kubectl apply -k deploy/k8s/overlays/<overlay>` would send them."""
    return {name: render(K8S / "overlays" / name) for name in OVERLAYS}
