"""Events the portal callbacks consume: the needs' lifecycle, in the stream's order."""

from __future__ import annotations

from kit.wiring import offer
from services.exchange.portals import handlers

HANDLERS = offer(__name__, {"exchange-portal-progress": handlers.relay})
