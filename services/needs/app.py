"""Wiring of the needs service (社区 · 需求库)."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.schedule import Periodic
from kit.settings import Settings
from services.needs import domain, handlers, subscribers
from services.needs.api import intake, level_defaults, router
from services.needs.config import needs_settings
from services.needs.history.api import router as history_router
from services.needs.levels.api import router as levels_router
from services.needs.mine.api import router as mine_router
from services.needs.residents.api import router as residents_router
from services.needs.taxonomy import Taxonomy
from services.needs.work_orders.api import open311
from services.needs.work_orders.api import router as work_orders_router

CODE_LISTS = {
    "need_status": domain.Status,
    "need_action": domain.Action,
    "timeline_kind": domain.TimelineKind,
    "linkage_actor": domain.LinkageActor,
}


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)
    app.state.taxonomy = Taxonomy(app.state.pool)
    app.state.intake = handlers.grouped_intake(app.state.pool, level_defaults)
    await app.state.taxonomy.seed()


def _sla_check(app: FastAPI) -> Periodic:
    return Periodic(
        "sla-escalation", needs_settings().sla_check_interval_s, lambda: handlers.escalate_overdue(app.state.pool)
    )


def create_app() -> FastAPI:
    return create_service_app(
        "needs",
        title="wushe 需求库 needs",
        routers=[
            intake,
            work_orders_router,
            open311,
            mine_router,
            history_router,
            router,
            residents_router,
            levels_router,
        ],
        on_start=_start,
        consumers=[subscribers.HANDLERS],
        periodic=[_sla_check],
        code_lists=CODE_LISTS,
    )
