"""Kubernetes manifests (base/, overlays/, components/) and the steps their pods run (provision.py)."""
