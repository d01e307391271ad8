"""Pure rules of the party service's major-matter review (重大事项决策): a committee meeting
decides only with a quorum, and a proposal passes only with a majority of the whole committee —
the rules of democratic centralism: 应到会委员半数以上到会方能开会, 赞成票超过应到会委员半数为通过."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from contracts.taxonomy import LabelledEnum

VOTES = ("for", "against", "abstain")


class MatterKind(LabelledEnum):
    PROJECT = "project", "服务项目", "Service project"  # put to the committee by the project's review
    FOUNDATION_USE = "foundation_use", "使用社区基金", "Community-foundation use"
    OTHER = "other", "其他事项", "Other"


SUBMITTED_KINDS = (MatterKind.FOUNDATION_USE, MatterKind.OTHER)  # what a worker may put to it (MatterIn)


class MatterStatus(LabelledEnum):
    PENDING = "pending", "待研究", "Pending"
    DECIDED = "decided", "已决定", "Decided"


class Outcome(LabelledEnum):
    APPROVED = "approved", "通过", "Approved"
    REJECTED = "rejected", "否决", "Rejected"
    REVISE = "revise", "修改后再议", "To be revised"


class Refused(ValueError):
    """A decision that breaks a rule: names the rule and the field of the request at fault."""

    def __init__(self, rule: str, field: str, message: str) -> None:
        super().__init__(message)
        self.rule, self.field = rule, field


@dataclass(frozen=True)
class Tally:
    committee_size: int
    votes_for: int
    votes_against: int
    votes_abstain: int

    @property
    def present(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain

    @property
    def has_quorum(self) -> bool:
        return self.present >= more_than_half(self.committee_size)

    @property
    def passes(self) -> bool:
        return self.votes_for >= more_than_half(self.committee_size)


def more_than_half(committee_size: int) -> int:
    """The fewest members that are more than half of the committee: both the quorum (present) and
    the majority (votes for) are counted against the whole committee, not those present."""
    return committee_size // 2 + 1


def tally(committee: set[UUID], votes: dict[UUID, str]) -> Tally:
    """Count the recorded votes of the sitting committee; each member present casts one."""
    if not committee:
        raise Refused("no_committee", "votes", "党组织尚未登记委员 / the party organization has no committee members")
    strangers = set(votes) - committee
    if strangers:
        raise Refused(
            "not_on_committee", "votes", f"非本届委员不能表决 / not on the committee: {sorted(map(str, strangers))}"
        )
    count = Counter(votes.values())
    return Tally(len(committee), count["for"], count["against"], count["abstain"])


def check_decision(outcome: str, result: Tally, reasons: str) -> None:
    """The outcome must follow from the vote: approval needs a passing vote; a rejection or a
    request for revision needs a vote that did not pass, and its reasons."""
    if not result.has_quorum:
        raise Refused(
            "quorum",
            "votes",
            f"到会委员 {result.present} 人，未超过应到会委员 {result.committee_size} 人的半数，"
            f"不能作出决定 / no quorum: {result.present} of {result.committee_size} present",
        )
    if outcome == "approved" and not result.passes:
        raise Refused(
            "majority",
            "outcome",
            f"赞成票 {result.votes_for} 未超过应到会委员半数，不能通过 / "
            f"{result.votes_for} votes for do not make a majority of {result.committee_size}",
        )
    if outcome != "approved" and result.passes:
        raise Refused("majority", "outcome", "表决已获通过，结果应为同意 / the vote passed: the outcome is approval")
    if outcome != "approved" and not reasons.strip():
        raise Refused(
            "reasons_required", "reasons", "不同意或退回修改须写明理由 / a rejection or revision needs its reasons"
        )


def review_due(submitted_at: datetime, review: timedelta) -> datetime:
    return submitted_at + review


def escalation_target(area_code: str) -> str:
    """A community's matter goes to its township (street); a township's to its county."""
    return area_code[:9] if len(area_code) == 12 else area_code[:6]


def matter_reasons(kind: str, amount_fen: int | None, vital_interests: bool, threshold_fen: int) -> list[str]:
    """Why a hand-submitted matter is a major one (it may be submitted for neither reason)."""
    reasons = ["vital_interests"] if vital_interests else []
    if kind == "foundation_use" and amount_fen is not None and amount_fen >= threshold_fen:
        reasons.append("budget_threshold")
    return reasons
