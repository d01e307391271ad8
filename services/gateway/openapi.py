"""One OpenAPI document for the whole /api/v1 facade: the gateway's own routes plus, for every
resource the gateway passes through, the owning service's operations (fetched from the service
and cached; a service that is down is left out and named)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from functools import lru_cache

import aiohttp
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from contracts.asyncapi import document as internal_document
from contracts.asyncapi import public_document
from kit.openapi import STATUS_TEXT, problem_response
from services.gateway.api import ROUTES
from services.gateway.upstream import Upstream

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
CACHE_S = 60.0
REF = "#/components/schemas/"
_cache: dict[str, tuple[float, dict]] = {}


async def _service_spec(name: str, upstream: Upstream) -> dict | None:
    cached = _cache.get(name)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    try:
        reply = await upstream.request("GET", "/openapi.json")
    except (TimeoutError, aiohttp.ClientError):
        return None
    if reply.status != 200:
        return None
    _cache[name] = (time.monotonic(), reply.json())
    return _cache[name][1]


def _merge(spec: dict, service: str, service_spec: dict) -> None:
    """Add the service's operations on the resources the gateway routes to it, under /api/v1; an
    operation the gateway declares itself (e.g. POST /needs) keeps the gateway's description. A
    schema whose name another service already uses for a different schema is renamed for this
    service (e.g. `Volunteers.TaskView`), with every reference to it."""
    schemas = spec["components"]["schemas"]
    renames = {
        name: f"{service.capitalize()}.{name}"
        for name, schema in service_spec.get("components", {}).get("schemas", {}).items()
        if name in schemas and schemas[name] != schema
    }
    service_spec = _renamed(service_spec, renames) if renames else service_spec
    for name, schema in service_spec.get("components", {}).get("schemas", {}).items():
        schemas.setdefault(name, schema)
    for path, method, operation in passed_through(service, service_spec):
        spec["paths"].setdefault(path, {}).setdefault(method, operation)


def passed_through(service: str, service_spec: dict) -> Iterator[tuple[str, str, dict]]:
    """(facade path, method, operation) of each of the service's operations on a resource the
    gateway routes to it, as the gateway serves it."""
    for path, operations in service_spec.get("paths", {}).items():
        if ROUTES.get(path.strip("/").split("/")[0]) != service:
            continue
        for method, operation in operations.items():
            yield PREFIX + path, method, _behind_the_gateway(operation)


async def service_specs(upstreams: dict[str, Upstream]) -> dict[str, dict | None]:
    """Each service's own document (cached), or None for a service that does not answer."""
    specs = await asyncio.gather(*(_service_spec(name, u) for name, u in upstreams.items()))
    return dict(zip(upstreams, specs, strict=True))


def _behind_the_gateway(operation: dict) -> dict:
    """The gateway passes a request through only with a token (public data has its own /public
    routes), so every passed-through operation needs one, whatever the service itself asks."""
    if operation.get("security"):
        return operation
    responses = {**operation.get("responses", {}), **{str(s): problem_response(STATUS_TEXT[s]) for s in (401, 403)}}
    return {**operation, "security": [{"bearer": []}], "responses": responses}


def _renamed(service_spec: dict, renames: dict[str, str]) -> dict:
    renamed = _refs_renamed(service_spec, renames)
    components = renamed.setdefault("components", {})
    components["schemas"] = {renames.get(k, k): v for k, v in components.get("schemas", {}).items()}
    return renamed


def _refs_renamed(node, renames: dict[str, str]):
    """A copy of `node` whose `$ref`s to renamed schemas point at their new names."""
    if isinstance(node, dict):
        return {
            key: (
                REF + renames.get(value[len(REF) :], value[len(REF) :])
                if key == "$ref" and isinstance(value, str) and value.startswith(REF)
                else _refs_renamed(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_refs_renamed(item, renames) for item in node]
    return node


@router.get("/openapi.json")
async def facade_openapi(request: Request) -> dict:
    spec = copy.deepcopy(request.app.openapi())
    spec["paths"] = {path: ops for path, ops in spec["paths"].items() if path.startswith(PREFIX + "/")}
    specs = await service_specs(request.app.state.upstreams)
    missing = [name for name, s in specs.items() if s is None]
    for name, service_spec in specs.items():
        if service_spec is not None:
            _merge(spec, name, service_spec)
    spec["info"] = {
        **spec["info"],
        "description": "五社联动 API（经网关）/ the wushe API through the gateway"
        + (f"；暂缺 / missing now: {', '.join(missing)}" if missing else ""),
    }
    return spec


@router.get("/asyncapi.json")
async def asyncapi() -> dict:
    """The AsyncAPI 3.0 document partners read: every public event's channel, message and schema."""
    return _asyncapi(public=True)


@router.get("/asyncapi-internal.json")
async def asyncapi_internal() -> dict:
    """The AsyncAPI 3.0 document of the internal events: who publishes and who consumes each."""
    return _asyncapi(public=False)


@lru_cache
def _asyncapi(public: bool) -> dict:
    return public_document() if public else internal_document()


@router.get("/docs", response_class=HTMLResponse)
async def facade_docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="wushe 五社联动 API /api/v1")
