"""Events the love supermarket consumes: time-bank credits exchanged for points (积分互兑), and the
registrations (and needs) that tell it which volunteers and residents exist."""

from __future__ import annotations

from kit.wiring import offer
from services.charity.supermarket import handlers

HANDLERS = offer(
    __name__,
    {
        "charity-credits-exchanged": handlers.on_credits_exchanged,
        "charity-holders-volunteer-registered": handlers.on_holder_seen,
        "charity-holders-resident-registered": handlers.on_holder_seen,
        "charity-holders-need-raised": handlers.on_holder_seen,
    },
)
