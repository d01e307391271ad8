"""Events the party service's matters consume (whistles and meetings have their own)."""

from __future__ import annotations

from kit.wiring import offer
from services.party import handlers

HANDLERS = offer(__name__, {"party-project-review": handlers.on_review_requested})
