"""Events of the charity service (慈善资源) that other services rely on. Money is integer fen."""
from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime

from contracts.envelope import Event
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
