"""Events the party service's matters consume (whistles and meetings have their own)."""
from __future__ import annotations

from contracts.events.projects import ProjectReviewRequested
from kit.bus import Subscription
from services.party import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [Subscription(durable="party-project-review", event=ProjectReviewRequested,
                         handle=handlers.on_review_requested, max_deliver=max_deliver)]
