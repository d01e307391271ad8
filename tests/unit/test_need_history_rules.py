"""The rule of a migrated need's record (services/needs/history/domain.py): the times and facts
each outcome states, in order, none in the future or beyond the archive horizon."""

from __future__ import annotations

from datetime import datetime, timedelta

from kit.months import LOCAL
from services.needs.history.domain import HISTORY_YEARS, problems

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=LOCAL)
T = [NOW - timedelta(days=d) for d in (30, 29, 20, 19)]


def record(outcome: str, **changes) -> dict:
    full = {
        "outcome": outcome,
        "raised_at": T[0],
        "first_response_at": T[1],
        "resolved_at": T[2],
        "feedback_at": T[3],
        "route": "volunteer_task",
        "satisfaction": 5,
    }
    return full | changes


def fields(found) -> list[str]:
    return [field for field, _ in found]


def test_each_outcome_states_its_own_times_and_facts():
    assert problems(record("closed"), NOW) == []
    assert problems(record("resolved", feedback_at=None, satisfaction=None), NOW) == []
    returned = record("returned", route=None, resolved_at=None, feedback_at=None, satisfaction=None)
    assert problems(returned, NOW) == []
    assert fields(problems(record("resolved"), NOW)) == ["feedback_at", "satisfaction"]
    assert fields(problems(record("closed", route=None, feedback_at=None), NOW)) == ["feedback_at", "route"]


def test_times_go_forward_and_stay_in_the_past():
    assert fields(problems(record("closed", resolved_at=T[0] - timedelta(hours=1)), NOW)) == ["resolved_at"]
    later = record("closed", feedback_at=NOW + timedelta(minutes=1))
    assert fields(problems(later, NOW)) == ["feedback_at"]
    ancient = {
        k: v - timedelta(days=365 * HISTORY_YEARS) if k.endswith("_at") and v else v
        for k, v in record("closed").items()
    }
    assert fields(problems(ancient, NOW)) == ["raised_at"]
    same_moment = record("closed", first_response_at=T[0])
    assert problems(same_moment, NOW) == []  # answered on the spot
