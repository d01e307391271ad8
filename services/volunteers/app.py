"""Wiring of the volunteers service (志愿者 + 社工)."""

from __future__ import annotations

from fastapi import FastAPI

from contracts.api.timebank import Relation
from contracts.api.volunteers import SocialWorkerLevel
from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.settings import Settings
from services.volunteers import domain, subscribers
from services.volunteers.api import router
from services.volunteers.certificates.api import router as certificates_router
from services.volunteers.mine.api import router as mine_router
from services.volunteers.organization.api import router as organization_router
from services.volunteers.timebank.api import router as timebank_router
from services.volunteers.timebank.config import TimebankSettings
from services.volunteers.timebank.domain import TxnKind

CODE_LISTS = {
    "task_status": domain.TaskStatus,
    "task_source": domain.TaskSource,
    "assignment_status": domain.AssignmentStatus,
    "log_status": domain.LogStatus,
    "provenance": domain.Provenance,
    "timebank_kind": TxnKind,
    "social_worker_level": SocialWorkerLevel,
    "family_relation": Relation,
}


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)
    app.state.timebank_settings = TimebankSettings()


def create_app() -> FastAPI:
    return create_service_app(
        "volunteers",
        title="wushe 志愿服务 volunteers",
        # organization and mine first: /volunteers/stats and /volunteers/me before /volunteers/{id}
        routers=[organization_router, mine_router, router, timebank_router, certificates_router],
        on_start=_start,
        consumers=[subscribers.HANDLERS],
        code_lists=CODE_LISTS,
    )
