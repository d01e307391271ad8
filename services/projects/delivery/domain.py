"""Pure rules of delivery and evaluation: when a milestone may be accepted (which asks for its payment),
and evaluating a finished project — residents' satisfaction being "the most important standard"
(policy 三(四)). The grade bands, GRADES, are the project library's (its statistics count by them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from contracts.taxonomy import LabelledEnum
from services.projects.domain import GRADES

# --- accepting a milestone, which asks for its payment -------------------------------------------------------


class MilestoneStatus(LabelledEnum):
    PLANNED = "planned", "计划中", "Planned"
    REPORTED = "reported", "已报告", "Reported"
    ACCEPTED = "accepted", "已验收", "Accepted"


# the states of a project whose accepted work may still be paid
PAYABLE = ("procured", "delivered", "evaluated")


def acceptance_states(milestone_status: str, payment_rejected: bool) -> tuple[str, ...]:
    """The project states in which a milestone may be accepted, asking the charity service to pay it:
    a reported one while the project is in delivery; an accepted one whose payment the charity
    service's checker rejected, again (asking anew), as long as the project's work may be paid. None
    (an empty tuple) otherwise."""
    if milestone_status == "reported":
        return ("procured",)
    if milestone_status == "accepted" and payment_rejected:
        return PAYABLE
    return ()


# --- evaluating a finished project --------------------------------------------------------------------------

EVALUATION_PARTS = ("resident_satisfaction", "indicators", "third_party")


def check_evaluation_weights(weights: Mapping[str, float]) -> None:
    """A valid configuration sums to 100 over the three parts, and residents' satisfaction weighs
    strictly more than any other part; any other configuration is refused."""
    if set(weights) != set(EVALUATION_PARTS):
        raise ValueError(f"评估权重须且仅须包含 / the weights are exactly: {', '.join(EVALUATION_PARTS)}")
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 100) > 1e-9:
        raise ValueError("评估权重须为非负数且合计 100 / the weights are non-negative and sum to 100")
    satisfaction = weights["resident_satisfaction"]
    if any(w >= satisfaction for part, w in weights.items() if part != "resident_satisfaction"):
        raise ValueError("居民满意度的权重须最大 / residents' satisfaction must weigh the most")


def satisfaction_percent(feedback: Sequence[int], survey: Sequence[int]) -> float:
    """Residents' satisfaction, 0–100, from 1–5 ratings (feedback on the project's needs and the
    resident survey alike): 1 → 0, 5 → 100."""
    ratings = [*feedback, *survey]
    if not ratings:
        raise ValueError("尚无居民评价 / no resident has judged the project yet")
    if any(not 1 <= r <= 5 for r in ratings):
        raise ValueError("评价须为 1–5 / ratings are 1–5")
    return (fmean(ratings) - 1) * 25


def awaiting_feedback(need_ids: Sequence, judged: set) -> list:
    """The needs a project serves whose residents have not given feedback yet, in the project's order."""
    return [n for n in need_ids if n not in judged]


def evaluation_score(weights: Mapping[str, float], parts: Mapping[str, float]) -> float:
    check_evaluation_weights(weights)
    if any(not 0 <= parts[p] <= 100 for p in EVALUATION_PARTS):
        raise ValueError("各部分得分须在 0–100 之间 / each part is scored 0–100")
    return sum(weights[p] * parts[p] for p in EVALUATION_PARTS) / 100


def grade(score: float) -> str:
    return next(band.value for floor, band in GRADES if score >= floor)
