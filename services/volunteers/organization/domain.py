"""Pure rules of the organization of volunteer service: the social worker levels counted, when a
volunteer is active, and the per-area statistics — hours by month with no gaps, ratios, and the
coverage of facilities by stations (the policy wants ≥ 80% of community service facilities to have
one) with its month-end trends."""

from __future__ import annotations

from datetime import date

from contracts.api import TrendPoint
from contracts.api import volunteers as api
from kit import months as calendar

SW_LEVELS = tuple(level.value for level in api.SocialWorkerLevel)
ACTIVE_DAYS = 30


# --- statistics -------------------------------------------------------------------------------


def hours_by_month(months: list[date], minutes: dict[str, int]) -> dict[str, float]:
    """Every month present (0 when none), so a chart's series has no gaps."""
    return {f"{m:%Y-%m}": round(minutes.get(f"{m:%Y-%m}", 0) / 60, 2) for m in months}


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def coverage(
    facilities: int, with_station: int, target: float, trend: list[TrendPoint] | None = None
) -> api.StationCoverage:
    share = ratio(with_station, facilities)
    return api.StationCoverage(
        facilities=facilities,
        with_station=with_station,
        coverage=share,
        target=target,
        met=share is not None and share >= target,
        trend=trend or [],
    )


def cumulative_trend(months: list[date], added: dict[str, int]) -> list[TrendPoint]:
    """How many there were at each month's end, from how many were added by month (YYYY-MM)."""
    return [TrendPoint(month=m, value=n) for m, n in calendar.running_totals(months, added)]


def coverage_trend(months: list[date], facilities: dict[str, int], stations: dict[str, int]) -> list[TrendPoint]:
    """Station coverage at each month's end, from the facilities and stations set up by month."""
    with_station = dict(calendar.running_totals(months, stations))
    return [
        TrendPoint(month=m, value=ratio(with_station[m], n)) for m, n in calendar.running_totals(months, facilities)
    ]
