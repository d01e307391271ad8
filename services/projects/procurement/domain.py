"""Pure rules of the call for bids: who may bid, and how bids are scored and ranked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.areas import contains


class Ineligible(ValueError):
    """An organization may not bid: names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


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
