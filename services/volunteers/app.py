"""Wiring of the volunteers service (志愿者 + 社工)."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.settings import get_settings
from services.volunteers.api import router
from services.volunteers.subscribers import subscriptions


def create_app() -> FastAPI:
    return create_service_app(
        "volunteers", title="wushe 志愿服务 volunteers", routers=[router],
        subscriptions=subscriptions(get_settings().consumer_max_deliver),
    )
