"""Events 社区吹哨 consumes: a need that passed its first-response deadline blows the whistle."""
from __future__ import annotations

from contracts.events.needs import NeedEscalated
from kit.bus import Subscription
from services.party.whistles import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [Subscription(durable="party-need-escalated", event=NeedEscalated, handle=handlers.on_need_escalated,
                         max_deliver=max_deliver)]
