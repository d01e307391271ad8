"""Pure rules of migrating an earlier system's needs: which facts and times an ended need states,
and in which order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

HISTORY_YEARS = 10  # an earlier system's records older than this are archives, not history to show
# the times each outcome states, in the order they happened
TIMES = {
    "returned": ("raised_at", "first_response_at"),
    "resolved": ("raised_at", "first_response_at", "resolved_at"),
    "closed": ("raised_at", "first_response_at", "resolved_at", "feedback_at"),
}
FACTS = {"returned": (), "resolved": ("route",), "closed": ("route", "satisfaction")}
OPTIONAL = ("resolved_at", "feedback_at", "route", "satisfaction")


def problems(record: Mapping[str, object], now: datetime) -> list[tuple[str, str]]:
    """(field, message) for each way a migrated need's record cannot be how a need ended: a time or
    fact its outcome has missing, one it has not given, a time out of order or in the future."""
    outcome = str(record["outcome"])
    times, facts = TIMES[outcome], FACTS[outcome]
    found = [(f, "须填写 / required for this outcome") for f in (*times, *facts) if record.get(f) is None]
    found += [
        (f, "此结果不应填写 / not part of this outcome")
        for f in OPTIONAL
        if f not in times and f not in facts and record.get(f) is not None
    ]
    stated: list[tuple[str, datetime]] = [(f, record[f]) for f in times if record.get(f) is not None]  # type: ignore[misc]
    for (_, earlier), (field, later) in zip(stated, stated[1:], strict=False):
        if later < earlier:
            found.append((field, "早于上一步 / earlier than the step before it"))
    found += [(f, "晚于当前时间 / in the future") for f, at in stated if at > now]
    if stated and stated[0][1] < now - timedelta(days=365 * HISTORY_YEARS):
        found.append(("raised_at", f"早于 {HISTORY_YEARS} 年前 / more than {HISTORY_YEARS} years ago"))
    return found
