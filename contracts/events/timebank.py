"""Events of the time bank (时间银行) of the volunteers service. Volunteers are named by
pseudonymous id only."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.values import AreaCode


class CreditsExchanged(Event):
    """A volunteer turned time-bank credits into charity points (积分互认互通互兑); the charity
    service grants the 爱心超市 points."""

    service: ClassVar[str] = "volunteers"

    exchange_id: UUID = Field(description="the time-bank transaction; the charity side's idempotency key")
    volunteer_ref: str
    area_code: AreaCode = Field(description="the volunteer's time bank (home community, 12 digits)")
    credits: int = Field(gt=0, description="in units: 100 units = 1 credit")
    exchanged_at: AwareDatetime
