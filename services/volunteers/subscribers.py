"""Events the volunteers service consumes (contracts/flow.py says what each does)."""

from __future__ import annotations

import asyncpg

from contracts.envelope import Envelope
from contracts.events.needs import NeedRaised
from kit.wiring import Projection, WholeBatch, offer
from services.volunteers import handlers, store


async def on_need_raised(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRaised]]) -> None:
    """Remember what matching will need: area, category, skills, urgency, time window."""
    await store.record_demands(conn, envelopes)


HANDLERS = offer(
    __name__,
    {
        "volunteers-need-raised": WholeBatch(on_need_raised),
        "volunteers-need-routed": handlers.on_need_routed,
        "volunteers-need-feedback": handlers.on_feedback,
        "volunteers-action-dispatched": handlers.on_action_dispatched,
        "volunteers-project-task-requested": handlers.on_project_task_requested,
    },
)

# read models `wushe rebuild volunteers NAME` replays from their stream (deploy/rebuild.py): a pure
# projection's consumer and the tables it writes
PROJECTIONS = {"demands": Projection("volunteers-need-raised", ("demands",), "待匹配的需求 / needs to match")}
