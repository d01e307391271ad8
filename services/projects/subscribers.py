"""Events the projects service consumes (contracts/flow.py says what each does)."""

from __future__ import annotations

from kit.wiring import offer
from services.projects import handlers

HANDLERS = offer(
    __name__,
    {
        "projects-matter-decided": handlers.on_matter_decided,
        "projects-fund-opened": handlers.on_fund_opened,
        "projects-funds-committed": handlers.on_funding_answer,
        "projects-funding-rejected": handlers.on_funding_answer,
        "projects-need-routed": handlers.on_demand,
        "projects-action-dispatched": handlers.on_demand,
    },
)
