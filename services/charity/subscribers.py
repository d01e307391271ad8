"""Events the charity service consumes."""
from __future__ import annotations

from contracts.events.projects import DisbursementRequested, FundingRequested
from kit.bus import Subscription
from services.charity import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [Subscription(durable="charity-funding-requested", event=FundingRequested,
                         handle=handlers.on_funding_requested, max_deliver=max_deliver),
            Subscription(durable="charity-disbursement-requested", event=DisbursementRequested,
                         handle=handlers.on_disbursement_requested, max_deliver=max_deliver)]
