"""The rules of a migrated record: the times and facts each need's outcome states, in order
(services/needs/history/domain.py), and that every stated time is past and within the archive
horizon (contracts.values.PastTime)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.api.charity import DonationHistoryIn
from contracts.values import HISTORY_YEARS, PastTime
from kit.months import LOCAL
from services.needs.history.domain import problems

NOW = datetime.now(LOCAL)
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
    assert problems(record("closed")) == []
    assert problems(record("resolved", feedback_at=None, satisfaction=None)) == []
    returned = record("returned", route=None, resolved_at=None, feedback_at=None, satisfaction=None)
    assert problems(returned) == []
    assert fields(problems(record("resolved"))) == ["feedback_at", "satisfaction"]
    assert fields(problems(record("closed", route=None, feedback_at=None))) == ["feedback_at", "route"]


def test_times_go_forward():
    assert fields(problems(record("closed", resolved_at=T[0] - timedelta(hours=1)))) == ["resolved_at"]
    assert problems(record("closed", first_response_at=T[0])) == []  # answered on the spot


@pytest.mark.parametrize(
    "offset, kind",
    [
        (timedelta(minutes=5), "in_the_future"),
        (-timedelta(days=365 * HISTORY_YEARS + 1), "too_old"),
        (-timedelta(days=365 * HISTORY_YEARS - 1), None),
    ],
)
def test_a_stated_time_is_past_and_within_the_horizon(offset, kind):
    at = datetime.now(LOCAL) + offset  # from now, not from when the module was collected
    if kind is None:
        assert TypeAdapter(PastTime).validate_python(at) == at
    else:
        with pytest.raises(ValidationError) as refused:
            TypeAdapter(PastTime).validate_python(at)
        assert refused.value.errors()[0]["type"] == kind


def test_a_batch_names_each_legacy_ref_once():
    gift = {"legacy_ref": "D-1", "fund_id": str(uuid4()), "donor": {"kind": "anonymous"}, "amount_fen": 100}
    gift["received_at"] = T[0].isoformat()
    assert len(DonationHistoryIn.model_validate({"donations": [gift, gift | {"legacy_ref": "D-2"}]}).donations) == 2
    with pytest.raises(ValidationError) as refused:
        DonationHistoryIn.model_validate({"donations": [gift, gift | {"amount_fen": 200}]})
    [error] = refused.value.errors()
    assert error["loc"] == ("donations",) and "第 1 条与第 0 条" in error["msg"]
