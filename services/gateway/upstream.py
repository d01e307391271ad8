"""HTTP clients for the services behind the gateway: the caller's token and trace go along.

aiohttp rather than httpx: at a few hundred requests a second httpx's connection pool scans
every pooled connection per request, which cost the gateway more CPU than the rest of it."""
from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import orjson
from fastapi import Request

from kit import idempotency
from kit.problems import MEDIA_TYPE, Problem
from kit.settings import Settings
from kit.telemetry import current_traceparent

UPSTREAMS = ("needs", "volunteers", "projects", "charity", "party")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]

    def json(self):
        return orjson.loads(self.body)


class Upstream:
    """One service: a keep-alive connection pool with a per-call timeout."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64, ttl_dns_cache=None),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            json_serialize=lambda v: orjson.dumps(v).decode(),
        )

    async def request(self, method: str, path: str, **kwargs) -> Reply:
        async with self.session.request(method, self.base_url + path, **kwargs) as response:
            return Reply(response.status, response.headers.get("content-type", ""), await response.read(),
                         dict(response.headers))

    async def close(self) -> None:
        await self.session.close()


def create_upstreams(settings: Settings) -> dict[str, Upstream]:
    return {name: Upstream(settings.url_of(name), settings.upstream_timeout_s) for name in UPSTREAMS}


def forward_headers(request: Request) -> dict[str, str]:
    headers = {"authorization": request.headers.get("authorization", "")}
    if key := request.headers.get(idempotency.HEADER):
        headers[idempotency.HEADER] = key
    traceparent = current_traceparent()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


def raise_for_problem(reply: Reply) -> None:
    """Pass an upstream 4xx through unchanged (it already names the field); hide 5xx details."""
    if 200 <= reply.status < 300:
        return
    if reply.status < 500 and reply.content_type.startswith(MEDIA_TYPE):
        body = reply.json()
        extensions = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail", "instance", "errors")}
        raise Problem(body["status"], body["title"], body.get("detail", ""), errors=body.get("errors"), **extensions)
    raise Problem(502, "上游服务错误 / Upstream error", f"upstream answered {reply.status}")
