"""Pure rules of the needs service: the need's state machine, SLA and revisit rules, masking.
No servers, no I/O: plain values and a clock passed in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from contracts.taxonomy import Urgency
from services.needs.domain import (
    LINKAGE_ACTORS,
    OPEN,
    PRECONDITIONS,
    RESOLVED,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Linkage,
    ServiceLevels,
    Status,
    feedback_action,
    is_overdue,
    linkage,
    linkage_by_community,
    mask_name,
    resolution_rate,
    transition,
)
from services.needs.domain import allows as domain_allows

SHANGHAI = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")

# --- the state machine, driven by random action sequences -----------------------------------


class NeedLifecycle(RuleBasedStateMachine):
    """A need starts RAISED; every step tries any action. TRANSITIONS is the model; the history of
    successful moves (action, from, to) is kept to check rules about how a state was reached."""

    @initialize()
    def raise_need(self) -> None:
        self.status = Status.RAISED
        self.history: list[tuple[Action, Status, Status]] = []
        self.assessed = False

    @rule(action=st.sampled_from(Action))
    def act(self, action: Action) -> None:
        before = self.status
        if (before, action) in TRANSITIONS:
            after = transition(before, action)
            assert after == TRANSITIONS[(before, action)]
            self.history.append((action, before, after))
            self.status = after
            if action is Action.ASSESS:
                self.assessed = True
        else:
            with pytest.raises(IllegalTransition) as caught:
                transition(before, action)
            assert PRECONDITIONS[action] in str(caught.value)
            assert caught.value.status is before
            assert caught.value.action is action
            assert self.status is before  # a refused action leaves the need where it was

    @invariant()
    def status_is_a_status(self) -> None:
        assert isinstance(self.status, Status)

    @invariant()
    def history_is_a_chain(self) -> None:
        current = Status.RAISED
        for _action, before, after in self.history:
            assert before is current
            current = after
        assert current is self.status

    @invariant()
    def closed_only_by_satisfied_feedback_or_settlement(self) -> None:
        for action, _before, after in self.history:
            if after is Status.CLOSED:
                assert action in (Action.FEEDBACK_SATISFIED, Action.SETTLE)

    @invariant()
    def resolved_only_by_resolve(self) -> None:
        for action, _before, after in self.history:
            if after is Status.RESOLVED:
                assert action is Action.RESOLVE

    @invariant()
    def nothing_happens_before_the_assessment(self) -> None:
        if not self.assessed:
            assert self.status not in (Status.MATCHED, Status.RESOLVED, Status.CLOSED)
            assert self.status in (Status.RAISED, Status.RETURNED)
        # and the first successful move of any need is its assessment, or its return (退单)
        if self.history:
            assert self.history[0][0] in (Action.ASSESS, Action.RETURN)

    @invariant()
    def returned_only_before_routing_and_for_good(self) -> None:
        for i, (action, before, after) in enumerate(self.history):
            if after is Status.RETURNED:
                assert action is Action.RETURN and before in (Status.RAISED, Status.REOPENED)
                assert i == len(self.history) - 1  # nothing moves a returned need

    @invariant()
    def reopened_only_after_unsatisfied_feedback(self) -> None:
        for action, before, after in self.history:
            if after is Status.REOPENED:
                assert action is Action.FEEDBACK_UNSATISFIED
                assert before is Status.RESOLVED

    @invariant()
    def reopened_need_must_be_assessed_again(self) -> None:
        if self.status is Status.REOPENED:
            for action in Action:
                if action is Action.ASSESS:
                    assert transition(Status.REOPENED, action) is Status.ROUTED
                elif action is Action.RETURN:
                    assert transition(Status.REOPENED, action) is Status.RETURNED
                else:
                    with pytest.raises(IllegalTransition):
                        transition(Status.REOPENED, action)
        for (_a, _b, after), (next_action, _nb, _na) in zip(self.history, self.history[1:], strict=False):
            if after is Status.REOPENED:
                assert next_action in (Action.ASSESS, Action.RETURN)

    @invariant()
    def open_matches_the_status(self) -> None:
        # a need is open unless it is resolved (awaiting feedback), closed or returned
        assert (self.status in OPEN) == (self.status not in (Status.RESOLVED, Status.CLOSED, Status.RETURNED))


NeedLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestNeedLifecycle = NeedLifecycle.TestCase


# --- the transition table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [(s, a, t) for (s, a), t in TRANSITIONS.items()],
    ids=lambda v: getattr(v, "value", None),
)
def test_every_listed_transition_works(status, action, target):
    assert transition(status, action) is target
    assert isinstance(target, Status)


def test_the_lifecycle_paths():
    """The documented paths, spelled out independently of TRANSITIONS."""

    def run(*actions: Action) -> Status:
        status = Status.RAISED
        for action in actions:
            status = transition(status, action)
        return status

    A = Action
    assert run(A.ASSESS, A.MATCH, A.RESOLVE, A.FEEDBACK_SATISFIED) is Status.CLOSED
    assert run(A.ASSESS, A.RESOLVE, A.FEEDBACK_SATISFIED) is Status.CLOSED  # settled outside the platform
    assert run(A.ASSESS, A.MATCH, A.RESOLVE, A.FEEDBACK_UNSATISFIED) is Status.REOPENED
    assert run(A.ASSESS, A.MATCH, A.RESOLVE, A.FEEDBACK_UNSATISFIED, A.ASSESS, A.MATCH) is Status.MATCHED
    assert run(A.ASSESS, A.RESOLVE, A.DISPUTE, A.SETTLE) is Status.CLOSED
    assert run(A.ASSESS, A.RESOLVE, A.FEEDBACK_SATISFIED, A.DISPUTE, A.SETTLE) is Status.CLOSED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.RAISED, Action.RESOLVE),
        (Status.CLOSED, Action.ASSESS),
        (Status.ROUTED, Action.FEEDBACK_SATISFIED),
        (Status.MATCHED, Action.MATCH),
        (Status.REOPENED, Action.MATCH),
        (Status.DISPUTED, Action.FEEDBACK_SATISFIED),
    ],
    ids=lambda v: v.value,
)
def test_illegal_transitions_raise_with_status_and_action(status, action):
    assert (status, action) not in TRANSITIONS
    with pytest.raises(IllegalTransition) as caught:
        transition(status, action)
    assert caught.value.status is status
    assert caught.value.action is action
    assert PRECONDITIONS[action] in str(caught.value)


def test_every_pair_is_either_listed_or_refused():
    for status in Status:
        for action in Action:
            if (status, action) in TRANSITIONS:
                assert transition(status, action) is TRANSITIONS[(status, action)]
            else:
                with pytest.raises(IllegalTransition):
                    transition(status, action)


def test_the_table_only_uses_members():
    for (status, action), target in TRANSITIONS.items():
        assert isinstance(status, Status) and isinstance(action, Action) and isinstance(target, Status)
    assert OPEN <= set(Status)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_every_action_has_a_bilingual_precondition(action):
    text = PRECONDITIONS[action]
    assert CJK.search(text), text
    assert " / " in text
    zh, en = text.split(" / ", 1)
    assert CJK.search(zh) and en.strip() and not CJK.search(en)


# --- 群众评判: feedback score to action ---------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "action"),
    [
        (1, Action.FEEDBACK_UNSATISFIED),
        (2, Action.FEEDBACK_UNSATISFIED),
        (3, Action.FEEDBACK_SATISFIED),
        (4, Action.FEEDBACK_SATISFIED),
        (5, Action.FEEDBACK_SATISFIED),
    ],
)
def test_feedback_action(score, action):
    assert feedback_action(score) is action


@pytest.mark.parametrize("score", [0, 6, -1, 100])
def test_feedback_out_of_range_is_refused(score):
    with pytest.raises(ValueError):
        feedback_action(score)


# --- SLA and revisits, with a given clock ------------------------------------------------------

LEVELS = ServiceLevels.from_hours(24, 72, 168, 7, 30)
RAISED_AT = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def test_from_hours_builds_the_levels():
    assert LEVELS.first_response == {
        Urgency.URGENT: timedelta(hours=24),
        Urgency.MAJOR: timedelta(hours=72),
        Urgency.ROUTINE: timedelta(days=7),
    }
    assert LEVELS.revisit_after == timedelta(days=7)
    assert LEVELS.proactive_visit_after == timedelta(days=30)


def test_urgent_need_is_due_in_24_hours_and_overdue_only_after():
    due = LEVELS.first_response_due(RAISED_AT, Urgency.URGENT)
    assert due == datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
    assert not is_overdue(Status.RAISED, due, RAISED_AT)
    assert not is_overdue(Status.RAISED, due, due)  # exactly at the deadline is still in time
    assert is_overdue(Status.RAISED, due, due + timedelta(seconds=1))
    assert is_overdue(Status.RAISED, due, due + timedelta(days=30))


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.RAISED], ids=lambda s: s.value)
def test_only_a_raised_need_can_be_overdue(status):
    due = LEVELS.first_response_due(RAISED_AT, Urgency.URGENT)
    for now in (due, due + timedelta(seconds=1), due + timedelta(days=365)):
        assert not is_overdue(status, due, now)


def test_major_and_routine_deadlines():
    assert LEVELS.first_response_due(RAISED_AT, Urgency.MAJOR) == RAISED_AT + timedelta(hours=72)
    assert LEVELS.first_response_due(RAISED_AT, Urgency.MAJOR) == datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI)
    assert LEVELS.first_response_due(RAISED_AT, Urgency.ROUTINE) == datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("code", "urgency"), [("urgent", Urgency.URGENT), ("major", Urgency.MAJOR), ("routine", Urgency.ROUTINE)]
)
def test_urgency_as_a_plain_string(code, urgency):
    assert LEVELS.first_response_due(RAISED_AT, code) == LEVELS.first_response_due(RAISED_AT, urgency)


def test_unknown_urgency_is_refused():
    with pytest.raises(ValueError):
        LEVELS.first_response_due(RAISED_AT, "whenever")


def test_revisit_is_seven_days_after_resolution():
    resolved_at = datetime(2026, 11, 28, 15, 30, tzinfo=SHANGHAI)
    assert LEVELS.revisit_due(resolved_at) == datetime(2026, 12, 5, 15, 30, tzinfo=SHANGHAI)


def test_levels_are_configurable():
    levels = ServiceLevels.from_hours(0.5, 4, 48, 3, 14)
    assert levels.first_response_due(RAISED_AT, Urgency.URGENT) == RAISED_AT + timedelta(minutes=30)
    assert levels.revisit_due(RAISED_AT) == RAISED_AT + timedelta(days=3)


@settings(max_examples=200, deadline=None)
@given(
    urgency=st.sampled_from(Urgency),
    as_string=st.booleans(),
    raised_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([SHANGHAI, ZoneInfo("UTC")]),
    ),
)
def test_deadline_is_after_raising_and_overdue_flips_just_after_it(urgency, as_string, raised_at):
    due = LEVELS.first_response_due(raised_at, urgency.value if as_string else urgency)
    assert due > raised_at
    assert due - raised_at == LEVELS.first_response[urgency]
    assert not is_overdue(Status.RAISED, due, raised_at)
    assert not is_overdue(Status.RAISED, due, due)
    assert is_overdue(Status.RAISED, due, due + timedelta(microseconds=1))
    assert not is_overdue(Status.ROUTED, due, due + timedelta(microseconds=1))


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=8))
@settings(max_examples=100, deadline=None)
def test_mask_name_keeps_only_the_first_character(name):
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert masked[1:] == "*" * (len(name) - 1)


# --- the five-actor linkage index (五社联动指数) ----------------------------------------------------


def test_linkage_shares_and_index():
    figures = linkage(4, {"volunteers": 2, "projects": 4, "charity": 1, "community": 4})
    assert figures.resolved == 4
    assert figures.shares == {"community": 1.0, "volunteers": 0.5, "projects": 1.0, "charity": 0.25, "party": 0.0}
    assert figures.index == round((1 + 0.5 + 1 + 0.25 + 0) / 5, 4) == 0.55


def test_linkage_is_null_when_nothing_is_resolved_and_the_community_always_counts():
    assert linkage(0, {"volunteers": 3}) == Linkage(0, None, None)
    alone = linkage(3, {})
    assert alone.shares["community"] == 1.0 and alone.index == 0.2
    assert linkage(3, {"party": 3, "unknown_actor": 3}).shares["party"] == 1.0
    assert set(linkage(1, {}).shares) == set(LINKAGE_ACTORS)


def test_linkage_by_community_sums_the_communities_into_the_area():
    rows = [
        ("130102013001", None, 2),
        ("130102013001", "community", 2),
        ("130102013001", "volunteers", 1),
        ("130102013001", "projects", 2),
        ("130102013002", None, 1),
        ("130102013002", "party", 1),
    ]
    whole, communities = linkage_by_community(rows)
    assert whole.resolved == 3 and whole.shares == {
        "community": 1.0,
        "volunteers": 0.3333,
        "projects": 0.6667,
        "charity": 0.0,
        "party": 0.3333,
    }
    assert whole.index == round((1 + 1 / 3 + 2 / 3 + 0 + 1 / 3) / 5, 4)
    assert list(communities) == ["130102013001", "130102013002"]
    assert communities["130102013001"].shares["projects"] == 1.0 and communities["130102013001"].index == 0.5
    assert communities["130102013002"].shares == {
        "community": 1.0,
        "volunteers": 0.0,
        "projects": 0.0,
        "charity": 0.0,
        "party": 1.0,
    }
    assert linkage_by_community([]) == (Linkage(0, None, None), {})


def test_resolved_statuses_are_the_ones_the_resident_was_served_in():
    assert RESOLVED == {Status.RESOLVED, Status.CLOSED} and not RESOLVED & OPEN


def test_a_returned_need_counts_on_neither_side_of_the_resolution_rate():
    statuses = {"resolved": 2, "closed": 1, "raised": 1, "returned": 4}
    assert resolution_rate(statuses) == pytest.approx(3 / 4)
    assert resolution_rate({"returned": 3}) is None and resolution_rate({}) is None


def test_what_a_need_allows_is_what_its_transitions_take():
    for (status, action), after in TRANSITIONS.items():
        assert domain_allows(status, action) and transition(status, action) is after
    assert not domain_allows(Status.RAISED, Action.RESOLVE) and not domain_allows(
        Status.CLOSED, Action.FEEDBACK_SATISFIED
    )
