"""Wiring of the gateway: the one door for people and portals."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI

from kit.app import create_app as create_kit_app
from kit.settings import Settings
from services.gateway.api import intake, open311, router
from services.gateway.audit import router as audit_router
from services.gateway.cache import ChangeFeed, Generations, KeptViews, ViewCache
from services.gateway.capabilities import router as capabilities_router
from services.gateway.console.console import router as console_router
from services.gateway.openapi import router as openapi_router
from services.gateway.status import router as status_router
from services.gateway.upstream import UPSTREAMS, create_upstreams
from services.gateway.views import router as views_router


async def _lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    generations = Generations(UPSTREAMS)
    app.state.upstreams = create_upstreams(settings, generations)
    app.state.code_lists = {}  # each service's, as it last served them (upstream.service_code_lists)
    half = int(settings.view_cache_mb * 1024 * 1024) // 2  # the bound of both together
    app.state.views = ViewCache("views", generations, settings.view_cache_ttl_s, half)
    app.state.answers = ViewCache("answers", generations, settings.view_cache_ttl_s, half)
    changes = ChangeFeed(settings.nats_servers, generations)
    changes.start()
    try:
        yield
    finally:
        await changes.stop()
        for upstream in app.state.upstreams.values():
            await upstream.close()


def create_app() -> FastAPI:
    app = create_kit_app(
        "gateway",
        title="wushe 五社联动 API",
        lifespan=_lifespan,
        routers=[
            intake,  # first: the busiest write, matched before any other route
            console_router,
            openapi_router,
            capabilities_router,
            views_router,
            audit_router,
            status_router,
            router,  # last but open311: its pass-through takes every /api/v1 path not matched before
            open311,
        ],
    )
    app.add_middleware(KeptViews)  # added last: outside the other middleware, so a kept answer skips them
    return app
