"""Pure rules of the projects service (社会组织 · 项目库): who may bid, how bids are scored and
ranked, when a project needs the party organization, and how a finished project is graded —
residents' satisfaction being "the most important standard" (policy 三(四))."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from contracts.areas import contains

GRADES = (  # (lowest score, code, 中文): 100-point evaluation
    (90, "excellent", "优秀"),
    (75, "good", "良好"),
    (60, "basic", "基本合格"),
    (0, "unqualified", "不合格"),
)


class Ineligible(ValueError):
    """An organization may not bid: names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


# --- the party gate ------------------------------------------------------------------------------------


def review_reasons(vital_interests: bool, budget_fen: int, threshold_fen: int) -> list[str]:
    """Why a project must go to the community party organization before publication (empty: it need not)."""
    return [
        r
        for r, applies in (("vital_interests", vital_interests), ("budget_threshold", budget_fen >= threshold_fen))
        if applies
    ]


# --- funding --------------------------------------------------------------------------------------------

UNKNOWN_FUND = "未登记的资金账户（刚设立的请稍候再试）/ no such fund (one opened a moment ago: retry shortly)"
OUTSIDE_FUND_AREA = "项目不在该资金的适用区域内 / the project is outside the fund's area"


def funding_refusal(fund: Mapping | None, project_area: str) -> str | None:
    """Why a funding line may not draw on this fund (the charity service's own rules, checked before
    asking it): the fund is unknown, or its area does not contain the project's. None when it may."""
    if fund is None:
        return UNKNOWN_FUND
    if not contains(fund["area_code"], project_area):
        return OUTSIDE_FUND_AREA
    return None


# --- eligibility ----------------------------------------------------------------------------------------


def check_eligible(org: Mapping, project_area: str, year: int, grades: Mapping[int, str]) -> None:
    """Unregistered (or deregistered) organizations, those registered outside the project's area,
    and those graded 不合格 the year before may not bid."""
    if org.get("status") != "registered":
        raise Ineligible("unregistered", "社会组织未登记或已注销 / the organization is not registered")
    if not contains(org["area_code"], project_area):
        raise Ineligible(
            "outside_area", "社会组织的登记区域不含项目所在地 / the project is outside the organization's area"
        )
    if grades.get(year - 1) == "unqualified":
        raise Ineligible(
            "graded_unqualified", f"{year - 1} 年度评估不合格，本年度不得承接 / graded unqualified last year"
        )


# --- scoring bids -----------------------------------------------------------------------------------------


def weighted_score(weights: Mapping[str, float], scores: Mapping[str, float]) -> float:
    """One evaluator's score of a bid, 0–100: each criterion scored 0–100, weighted."""
    missing = set(weights) - set(scores)
    if missing:
        raise ValueError(f"缺少评分项 / criteria not scored: {sorted(missing)}")
    if any(not 0 <= s <= 100 for s in scores.values()):
        raise ValueError("每项评分须在 0–100 之间 / each score is 0–100")
    return sum(weights[c] * scores[c] for c in weights) / sum(weights.values())


@dataclass(frozen=True)
class RankedBid:
    bid_id: str
    score: float
    price_fen: int
    submitted_at: datetime


def rank(bids: Sequence[RankedBid]) -> list[RankedBid]:
    """Best first: the higher score; on a tie the lower price; then the earlier bid."""
    return sorted(bids, key=lambda b: (-round(b.score, 6), b.price_fen, b.submitted_at))


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
    return next(code for floor, code, _ in GRADES if score >= floor)
