"""Pure rules of the projects service (社会组织 · 项目库): the project's states and when a project
needs the party organization, and the grades shared with evaluation. Who may bid and how bids are
ranked are procurement/domain.py; how a finished project is graded is delivery/domain.py."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.areas import contains

GRADES = (  # (lowest score, code, 中文): 100-point evaluation
    (90, "excellent", "优秀"),
    (75, "good", "良好"),
    (60, "basic", "基本合格"),
    (0, "unqualified", "不合格"),
)


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
