"""One OpenAPI document for the whole /api/v1 facade: the gateway's own routes plus, for every
resource the gateway passes through, the owning service's operations (fetched from the service
and cached; a service that is down is left out and named)."""
from __future__ import annotations

import asyncio
import time

import aiohttp
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from services.gateway.api import ROUTES
from services.gateway.upstream import Upstream

router = APIRouter(prefix="/api/v1", include_in_schema=False)
CACHE_S = 60.0
_cache: dict[str, tuple[float, dict]] = {}


async def _service_spec(name: str, upstream: Upstream) -> dict | None:
    cached = _cache.get(name)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    try:
        reply = await upstream.request("GET", "/openapi.json")
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return None
    if reply.status != 200:
        return None
    _cache[name] = (time.monotonic(), reply.json())
    return _cache[name][1]


def _merge(spec: dict, service: str, service_spec: dict) -> None:
    """Add the service's operations on the resources the gateway routes to it, under /api/v1."""
    for path, operations in service_spec.get("paths", {}).items():
        if ROUTES.get(path.strip("/").split("/")[0]) == service and "/api/v1" + path not in spec["paths"]:
            spec["paths"]["/api/v1" + path] = operations
    spec.setdefault("components", {}).setdefault("schemas", {}).update(
        service_spec.get("components", {}).get("schemas", {}))


@router.get("/openapi.json")
async def facade_openapi(request: Request) -> dict:
    spec = dict(request.app.openapi())
    spec["paths"] = dict(spec["paths"])
    spec["components"] = {**spec.get("components", {}), "schemas": dict(spec.get("components", {}).get("schemas", {}))}
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    specs = await asyncio.gather(*(_service_spec(name, u) for name, u in upstreams.items()))
    missing = [name for name, s in zip(upstreams, specs) if s is None]
    for name, service_spec in zip(upstreams, specs):
        if service_spec is not None:
            _merge(spec, name, service_spec)
    spec["info"] = {**spec["info"], "description": "五社联动 API（经网关）/ the wushe API through the gateway"
                    + (f"；暂缺 / missing now: {', '.join(missing)}" if missing else "")}
    return spec


@router.get("/docs", response_class=HTMLResponse)
async def facade_docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="wushe 五社联动 API /api/v1")
