"""Wiring of the party service (党建引领 party). It runs with its database, bus connection and outbox
relay; its own capabilities arrive with its issue."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app("party", title="wushe 党建引领 party")
