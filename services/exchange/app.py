"""Wiring of the exchange service (数据交换): the public form of the platform's events, partners,
the events API and outbound webhooks (their delivery worker runs with the service)."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.schedule import Periodic
from services.exchange import handlers, subscribers
from services.exchange.api import router
from services.exchange.config import exchange_settings
from services.exchange.portals import subscribers as portal_subscribers
from services.exchange.portals.api import router as portals_router
from services.exchange.webhooks import handlers as webhooks
from services.exchange.webhooks.api import oversight
from services.exchange.webhooks.api import router as webhooks_router
from services.exchange.webhooks.config import webhook_settings
from services.exchange.webhooks.handlers import DeliveryWorker


def _retention(app: FastAPI) -> Periodic:
    """Public events past retention leave the events API (the PUBLIC stream keeps its own limits);
    closed webhook deliveries leave the log after WUSHE_EXCHANGE_WEBHOOK_KEEP_DAYS."""

    async def prune() -> None:
        await handlers.prune_expired(app.state.pool)
        await webhooks.prune_deliveries(app.state.pool)

    return Periodic("exchange-retention", exchange_settings().prune_interval_s, prune)


def _webhooks(app: FastAPI) -> DeliveryWorker:
    """Posts the queued deliveries of every subscription (several replicas share the work)."""
    return DeliveryWorker(app.state.pool, webhook_settings(), app.state.settings)


def create_app() -> FastAPI:
    return create_service_app(
        "exchange",
        title="wushe 数据交换 exchange",
        routers=[router, webhooks_router, oversight, portals_router],
        consumers=[subscribers.HANDLERS, portal_subscribers.HANDLERS],
        periodic=[_retention, _webhooks],
    )
