"""Wiring of the charity service (慈善资源)."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.settings import Settings
from services.charity import domain, handlers, subscribers
from services.charity.api import router
from services.charity.disclosure.api import router as disclosure_router
from services.charity.history.api import router as history_router
from services.charity.supermarket import subscribers as supermarket_subscribers
from services.charity.supermarket.api import public_router as public_supermarket_router
from services.charity.supermarket.api import router as supermarket_router

CODE_LISTS = {
    "disbursement_status": domain.DisbursementStatus,
    "fund_kind": domain.FundKind,
}


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)
    await handlers.announce_funds(app.state.pool)  # funds opened before FundOpened existed


def create_app() -> FastAPI:
    return create_service_app(
        "charity",
        title="wushe 慈善资源 charity",
        routers=[history_router, router, supermarket_router, disclosure_router, public_supermarket_router],
        on_start=_start,
        consumers=[subscribers.HANDLERS, supermarket_subscribers.HANDLERS],
        code_lists=CODE_LISTS,
    )
