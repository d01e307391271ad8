"""Wiring of the projects service (社会组织 · 项目库): the organization registry and service
platforms, the project library and its saga, procurement, delivery and evaluation."""

from __future__ import annotations

from fastapi import FastAPI

from contracts.api.organizations import Grade, LegalType, OrganizationCategory, OrganizationStatus
from kit.app import create_service_app
from kit.schedule import Periodic
from services.projects import domain, handlers, subscribers
from services.projects.api import router
from services.projects.config import projects_settings
from services.projects.delivery import subscribers as delivery_subscribers
from services.projects.delivery.api import router as delivery_router
from services.projects.delivery.domain import MilestoneStatus
from services.projects.procurement.api import router as procurement_router
from services.projects.registry.api import router as registry_router
from services.projects.venture.api import router as venture_router

CODE_LISTS = {
    "project_status": domain.ProjectStatus,
    "milestone_status": MilestoneStatus,
    "funding_status": domain.FundingStatus,
    "funding_source": domain.FundingSource,
    "bid_status": domain.BidStatus,
    "grade": Grade,
    "legal_type": LegalType,
    "organization_status": OrganizationStatus,
    "organization_category": OrganizationCategory,
}


def _deadlines(app: FastAPI) -> Periodic:
    return Periodic(
        "projects-deadlines", projects_settings().check_interval_s, lambda: handlers.close_expired(app.state.pool)
    )


def create_app() -> FastAPI:
    return create_service_app(
        "projects",
        title="wushe 社会组织 · 项目库 projects",
        routers=[registry_router, router, procurement_router, delivery_router, venture_router],
        consumers=[subscribers.HANDLERS, delivery_subscribers.HANDLERS],
        periodic=[_deadlines],
        code_lists=CODE_LISTS,
    )
