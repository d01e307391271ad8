"""Events the needs service consumes: the providers' steps for its needs (contracts.flow.TIMELINE_STEPS)."""

from __future__ import annotations

from contracts.flow import consumers_of
from kit.wiring import offer
from services.needs.handlers import on_provider_events

HANDLERS = offer(__name__, {c.durable: on_provider_events for c in consumers_of("needs")})
