"""Pure rules of the love supermarket (爱心超市). No I/O.

Points are ledger entries (unit "points"): each community's `points_pool:<area>` issues them (it
may go negative: the points it has issued and not yet taken back) to `points:<kind>:<ref>`, and a
redemption moves them back to the pool of the community whose goods were taken."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from contracts.api import supermarket as api
from contracts.events.needs import NeedRaised, ResidentRegistered
from contracts.events.volunteers import VolunteerRegistered

CHINA = ZoneInfo("Asia/Shanghai")  # publications run per calendar month, Beijing time
UNITS_PER_CREDIT = 100  # CreditsExchanged.credits is in units: 100 units = 1 credit


# --- pure rules -------------------------------------------------------------------------------


def points_for_credits(units: int, points_per_credit: Decimal) -> int:
    """Time-bank units (100 = 1 credit) in points. Decimal and half-up, so 15 units at 10 points
    per credit is 1.5 → 2 points, not float noise or banker's rounding."""
    exact = Decimal(units) * Decimal(points_per_credit) / UNITS_PER_CREDIT
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def holder_account(kind: str, ref: str) -> str:
    return f"points:{kind}:{ref}"


def pool_account(area_code: str) -> str:
    return f"points_pool:{area_code}"


def mask_ref(ref: str) -> str:
    return f"{ref[:4]}…"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of YYYY-MM, Beijing time."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=CHINA)
    return start, start.replace(year=year + number // 12, month=number % 12 + 1)


def holder_lines(grants: Iterable[Mapping], redemptions: Iterable[Mapping]) -> list[api.HolderPointsLine]:
    """Points granted and redeemed per holder. Summed by full ref, masked only for display, so
    two holders whose refs share four characters stay two lines."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in grants:
        totals[(row["holder_kind"], row["holder_ref"])][0] += row["points"]
    for row in redemptions:
        totals[(row["holder_kind"], row["holder_ref"])][1] += row["points"]
    return [
        api.HolderPointsLine(holder_kind=kind, holder=mask_ref(ref), granted=granted, redeemed=redeemed)
        for (kind, ref), (granted, redeemed) in sorted(totals.items())
    ]


def received_lines(receipts: Iterable[Mapping]) -> list[api.GoodsReceivedLine]:
    """Goods received per item and donor; only an enterprise donor is named."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in receipts:
        key = (row["item"], row["unit"], row["donor_kind"], row["donor_name"] or "")
        totals[key][0] += row["quantity"]
        totals[key][1] += row["estimated_value_fen"]
    return [
        api.GoodsReceivedLine(
            item=item, unit=unit, quantity=quantity, estimated_value_fen=value, donor_kind=kind, donor_name=name or None
        )
        for (item, unit, kind, name), (quantity, value) in sorted(totals.items())
    ]


def given_lines(redemptions: Iterable[Mapping]) -> list[api.GoodsGivenLine]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in redemptions:
        totals[(row["item"], row["unit"])][0] += row["quantity"]
        totals[(row["item"], row["unit"])][1] += row["points"]
    return [
        api.GoodsGivenLine(item=item, unit=unit, quantity=quantity, points=points)
        for (item, unit), (quantity, points) in sorted(totals.items())
    ]


def publication(
    area_code: str, month: str, grants: list[Mapping], redemptions: list[Mapping], receipts: list[Mapping]
) -> api.PublicationView:
    """The monthly 公示 of one community's supermarket: refs masked, no personal names."""
    totals = api.PublicationTotals(
        points_granted=sum(r["points"] for r in grants),
        points_redeemed=sum(r["points"] for r in redemptions),
        goods_received_value_fen=sum(r["estimated_value_fen"] for r in receipts),
        receipts=len(receipts),
        redemptions=len(redemptions),
    )
    return api.PublicationView(
        area_code=area_code,
        month=month,
        holders=holder_lines(grants, redemptions),
        goods_received=received_lines(receipts),
        goods_given_out=given_lines(redemptions),
        totals=totals,
    )


HolderEvent = VolunteerRegistered | ResidentRegistered | NeedRaised


def seen_holder(event: HolderEvent) -> tuple[str, str, str, datetime]:
    """(kind, ref, area, when) of the volunteer or resident an event proves real. A need is raised
    for a resident under the same pseudonymous ref as their registration, which also covers the
    residents registered before ResidentRegistered existed."""
    if isinstance(event, VolunteerRegistered):
        return "volunteer", event.volunteer_ref, event.area_code, event.registered_at
    if isinstance(event, ResidentRegistered):
        return "resident", event.resident_ref, event.area_code, event.registered_at
    return "resident", event.resident_ref, event.area_code, event.raised_at
