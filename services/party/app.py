"""Wiring of the party service (党建引领): organizations and members, major-matter review, whistles
and small wishes, joint meetings."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from kit.crypto import load_keyring
from kit.schedule import Periodic
from kit.settings import Settings
from services.party import domain, handlers, subscribers
from services.party.api import router
from services.party.config import party_settings
from services.party.meetings import domain as meetings
from services.party.meetings import handlers as meeting_handlers
from services.party.meetings import subscribers as meeting_subscribers
from services.party.meetings.api import router as meetings_router
from services.party.whistles import domain as whistles
from services.party.whistles import handlers as whistle_handlers
from services.party.whistles import subscribers as whistle_subscribers
from services.party.whistles.api import router as whistles_router

CODE_LISTS = {
    "matter_kind": domain.MatterKind,
    "submitted_matter_kind": domain.SUBMITTED_KINDS,
    "matter_status": domain.MatterStatus,
    "decision_outcome": domain.Outcome,
    "whistle_status": whistles.WhistleStatus,
    "wish_status": whistles.WishStatus,
    "meeting_status": meetings.MeetingStatus,
    "meeting_actor": meetings.REQUIRED_ACTORS,  # the four who must sit with the community and party
    "action_kind": meetings.ActionKind,
    "action_status": meetings.ActionStatus,
}


async def _start(app: FastAPI, settings: Settings) -> None:
    app.state.keyring = load_keyring(settings.keyring_file)


def _deadlines(app: FastAPI) -> Periodic:
    """Overdue matters and unanswered whistles go up to the township; late actions are flagged."""

    async def check() -> None:
        await handlers.escalate_overdue_matters(app.state.pool)
        await whistle_handlers.escalate_unanswered(app.state.pool)
        await meeting_handlers.flag_overdue_actions(app.state.pool)

    return Periodic("party-deadlines", party_settings().check_interval_s, check)


def create_app() -> FastAPI:
    return create_service_app(
        "party",
        title="wushe 党建引领 party",
        routers=[router, whistles_router, meetings_router],
        on_start=_start,
        consumers=[subscribers.HANDLERS, whistle_subscribers.HANDLERS, meeting_subscribers.HANDLERS],
        periodic=[_deadlines],
        code_lists=CODE_LISTS,
    )
