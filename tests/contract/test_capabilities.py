"""The role table (GET /api/v1/me/capabilities) is read from the routes' own `require(...)`: change a
route's roles and the table follows; every operation a console section needs exists in the facade;
and what the document says a route admits is what the route does admit."""

from __future__ import annotations

import importlib
from functools import cache

import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from contracts.subjects import SERVICES
from kit import problems
from kit.auth import Caller, Principal, Role, principal, require
from services.gateway.capabilities import SECTIONS, derive, table


def needs_service(*roles: Role) -> FastAPI:
    """A stand-in needs service: GET /needs and POST /needs for `roles`, GET /needs/stats for any caller."""
    app = FastAPI()
    problems.install(app)  # a refusal answers 403, as in every service
    allowed = Depends(require(*roles))

    @app.get("/needs")
    async def listing(who: Principal = allowed) -> list:
        return []

    @app.post("/needs")
    async def raise_one(who: Principal = allowed) -> dict:
        return {}

    @app.get("/needs/stats")
    async def stats(who: Caller) -> dict:
        return {}

    return app


def test_a_role_added_to_a_routes_require_changes_the_table():
    before = derive({}, {"needs": needs_service(Role.SOCIAL_WORKER).openapi()})
    after = derive({}, {"needs": needs_service(Role.SOCIAL_WORKER, Role.GRID_WORKER).openapi()})
    assert before["GET /needs"] == {Role.SOCIAL_WORKER}
    assert after["GET /needs"] == {Role.SOCIAL_WORKER, Role.GRID_WORKER}
    assert "GET /needs" not in table(Role.GRID_WORKER, before).operations
    assert "GET /needs" in table(Role.GRID_WORKER, after).operations
    assert "needs" not in {s.key for s in table(Role.GRID_WORKER, before).sections if s.open}
    assert "needs" in {s.key for s in table(Role.GRID_WORKER, after).sections if s.open}
    # a route any signed-in caller may use admits every role
    assert before["GET /needs/stats"] == frozenset(Role)


def test_an_operation_the_gateway_declares_and_passes_on_needs_both_to_agree():
    gateway = FastAPI()

    @gateway.post("/api/v1/needs")
    async def raise_need(who: Caller) -> dict:
        return {}

    @gateway.get("/api/v1/views/dashboard")
    async def dashboard(who: Caller) -> dict:
        return {}

    rules = derive(gateway.openapi(), {"needs": needs_service(Role.RESIDENT).openapi()})
    assert rules["POST /needs"] == {Role.RESIDENT}
    assert rules["GET /views/dashboard"] == frozenset(Role)


def test_the_table_answers_what_the_route_enforces():
    """Call the stand-in's route as each role: it answers 200 exactly for the roles the table gives."""
    app = needs_service(Role.SOCIAL_WORKER, Role.PARTY_SECRETARY)
    rules = derive({}, {"needs": app.openapi()})
    client = TestClient(app)
    for role in Role:
        app.dependency_overrides[principal] = lambda role=role: Principal(sub="t", role=role, area="130102")
        status = client.get("/needs").status_code
        assert (status == 200) == (role in rules["GET /needs"]), (role, status)


@cache
def app_of(name: str) -> FastAPI:
    return importlib.import_module(f"services.{name}.app").create_app()


@cache
def facade_rules() -> dict:
    return derive(app_of("gateway").openapi(), {name: app_of(name).openapi() for name in SERVICES})


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.requires], ids=lambda s: s.key)
def test_every_operation_a_section_needs_exists_and_can_be_asked_as_it_is(section):
    rules = facade_rules()
    for group in section.requires:
        for operation in group:
            assert operation in rules, f"{section.key}: {operation} is no operation of the facade"
            method, path = operation.split(" ")
            assert method == "GET" and "{" not in path, f"{section.key}: {operation} is not a plain GET"


def test_every_role_opens_the_workbench_and_the_public_page():
    rules = facade_rules()
    for role in Role:
        assert {"home", "public"} <= {s.key for s in table(role, rules).sections if s.open}


def routes_of(routes) -> list[APIRoute]:
    """Every APIRoute of an app, those of its included routers too."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += routes_of(route.original_router.routes)
    return found


def checks_in(dependant) -> int:
    """How many require(...) checks a route's dependency tree holds."""
    own = int(getattr(dependant.call, "__qualname__", "").startswith("require.<locals>."))
    return own + sum(checks_in(d) for d in dependant.dependencies)


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_no_route_holds_two_role_checks(name):
    """FastAPI lists the roles of all of a route's checks as one union in its document; a route with
    two checks would admit only their intersection, so the table would promise too much."""
    routes = routes_of(app_of(name).routes)
    assert any(checks_in(route.dependant) == 1 for route in routes), "no require() found: the walk is broken"
    assert [route.path for route in routes if checks_in(route.dependant) > 1] == []
