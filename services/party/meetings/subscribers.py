"""Events joint meetings consume: escalated mediations join the agenda pool; a volunteer accepting a
task a meeting dispatched moves its action on."""
from __future__ import annotations

from contracts.events.needs import MediationEscalated
from contracts.events.volunteers import TaskAccepted
from kit.bus import Subscription
from services.party.meetings import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [
        Subscription(durable="party-mediation-escalated", event=MediationEscalated,
                     handle=handlers.on_mediation_escalated, max_deliver=max_deliver),
        Subscription(durable="party-task-accepted", event=TaskAccepted, handle=handlers.on_task_accepted,
                     max_deliver=max_deliver),
    ]
