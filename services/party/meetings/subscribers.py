"""Events joint meetings consume: escalated mediations join the agenda pool; a volunteer accepting a
task, or the projects service proposing a project, for an action a meeting dispatched moves it on."""

from __future__ import annotations

from kit.wiring import offer
from services.party.meetings import handlers

HANDLERS = offer(
    __name__,
    {
        "party-mediation-escalated": handlers.on_mediation_escalated,
        "party-task-accepted": handlers.on_task_accepted,
        "party-project-proposed": handlers.on_project_proposed,
    },
)
