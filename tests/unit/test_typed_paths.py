"""Typed path segments (`{need_id:uuid}`, `{uscc:uscc}`): a fixed path such as /projects/stats is never
taken for an id, whatever order the routes are mounted in."""

from __future__ import annotations

import importlib

import pytest
from starlette.routing import Match

ID = "0190c0de-0000-7000-8000-000000000001"
USCC = "91130102MA0ABCDE1Y"

CASES = [
    ("needs", "/needs/service-levels", "get_service_levels"),
    ("needs", "/needs/stats", "need_stats"),
    ("needs", f"/needs/{ID}", "get_need"),
    ("projects", "/projects/stats", "project_stats"),
    ("projects", f"/projects/{ID}", "get_project"),
    ("projects", "/organizations/stats", "organization_stats"),
    ("projects", f"/organizations/{USCC}", "get_organization"),
    ("party", "/whistles/stats", "whistle_stats"),
    ("party", f"/whistles/{ID}", "get_whistle"),
    ("charity", "/funds/flows", "fund_flows"),
    ("charity", f"/funds/{ID}", "get_fund"),
    ("volunteers", "/volunteers/stats", "stats"),
    ("volunteers", f"/volunteers/{ID}", "get_volunteer"),
    ("volunteers", "/certificates/verify/ABCD1234", "verify"),
    ("volunteers", f"/certificates/{ID}", "get_certificate"),
]


def flat_routes(app) -> list:
    """Every route of the app with its full path, routers included (FastAPI keeps them nested)."""
    routes = []
    for route in app.router.routes:
        if hasattr(route, "effective_route_contexts"):
            routes += [ctx.starlette_route or ctx.original_route for ctx in route.effective_route_contexts()]
        else:
            routes.append(route)
    return routes


def endpoint_of(routes, path: str) -> str:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return next(route.endpoint.__name__ for route in routes if route.matches(scope)[0] == Match.FULL)


@pytest.mark.parametrize(("service", "path", "endpoint"), CASES)
def test_a_get_reaches_its_own_route_in_either_mounting_order(service, path, endpoint):
    routes = flat_routes(importlib.import_module(f"services.{service}.app").create_app())
    assert endpoint_of(routes, path) == endpoint
    assert endpoint_of(list(reversed(routes)), path) == endpoint
