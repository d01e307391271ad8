"""Events the charity service's funds consume (the love supermarket has its own; contracts/flow.py
says what each does)."""

from __future__ import annotations

from kit.wiring import offer
from services.charity import handlers

HANDLERS = offer(
    __name__,
    {
        "charity-funding-requested": handlers.on_funding_requested,
        "charity-disbursement-requested": handlers.on_disbursement_requested,
    },
)
