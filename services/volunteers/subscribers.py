"""Events the volunteers service consumes."""
from __future__ import annotations

import asyncpg

from contracts.envelope import Envelope
from contracts.events.needs import NeedFeedbackGiven, NeedRaised, NeedRouted
from contracts.events.party import ActionDispatched
from contracts.events.projects import VolunteerTaskRequested
from kit.bus import Subscription
from services.volunteers import handlers, store


async def on_need_raised(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRaised]]) -> None:
    """Remember what matching will need: area, category, skills, urgency, time window."""
    await store.record_demands(conn, envelopes)


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [
        Subscription(durable="volunteers-need-raised", event=NeedRaised, handle=on_need_raised, max_deliver=max_deliver,
                     whole_batch=True),
        Subscription(durable="volunteers-need-routed", event=NeedRouted, handle=handlers.on_need_routed,
                     max_deliver=max_deliver),
        Subscription(durable="volunteers-need-feedback", event=NeedFeedbackGiven, handle=handlers.on_feedback,
                     max_deliver=max_deliver),
        Subscription(durable="volunteers-action-dispatched", event=ActionDispatched,
                     handle=handlers.on_action_dispatched, max_deliver=max_deliver),
        Subscription(durable="volunteers-project-task-requested", event=VolunteerTaskRequested,
                     handle=handlers.on_project_task_requested, max_deliver=max_deliver),
    ]
