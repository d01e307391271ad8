"""Pure rules of migrating an earlier system's needs: which facts and times an ended need states,
and in which order (that each is past, and not too long ago, is the contract's PastTime)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

# the times each outcome states, in the order they happened
TIMES = {
    "returned": ("raised_at", "first_response_at"),
    "resolved": ("raised_at", "first_response_at", "resolved_at"),
    "closed": ("raised_at", "first_response_at", "resolved_at", "feedback_at"),
}
FACTS = {"returned": (), "resolved": ("route",), "closed": ("route", "satisfaction")}
OPTIONAL = ("resolved_at", "feedback_at", "route", "satisfaction")


def problems(record: Mapping[str, object]) -> list[tuple[str, str]]:
    """(field, message) for each way a migrated need's record cannot be how a need ended: a time or
    fact its outcome has missing, one it has not, a time earlier than the step before it."""
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
    return found
