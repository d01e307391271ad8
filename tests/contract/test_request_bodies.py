"""Every request body of every service and the gateway is a `Strict` contract, so each one refuses
unknown fields, control and invisible characters and integers past what a client can hold."""

from __future__ import annotations

import importlib

import pytest
from fastapi.routing import APIRoute

from contracts.api import Strict

APPS = ("needs", "volunteers", "projects", "charity", "party", "exchange", "gateway")


def api_routes(routes) -> list[APIRoute]:
    """Every APIRoute, inside included routers too (FastAPI keeps those behind `original_router`)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


@pytest.mark.parametrize("name", APPS)
def test_every_request_body_is_strict(name):
    app = importlib.import_module(f"services.{name}.app").create_app()
    bodies = {
        (route.path, param.field_info.annotation)
        for route in api_routes(app.routes)
        for param in route.dependant.body_params
    }
    assert bodies, "no request body found: the route walk is broken"
    loose = [(path, model) for path, model in bodies if not (isinstance(model, type) and issubclass(model, Strict))]
    assert loose == []
