"""Wiring of the charity service (慈善资源)."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.settings import Settings, get_settings
from services.charity.api import router
from services.charity.subscribers import subscriptions


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)


def create_app() -> FastAPI:
    return create_service_app("charity", title="wushe 慈善资源 charity", routers=[router], on_start=_start,
                              subscriptions=subscriptions(get_settings().consumer_max_deliver))
