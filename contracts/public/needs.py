"""Public forms of the needs service's events. No resident at all: a partner sees that a need of a
category arose in a community and how it went, never who has it; target groups (disability,
low income …), skills and every free text stay inside."""

from __future__ import annotations

from contracts.events import needs as ev
from contracts.public.base import public_event

NeedRaised = public_event(
    ev.NeedRaised, ("need_id", "area_code", "category", "urgency", "channel", "window_start", "window_end", "raised_at")
)
NeedRouted = public_event(ev.NeedRouted, ("need_id", "area_code", "route", "category", "urgency", "routed_at"))
NeedEscalated = public_event(
    ev.NeedEscalated, ("need_id", "area_code", "category", "urgency", "raised_at", "due_at", "escalated_at")
)
NeedMatched = public_event(ev.NeedMatched, ("need_id", "area_code", "matched_by", "matched_at"))
NeedResolved = public_event(ev.NeedResolved, ("need_id", "area_code", "resolved_at"))
NeedFeedbackGiven = public_event(ev.NeedFeedbackGiven, ("need_id", "area_code", "satisfaction", "reopened", "given_at"))
NeedReturned = public_event(ev.NeedReturned, ("need_id", "area_code", "returned_at"))

EVENTS = (NeedRaised, NeedRouted, NeedEscalated, NeedMatched, NeedResolved, NeedFeedbackGiven, NeedReturned)
