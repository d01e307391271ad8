"""Events the love supermarket consumes: time-bank credits exchanged for points (积分互兑), and the
registrations (and needs) that tell it which volunteers and residents exist."""

from __future__ import annotations

from kit.wiring import offer
from services.charity.supermarket import service

HANDLERS = offer(
    __name__,
    {
        "charity-credits-exchanged": service.on_credits_exchanged,
        "charity-holders-volunteer-registered": service.on_holder_seen,
        "charity-holders-resident-registered": service.on_holder_seen,
        "charity-holders-need-raised": service.on_holder_seen,
    },
)
