"""Events joint meetings consume: escalated mediations join the agenda pool; a volunteer accepting a
task, or the projects service proposing a project, for an action a meeting dispatched moves it on."""
from __future__ import annotations

from contracts.events.needs import MediationEscalated
from contracts.events.projects import ProjectProposed
from contracts.events.volunteers import TaskAccepted
from kit.bus import Subscription
from services.party.meetings import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [
        Subscription(durable="party-mediation-escalated", event=MediationEscalated,
                     handle=handlers.on_mediation_escalated, max_deliver=max_deliver),
        Subscription(durable="party-task-accepted", event=TaskAccepted, handle=handlers.on_task_accepted,
                     max_deliver=max_deliver),
        Subscription(durable="party-project-proposed", event=ProjectProposed, handle=handlers.on_project_proposed,
                     max_deliver=max_deliver),
    ]
