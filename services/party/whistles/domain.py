"""Pure rules of 社区吹哨、党员报到 and 微心愿: response deadlines, the whistle's and the wish's
states, response-time statistics and where an unanswered whistle goes. No I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts.taxonomy import LabelledEnum, Urgency
from services.party.config import PartySettings, party_settings


class WhistleStatus(LabelledEnum):
    # blown, nobody has taken it on yet (it may have been escalated meanwhile)
    OPEN = "open", "待接单", "Waiting"
    # at least one dispatched member or unit reported (接单)
    RESPONDED = "responded", "已接单", "Responded"
    # the work was evaluated by the community or the resident
    CLOSED = "closed", "已办结", "Closed"


class WishStatus(LabelledEnum):
    OPEN = "open", "待认领", "Open"
    CLAIMED = "claimed", "已认领", "Claimed"  # one party member took it (认领)
    FULFILLED = "fulfilled", "已实现", "Fulfilled"


# --- deadlines ------------------------------------------------------------------------------------


def respond_by(blown_at: datetime, urgency: Urgency | str, settings: PartySettings | None = None) -> datetime:
    """The moment by which someone must have taken the whistle on, by urgency."""
    return blown_at + (settings or party_settings()).whistle_response(urgency)


def within_deadline(reported_at: datetime, deadline: datetime) -> bool:
    return reported_at <= deadline


def response_seconds(blown_at: datetime, reported_at: datetime) -> int:
    """Whole seconds from the whistle to the report (never negative: clocks of replicas drift)."""
    return max(0, int((reported_at - blown_at).total_seconds()))


def is_overdue(first_response_at: datetime | None, deadline: datetime, at: datetime) -> bool:
    """Still unanswered past its deadline (escalated or not)."""
    return first_response_at is None and at > deadline


def escalation_target(area_code: str) -> str:
    """Whom an unanswered whistle goes up to: a village's or community's township (街道/乡镇), i.e.
    its first nine digits; a township's whistle goes to its county (whistles are blown by
    communities, so that is a fallback and never raises: the periodic job must not stop on one row)."""
    return area_code[:9] if len(area_code) == 12 else area_code[:6]


# --- response-time statistics ---------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """What the statistics need of one whistle."""

    blown_at: datetime
    respond_by: datetime
    first_response_at: datetime | None


@dataclass(frozen=True)
class ResponseStats:
    count: int
    answered: int
    answered_in_time: int
    median_response_s: int | None
    p90_response_s: int | None
    open_overdue: int


def percentile(sorted_values: list[int], q: float) -> int | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont), rounded to a second."""
    if not sorted_values:
        return None
    position = q * (len(sorted_values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    value = sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)
    return round(value)


def response_stats(timings: Iterable[Timing], at: datetime) -> ResponseStats:
    """How fast whistles were taken on: medians and p90 count answered whistles only; unanswered
    ones past their deadline are counted apart (open_overdue) so a slow area cannot hide them."""
    timings = list(timings)
    answered = [t for t in timings if t.first_response_at is not None]
    seconds = sorted(response_seconds(t.blown_at, t.first_response_at) for t in answered)
    return ResponseStats(
        count=len(timings),
        answered=len(answered),
        answered_in_time=sum(within_deadline(t.first_response_at, t.respond_by) for t in answered),
        median_response_s=percentile(seconds, 0.5),
        p90_response_s=percentile(seconds, 0.9),
        open_overdue=sum(is_overdue(t.first_response_at, t.respond_by, at) for t in timings),
    )


def stats_by_community(rows: Iterable[tuple[str, Timing]], at: datetime) -> dict[str, ResponseStats]:
    """Statistics per village/community code, in code order."""
    groups: dict[str, list[Timing]] = {}
    for area_code, timing in rows:
        groups.setdefault(area_code, []).append(timing)
    return {area: response_stats(groups[area], at) for area in sorted(groups)}


# --- states ---------------------------------------------------------------------------------------


class Refused(Exception):
    """An action the record's state does not allow: `state` and/or `rule` go into the 409."""

    def __init__(self, message: str, *, state: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.state, self.rule = (str(state) if state is not None else None), rule

    def extensions(self) -> dict[str, str]:
        return {k: v for k, v in (("state", self.state), ("rule", self.rule)) if v is not None}


def check_report(status: WhistleStatus, dispatched: bool, already_reported: bool) -> WhistleStatus:
    """接单: only by a dispatched responder, once each, while the whistle is not closed."""
    if status is WhistleStatus.CLOSED:
        raise Refused("吹哨已办结，不能再接单 / the whistle is closed", state=status)
    if not dispatched:
        raise Refused(
            "该党员或单位未被派单 / this responder was not dispatched for the whistle",
            state=status,
            rule="not_dispatched",
        )
    if already_reported:
        raise Refused("已接单 / already reported", state=status, rule="already_reported")
    return WhistleStatus.RESPONDED


def check_handled(status: WhistleStatus, reported: bool, already_handled: bool) -> None:
    """办结 of one responder's part: after their report, once, before the whistle is closed."""
    if status is WhistleStatus.CLOSED:
        raise Refused("吹哨已办结 / the whistle is closed", state=status)
    if not reported:
        raise Refused("尚未接单 / not reported yet", state=status, rule="not_reported")
    if already_handled:
        raise Refused("已标记办结 / already marked handled", state=status, rule="already_handled")


def check_close(status: WhistleStatus) -> WhistleStatus:
    """Closed with an evaluation once somebody took it on; closed once."""
    if status is WhistleStatus.CLOSED:
        raise Refused("吹哨已办结 / the whistle is closed already", state=status)
    if status is WhistleStatus.OPEN:
        raise Refused("尚无党员或单位接单，不能办结 / nobody has reported yet", state=status, rule="no_report")
    return WhistleStatus.CLOSED


def check_claim(status: WishStatus) -> WishStatus:
    """A wish has one claimer."""
    if status is not WishStatus.OPEN:
        raise Refused("心愿已被认领 / the wish was claimed already", state=status, rule="one_claimer")
    return WishStatus.CLAIMED


def check_fulfil(status: WishStatus) -> WishStatus:
    if status is WishStatus.OPEN:
        raise Refused("心愿尚未被认领 / the wish is not claimed", state=status, rule="not_claimed")
    if status is WishStatus.FULFILLED:
        raise Refused("心愿已实现 / the wish was fulfilled already", state=status)
    return WishStatus.FULFILLED
