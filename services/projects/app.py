"""Wiring of the projects service (社会组织 · 项目库 projects). It runs with its database, bus connection and outbox
relay; its own capabilities arrive with its issue."""
from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app("projects", title="wushe 社会组织 · 项目库 projects")
