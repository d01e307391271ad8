"""Events the love supermarket consumes: time-bank credits exchanged for points (积分互兑), and the
registrations (and needs) that tell it which volunteers and residents exist."""
from __future__ import annotations

from functools import partial

from contracts.events.needs import NeedRaised, ResidentRegistered
from contracts.events.timebank import CreditsExchanged
from contracts.events.volunteers import VolunteerRegistered
from kit.bus import Subscription
from services.charity.supermarket import service


def subscriptions(max_deliver: int, settings: service.SupermarketSettings | None = None) -> list[Subscription]:
    """`settings` default to the environment (WUSHE_SUPERMARKET_POINTS_PER_CREDIT), read once here."""
    handle = partial(service.on_credits_exchanged, settings=settings or service.supermarket_settings())
    return [Subscription(durable="charity-credits-exchanged", event=CreditsExchanged, handle=handle,
                         max_deliver=max_deliver),
            *(Subscription(durable=f"charity-holders-{event.event_name().replace('_', '-')}", event=event,
                           handle=service.on_holder_seen, max_deliver=max_deliver)
              for event in (VolunteerRegistered, ResidentRegistered, NeedRaised))]
