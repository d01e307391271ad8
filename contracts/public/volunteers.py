"""Public forms of the volunteers service's events: service hours by a partner-facing pseudonym of
the volunteer, never the platform's ref or who verified them."""

from __future__ import annotations

from contracts.events import volunteers as ev
from contracts.public.base import public_event

HoursLogged = public_event(
    ev.HoursLogged,
    ("log_id", "task_id", "need_id", "area_code", "minutes", "logged_at"),
    pseudonyms={"volunteer": "volunteer_ref"},
)
HoursVerified = public_event(
    ev.HoursVerified,
    ("log_id", "task_id", "need_id", "area_code", "minutes", "verified_at"),
    pseudonyms={"volunteer": "volunteer_ref"},
)

EVENTS = (HoursLogged, HoursVerified)
