"""Wiring of the charity service (慈善资源)."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.settings import Settings, get_settings
from services.charity import handlers
from services.charity.api import router
from services.charity.disclosure.api import router as disclosure_router
from services.charity.subscribers import subscriptions
from services.charity.supermarket.api import public_router as public_supermarket_router
from services.charity.supermarket.api import router as supermarket_router
from services.charity.supermarket.subscribers import subscriptions as supermarket_subscriptions


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)
    await handlers.announce_funds(app.state.pool)  # funds opened before FundOpened existed


def create_app() -> FastAPI:
    max_deliver = get_settings().consumer_max_deliver
    return create_service_app("charity", title="wushe 慈善资源 charity",
                              routers=[router, supermarket_router, disclosure_router, public_supermarket_router],
                              on_start=_start,
                              subscriptions=[*subscriptions(max_deliver), *supermarket_subscriptions(max_deliver)])
