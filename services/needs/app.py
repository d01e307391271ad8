"""Wiring of the needs service (社区 · 需求库)."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.settings import Settings
from services.needs.api import router


def _load_keys(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)


def create_app() -> FastAPI:
    return create_service_app("needs", title="wushe 需求库 needs", routers=[router], on_start=_load_keys)
