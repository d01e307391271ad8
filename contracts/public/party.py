"""Public forms of the party service's events: decisions by their vote counts, whistles by how fast
they were answered; no member, no reasons, no free text."""

from __future__ import annotations

from contracts.events import party as ev
from contracts.public.base import public_event

MatterDecided = public_event(
    ev.MatterDecided,
    (
        "matter_id",
        "source",
        "project_id",
        "area_code",
        "outcome",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "committee_size",
        "need_ids",
        "decided_at",
    ),
)
WhistleBlown = public_event(
    ev.WhistleBlown,
    (
        "whistle_id",
        "area_code",
        "source",
        "need_id",
        "category",
        "urgency",
        "dispatched_members",
        "dispatched_units",
        "respond_by",
        "blown_at",
    ),
)
WhistleClosed = public_event(
    ev.WhistleClosed, ("whistle_id", "area_code", "need_id", "first_response_seconds", "satisfaction", "closed_at")
)

EVENTS = (MatterDecided, WhistleBlown, WhistleClosed)
