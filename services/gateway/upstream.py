"""HTTP clients for the services behind the gateway: the caller's token and trace go along."""
from __future__ import annotations

import httpx
from fastapi import Request

from kit import idempotency
from kit.problems import MEDIA_TYPE, Problem
from kit.settings import Settings
from kit.telemetry import current_traceparent

UPSTREAMS = ("needs", "volunteers", "projects", "charity", "party")


def create_clients(settings: Settings) -> dict[str, httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return {
        name: httpx.AsyncClient(base_url=settings.url_of(name), timeout=settings.upstream_timeout_s, limits=limits)
        for name in UPSTREAMS
    }


def forward_headers(request: Request) -> dict[str, str]:
    headers = {"authorization": request.headers.get("authorization", "")}
    if key := request.headers.get(idempotency.HEADER):
        headers[idempotency.HEADER] = key
    traceparent = current_traceparent()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


def raise_for_problem(response: httpx.Response) -> None:
    """Pass an upstream 4xx through unchanged (it already names the field); hide 5xx details."""
    if response.is_success:
        return
    if response.status_code < 500 and response.headers.get("content-type", "").startswith(MEDIA_TYPE):
        body = response.json()
        raise Problem(body["status"], body["title"], body.get("detail", ""), errors=body.get("errors"))
    raise Problem(502, "上游服务错误 / Upstream error", f"upstream answered {response.status_code}")
