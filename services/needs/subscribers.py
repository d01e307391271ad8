"""Events the needs service consumes: the providers' steps for its needs."""
from __future__ import annotations

from contracts.events.charity import DonationEarmarked, FundsDisbursed
from contracts.events.projects import ProjectProcured
from contracts.events.volunteers import HoursVerified, TaskAccepted
from kit.bus import Subscription
from services.needs.handlers import on_provider_events

PROVIDER_EVENTS = (TaskAccepted, HoursVerified, ProjectProcured, DonationEarmarked, FundsDisbursed)


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [Subscription(durable=f"needs-{event.event_name().replace('_', '-')}", event=event,
                         handle=on_provider_events, max_deliver=max_deliver) for event in PROVIDER_EVENTS]
