"""Public forms of the charity service's events (慈善信息公开): amounts, funds and what they went to;
donors only by kind (person, anonymous, enterprise), never by name."""

from __future__ import annotations

from contracts.events import charity as ev
from contracts.public.base import public_event

DonationReceived = public_event(
    ev.DonationReceived, ("donation_id", "fund_id", "area_code", "donor_kind", "amount_fen", "received_at")
)
DonationEarmarked = public_event(
    ev.DonationEarmarked,
    ("earmark_id", "donation_id", "target_kind", "target_id", "area_code", "amount_fen", "earmarked_at"),
)
FundsDisbursed = public_event(
    ev.FundsDisbursed,
    ("disbursement_id", "target_kind", "target_id", "need_ids", "area_code", "amount_fen", "disbursed_at"),
)

EVENTS = (DonationReceived, DonationEarmarked, FundsDisbursed)
