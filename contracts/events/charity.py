"""Events of the charity service (慈善资源) that other services rely on. Money is integer fen."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import Event, RecordsImported
from contracts.values import AreaCode, Money


class DonationEarmarked(Event):
    """A donation (or part of one) restricted to a need, a project or a fund."""

    service: ClassVar[str] = "charity"

    earmark_id: UUID
    donation_id: UUID
    target_kind: Literal["need", "project", "fund"]
    target_id: UUID
    area_code: AreaCode
    amount_fen: Money
    earmarked_at: AwareDatetime


class FundsDisbursed(Event):
    """Money left a fund for a project milestone or a need (two approvers signed)."""

    service: ClassVar[str] = "charity"

    disbursement_id: UUID
    target_kind: Literal["need", "project"]
    target_id: UUID
    need_ids: list[UUID] = []
    area_code: AreaCode
    amount_fen: Money
    disbursed_at: AwareDatetime


class DisbursementRejected(Event):
    """A checker refused a disbursement request, giving the reason: no money moved. The side that asked
    learns why (a project's milestone shows it, and may be asked to be paid again). The reason is
    written by the checker for the requester: it never leaves the platform (no public form)."""

    service: ClassVar[str] = "charity"

    disbursement_id: UUID = Field(description="the request (for a milestone: its DisbursementRequested.request_id)")
    target_kind: Literal["need", "project"]
    target_id: UUID
    milestone_id: UUID | None = Field(default=None, description="the project's milestone it would have paid")
    need_ids: list[UUID] = []
    area_code: AreaCode
    amount_fen: Money
    reason: str = Field(min_length=2, max_length=500)
    rejected_at: AwareDatetime


class DonationReceived(Event):
    """Money reached a fund; the donor appears publicly only as they consented."""

    service: ClassVar[str] = "charity"

    donation_id: UUID
    fund_id: UUID
    area_code: AreaCode
    donor_kind: Literal["person", "anonymous", "enterprise"]
    amount_fen: Money
    received_at: AwareDatetime


class DonationsImported(RecordsImported):
    """Audit: a records migrator brought an earlier system's donations in; each is also a
    DonationReceived at the time it states."""

    service: ClassVar[str] = "charity"
    audit_label: ClassVar[str] = "导入历史捐赠 / imported donations of an earlier system"
    counted_as: ClassVar[str] = "笔"

    amount_fen: Money = Field(description="the imported donations' sum")


class FundsCommitted(Event):
    """A project's funding request was granted from a fund (the money is reserved for it)."""

    service: ClassVar[str] = "charity"

    commitment_id: UUID
    request_id: UUID
    project_id: UUID
    fund_id: UUID
    area_code: AreaCode
    amount_fen: Money
    committed_at: AwareDatetime
    need_ids: list[UUID] = Field(default_factory=list, description="the needs the project serves (from its request)")


class FundOpened(Event):
    """A fund was opened (or first announced): other services learn which funds exist and where
    they may pay, without reading the charity service's data. No personal data."""

    service: ClassVar[str] = "charity"

    fund_id: UUID
    name: str = Field(max_length=100)
    kind: str = Field(
        max_length=40,
        description="community_foundation | special_fund | government_purchase | social_assistance | lottery | general",
    )
    area_code: AreaCode = Field(description="the area the fund pays in (and below)")
    opened_at: AwareDatetime


class FundingRejected(Event):
    """A project's funding request was refused, naming the rule (e.g. the 2 % cap)."""

    service: ClassVar[str] = "charity"

    request_id: UUID
    project_id: UUID
    fund_id: UUID
    area_code: AreaCode
    amount_fen: Money
    rule: str
    reason: str
    rejected_at: AwareDatetime


class PointsGranted(Event):
    """Love-supermarket (爱心超市) points reached a resident or volunteer: exchanged from time-bank
    credits (积分互兑) or earned in a community activity."""

    service: ClassVar[str] = "charity"

    grant_id: UUID
    area_code: AreaCode = Field(description="the community whose points pool issued them")
    holder_kind: Literal["resident", "volunteer"]
    holder_ref: str = Field(description="pseudonymous ref")
    points: int = Field(gt=0)
    source: Literal["time_credits", "activity"]
    exchange_id: UUID | None = Field(default=None, description="the CreditsExchanged it answers, for time_credits")
    granted_at: AwareDatetime


class PointsRedeemed(Event):
    """A resident or volunteer took goods from a community's love supermarket (爱心超市) for points."""

    service: ClassVar[str] = "charity"

    redemption_id: UUID
    area_code: AreaCode = Field(description="the supermarket's community")
    holder_kind: Literal["resident", "volunteer"]
    holder_ref: str = Field(description="pseudonymous ref")
    item_id: UUID
    quantity: int = Field(gt=0)
    points: int = Field(gt=0)
    redeemed_at: AwareDatetime
