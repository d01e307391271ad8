"""Events the needs service consumes: the providers' steps for its needs."""
from __future__ import annotations

from kit.bus import Subscription
from services.needs.handlers import ACTORS, on_provider_events

PROVIDER_EVENTS = tuple(ACTORS)  # every other service's step that names one of our needs


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [Subscription(durable=f"needs-{event.event_name().replace('_', '-')}", event=event,
                         handle=on_provider_events, max_deliver=max_deliver) for event in PROVIDER_EVENTS]
