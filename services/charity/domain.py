"""Pure rules of the charity service: account names, the 2 % rule, restricted money, the review of a
disbursement request (maker and checker). No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from contracts.taxonomy import LabelledEnum

WORLD = "world"  # where donations come from and disbursements go: the only account that may go negative
TWO_PERCENT = (2, 100)
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # a donation receipt's characters: none that read alike


class FundKind(LabelledEnum):
    COMMUNITY_FOUNDATION = "community_foundation", "社区基金会", "Community foundation"
    SPECIAL_FUND = "special_fund", "专项基金", "Special-purpose fund"
    GOVERNMENT_PURCHASE = "government_purchase", "政府购买服务预算", "Government purchase budget"
    SOCIAL_ASSISTANCE = "social_assistance", "社会救助专项经费", "Social-assistance special fund"
    LOTTERY = "lottery", "彩票公益金", "Lottery public-welfare fund"
    GENERAL = "general", "一般捐赠", "General donations"


def fund_account(fund_id: UUID) -> str:
    return f"fund:{fund_id}"


def restricted_account(earmark_id: UUID) -> str:
    return f"restricted:{earmark_id}"


def committed_account(commitment_id: UUID) -> str:
    return f"committed:{commitment_id}"


@dataclass(frozen=True)
class Refusal:
    rule: str
    reason: str


def two_percent_rule(
    fund_kind: str, purpose: str, budget: int | None, committed_this_year: int, amount: int
) -> Refusal | None:
    """Purchases of services from the social-assistance special fund may not exceed 2 % of that
    fund's budget for the year in its county (冀民〔2021〕79号)."""
    if fund_kind != FundKind.SOCIAL_ASSISTANCE or purpose != "service_purchase":
        return None
    if budget is None:
        return Refusal("no_budget", "该社会救助专项经费尚未登记本年度预算 / the fund has no budget for the year")
    cap = budget * TWO_PERCENT[0] // TWO_PERCENT[1]
    if committed_this_year + amount > cap:
        return Refusal(
            "two_percent_cap",
            (
                f"社会救助专项经费购买服务不得超过年度预算的 2%：预算 {budget} 分，上限 {cap} 分，本年已承诺 {committed_this_year} 分，"
                f"本次申请 {amount} 分 / service purchases from the social-assistance fund may not exceed 2 % of its "
                f"yearly budget: cap {cap} fen, committed {committed_this_year}, requested {amount}"
            ),
        )
    return None


def split_funding(amount: int, restricted: list[tuple[UUID, int]], unrestricted: int) -> list[tuple[str, int]] | None:
    """Take money earmarked for this project first, then the fund's free money. None when short."""
    take, left = [], amount
    for earmark_id, available in restricted:
        part = min(available, left)
        if part > 0:
            take.append((restricted_account(earmark_id), part))
            left -= part
    if left > unrestricted:
        return None
    return take + ([("fund", left)] if left else [])


# --- disbursements: maker and checker -------------------------------------------------------------------


class DisbursementStatus(LabelledEnum):
    REQUESTED = "requested", "待复核", "Awaiting review"
    DISBURSED = "disbursed", "已拨付", "Disbursed"
    REJECTED = "rejected", "已驳回", "Rejected"


class Review(LabelledEnum):
    APPROVE = "approve", "复核", "approve"
    REJECT = "reject", "驳回", "reject"


_DONE = {Review.APPROVE: "approved", Review.REJECT: "rejected"}


def review_refusal(status: str, maker: str, checker: str, action: Review) -> Refusal | None:
    """Only a request still awaiting review may be approved (paid) or rejected, once, and never by
    the person who asked for it (maker–checker): rule `state` (409) or `maker_checker` (403)."""
    if status != DisbursementStatus.REQUESTED:
        now = DisbursementStatus(status)
        return Refusal(
            "state",
            f"该拨付申请{now.zh}，不能再{action.zh} / the request is {now.en.lower()} already: "
            f"it can no longer be {_DONE[action]}",
        )
    if maker == checker:
        return Refusal(
            "maker_checker",
            f"申请人不能{action.zh}自己的拨付申请 / the maker cannot {action.en} their own disbursement",
        )
    return None
