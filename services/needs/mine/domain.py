"""Pure rules of the resident's own page: what a resident may do with one of their needs now, read
from the need's state machine (so the page never offers what the service would refuse)."""

from __future__ import annotations

from dataclasses import dataclass

from services.needs.domain import REVISIT_ASKABLE, Action, Status, allows


@dataclass(frozen=True)
class Choices:
    confirm: bool  # 确认已解决
    rate: bool  # 评价
    dispute: bool  # 提出异议
    revisit: bool  # 请求回访


def choices(status: Status) -> Choices:
    return Choices(
        confirm=allows(status, Action.RESOLVE),
        rate=allows(status, Action.FEEDBACK_SATISFIED),
        dispute=allows(status, Action.DISPUTE),
        revisit=status in REVISIT_ASKABLE,
    )
