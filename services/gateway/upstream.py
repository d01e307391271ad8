"""HTTP clients for the services behind the gateway: the caller's token and trace go along.

aiohttp rather than httpx: at a few hundred requests a second httpx's connection pool scans
every pooled connection per request, which cost the gateway more CPU than the rest of it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote

import aiohttp
import orjson
from fastapi import Request
from yarl import URL

from contracts.envelope import new_id
from contracts.subjects import SERVICES
from contracts.taxonomy import CodeLists
from kit import idempotency
from kit.problems import MEDIA_TYPE, Problem
from kit.settings import Settings
from kit.telemetry import current_traceparent
from services.gateway.cache import Generations

UPSTREAMS = SERVICES  # the gateway forwards to every bounded service
# Idle pooled connections are dropped before the services' uvicorn drops them (timeout_keep_alive in
# deploy/cli.py), so the gateway never sends on a connection the other side has just closed.
KEEPALIVE_S = 30.0
RETRIED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


def path_of(*segments: object) -> str:
    """An upstream path from its segments, each percent-encoded whole: no value can add a segment,
    climb with `..`, or start a query. No resource of ours has an id that is empty, a dot segment or
    holds a `/`, so such a path names nothing."""
    for segment in segments:
        if str(segment) in ("", ".", "..") or "/" in str(segment):
            raise Problem(404, "未找到 / Not found", "没有这个接口 / no such resource")
    return "".join("/" + quote(str(segment), safe="") for segment in segments)


def split_path(raw: str) -> list[str]:
    """The decoded segments of a raw (percent-encoded) path; an encoded `/` stays inside its segment."""
    return [unquote(part) for part in raw.strip("/").split("/")]


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]

    def json(self):
        return orjson.loads(self.body)


class Upstream:
    """One service: a keep-alive connection pool with a per-call timeout. A write through it moves
    the service's generation on, for the views the gateway keeps (cache.py)."""

    def __init__(self, name: str, base_url: str, timeout_s: float, generations: Generations) -> None:
        self.name, self.base_url, self.generations = name, base_url, generations
        self.session = _session(
            aiohttp.TCPConnector(limit=64, ttl_dns_cache=None, keepalive_timeout=KEEPALIVE_S), timeout_s
        )
        # a retry goes on a connection of its own: the pooled ones may have died together
        self.fresh = _session(aiohttp.TCPConnector(force_close=True), timeout_s)

    async def request(self, method: str, path: str, **kwargs) -> Reply:
        """`path` is already encoded (path_of). A write always carries an Idempotency-Key (the
        caller's, or one of the gateway's own), so that when a pooled connection dies under it the
        write is sent once more on a fresh one and still applies at most once."""
        url = URL(self.base_url + path, encoded=True)
        if method not in idempotency.WRITES:
            return await self._send(self.session, method, url, **kwargs)  # aiohttp itself retries these once
        headers = kwargs.pop("headers", None) or {}
        if not any(k.lower() == "idempotency-key" for k in headers):
            headers = {**headers, idempotency.HEADER: f"gateway-{new_id()}"}
        try:
            return await self._send(self.session, method, url, headers=headers, **kwargs)
        except RETRIED:
            return await self._send(self.fresh, method, url, headers=headers, **kwargs)
        finally:  # answered or not, the write may have changed what the service says
            self.generations.changed(self.name)

    @staticmethod
    async def _send(session: aiohttp.ClientSession, method: str, url: URL, **kwargs) -> Reply:
        async with session.request(method, url, **kwargs) as response:
            return Reply(
                response.status, response.headers.get("content-type", ""), await response.read(), dict(response.headers)
            )

    async def close(self) -> None:
        await self.session.close()
        await self.fresh.close()


def _session(connector: aiohttp.TCPConnector, timeout_s: float) -> aiohttp.ClientSession:
    """A session serves every caller, so it keeps no cookies: one a service set must never go along
    with another caller's request (and no jar means no cookie filtering per request)."""
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        json_serialize=lambda v: orjson.dumps(v).decode(),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def create_upstreams(settings: Settings, generations: Generations) -> dict[str, Upstream]:
    return {name: Upstream(name, settings.url_of(name), settings.upstream_timeout_s, generations) for name in UPSTREAMS}


# a service's codes change only with its version: asked again after a while, for a rolling upgrade
CODE_LISTS_TTL_S = 300.0


async def service_code_lists(app) -> CodeLists:
    """Every service's code lists (GET /code-lists, public), merged; each service's answer is kept
    for CODE_LISTS_TTL_S, and one that does not answer is asked again on the next call."""
    kept: dict[str, tuple[float, CodeLists]] = app.state.code_lists
    now = time.monotonic()
    stale = [name for name in app.state.upstreams if name not in kept or now - kept[name][0] > CODE_LISTS_TTL_S]
    answers = await asyncio.gather(*(_code_lists_of(app.state.upstreams[n]) for n in stale))
    for name, lists in zip(stale, answers, strict=True):
        if lists is not None:
            kept[name] = (now, lists)
    return {list_name: codes for _, lists in kept.values() for list_name, codes in lists.items()}


async def _code_lists_of(upstream: Upstream) -> CodeLists | None:
    try:
        reply = await upstream.request("GET", "/code-lists")
    except (TimeoutError, aiohttp.ClientError):
        return None
    return reply.json() if reply.status == 200 else None


def forward_headers(request: Request) -> dict[str, str]:
    headers = {"authorization": request.headers.get("authorization", "")}
    for name in (idempotency.HEADER, "If-Match"):  # a retry's key; the version an edit was read at
        if value := request.headers.get(name):
            headers[name] = value
    traceparent = current_traceparent()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


# what a client needs of a service's answer besides its body: a download's file name, the methods a
# 405 allows, when to retry, whether an Idempotency-Key replayed the first answer, a record's version
PASSED = ("content-disposition", "allow", "retry-after", "idempotent-replayed", "www-authenticate", "etag")


def passed_headers(reply: Reply) -> dict[str, str]:
    return {k: v for k, v in reply.headers.items() if k.lower() in PASSED}


def raise_for_problem(reply: Reply) -> None:
    """Pass an upstream 4xx through unchanged (it already names the field); hide 5xx details."""
    if 200 <= reply.status < 300:
        return
    if reply.status < 500 and reply.content_type.startswith(MEDIA_TYPE):
        body = reply.json()
        extensions = {
            k: v for k, v in body.items() if k not in ("type", "title", "status", "detail", "instance", "errors")
        }
        raise Problem(
            body["status"],
            body["title"],
            body.get("detail", ""),
            errors=body.get("errors"),
            headers=passed_headers(reply) or None,
            **extensions,
        )
    raise Problem(502, "上游服务错误 / Upstream error", f"upstream answered {reply.status}")
