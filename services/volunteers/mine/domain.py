"""Pure rules of the volunteer's own page: which tasks suit them, when a check-in would be taken."""

from __future__ import annotations

from datetime import datetime

from services.volunteers.domain import HourLimits, HoursRefused, check_time


def may_check_in(at: datetime, window_start: datetime | None, window_end: datetime | None, limits: HourLimits) -> bool:
    """Whether a check-in now would be taken: the same rule check_time applies when it is made."""
    try:
        check_time("at", at, at, window_start, window_end, limits)
    except HoursRefused:
        return False
    return True


def matching_skills(required: list[str], offered: list[str]) -> list[str]:
    """The task's skills the volunteer has, in the task's order."""
    have = set(offered)
    return [skill for skill in required if skill in have]
