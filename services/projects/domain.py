"""Pure rules of the projects service (社会组织 · 项目库): the project's states and when a project
needs the party organization, and the grades shared with evaluation. Who may bid and how bids are
ranked are procurement/domain.py; how a finished project is graded is delivery/domain.py."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.api.organizations import Grade
from contracts.areas import contains
from contracts.taxonomy import LabelledEnum


class ProjectStatus(LabelledEnum):
    DRAFT = "draft", "草稿", "Draft"
    REVIEW_PENDING = "review_pending", "待党组织研究", "Party review"
    FUNDING_PENDING = "funding_pending", "待资金承诺", "Awaiting funds"
    FUNDING_REJECTED = "funding_rejected", "资金被拒", "Funding refused"
    FUNDED = "funded", "资金已落实", "Funded"
    PUBLISHED = "published", "招标中", "Open for bids"
    PROCURED = "procured", "实施中", "In delivery"
    DELIVERED = "delivered", "已交付", "Delivered"
    EVALUATED = "evaluated", "已评估", "Evaluated"
    CLOSED = "closed", "已关闭", "Closed"


GRADES = (  # (lowest score, grade): 100-point evaluation
    (90, Grade.EXCELLENT),
    (75, Grade.GOOD),
    (60, Grade.BASIC),
    (0, Grade.UNQUALIFIED),
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


# --- labels the project's page shows (services label their codes; the console translates nothing) ---------


class FundingSource(LabelledEnum):
    GOVERNMENT_PURCHASE = "government_purchase", "政府购买服务", "Government purchase"
    SOCIAL_ASSISTANCE = "social_assistance", "社会救助资金", "Social assistance"
    LOTTERY = "lottery", "福彩公益金", "Welfare lottery fund"
    CHARITY_COFUNDING = "charity_cofunding", "慈善配套资金", "Charity co-funding"
    VENTURE_PHILANTHROPY = "venture_philanthropy", "公益创投", "Venture philanthropy"


class FundingStatus(LabelledEnum):
    PLANNED = "planned", "待申请", "Planned"
    REQUESTED = "requested", "待承诺", "Requested"
    COMMITTED = "committed", "已承诺", "Committed"
    REJECTED = "rejected", "未获承诺", "Refused"
    SUPERSEDED = "superseded", "已替换", "Replaced"


class BidStatus(LabelledEnum):
    ACTIVE = "active", "有效", "Active"
    WITHDRAWN = "withdrawn", "已撤回", "Withdrawn"
