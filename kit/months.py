"""Local calendar months (Asia/Shanghai) for month-by-month series: a dashboard's trend shows every
month, oldest first, with no gaps. Pure: the caller gives the clock and the figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

ZONE = "Asia/Shanghai"  # months are local calendar months (SQL: to_char(ts AT TIME ZONE ZONE, 'YYYY-MM'))
LOCAL = ZoneInfo(ZONE)


def last_months(today: date, n: int = 12) -> list[date]:
    """First days of the last `n` calendar months, oldest first, the current one included."""
    current = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(current - n + 1, current + 1)]


def months_to(at: datetime, n: int = 12) -> list[date]:
    """The last `n` local months up to the instant `at` (the current one included)."""
    return last_months(at.astimezone(LOCAL).date(), n)


def key(month: date) -> str:
    """ "YYYY-MM": how the series and the SQL name a month."""
    return f"{month:%Y-%m}"


def start(month: date) -> datetime:
    """The instant the local month begins (midnight of its first day, Beijing time)."""
    return datetime.combine(month.replace(day=1), time(), LOCAL)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def end(month: date) -> datetime:
    """The instant the local month ends: the next one's first midnight (exclusive)."""
    return start(next_month(month))


def filled(months: list[date], values: Mapping[str, object], default: object = 0) -> list[tuple[str, object]]:
    """(YYYY-MM, value) for every month, `default` where `values` has none; keys outside the months are dropped."""
    return [(key(m), values.get(key(m), default)) for m in months]


def running_totals(months: list[date], deltas: Mapping[str, int]) -> list[tuple[str, int]]:
    """(YYYY-MM, the sum of every delta up to the end of that month) for each month: cumulative
    counts at month end from changes by month (YYYY-MM keys sort as the months do, so deltas from
    before the first month are counted in it)."""
    out = []
    for m in months:
        k = key(m)
        out.append((k, sum(v for month, v in deltas.items() if month <= k)))
    return out
