"""Events the exchange service consumes: from each service's stream, every event that has a public
form (contracts/public), by one consumer per stream so each aggregate's events keep their order."""

from __future__ import annotations

from kit.wiring import offer
from services.exchange import handlers

HANDLERS = offer(
    __name__,
    {
        f"exchange-public-{service}": handlers.publish_public
        for service in ("needs", "volunteers", "projects", "charity", "party")
    },
)
