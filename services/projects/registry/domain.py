"""Pure rules of the registry: the worst grade of a year, the registry's state rule, the coverage
targets the policy sets (a station in every township, hub organizations covering every urban
community) and the purchase list that applies to an area (its own and every list above it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache

from contracts.api import TrendPoint
from contracts.api import organizations as api

# contracts.areas has no listing of an area's children; its table holds every township row
from contracts.areas import _table, ancestors, contains, lookup
from kit.months import key, next_month

# worst first: a year's grade, for eligibility, is the worst any of its projects got
GRADE_ORDER = ("unqualified", "basic", "good", "excellent")


class Refused(ValueError):
    """A change the record's state does not allow: names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def worst_by_year(grades: Iterable[tuple[int, str]]) -> dict[int, str]:
    """{year: worst grade of that year} from (year, grade) pairs."""
    worst: dict[int, str] = {}
    for year, grade in grades:
        if year not in worst or GRADE_ORDER.index(grade) < GRADE_ORDER.index(worst[year]):
            worst[year] = grade
    return worst


def check_changeable(status: str) -> None:
    """注销 is final: a deregistered organization's record no longer changes."""
    if status == "deregistered":
        raise Refused("deregistered_final", "社会组织已注销，登记信息不能再修改 / the organization is deregistered")


# --- the area tree ---------------------------------------------------------------------------------------


@cache
def townships_under(area: str) -> tuple[str, ...]:
    """The townships (街道/乡镇) at or below `area`, from the area table; none below a community."""
    if lookup(area) is None:
        return ()
    return tuple(sorted(a.code for a in _table().values() if a.level == "township" and contains(area, a.code)))


def area_name(code: str) -> str:
    area = lookup(code)
    return area.name if area else code


# --- statistics ------------------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def tally(counts: Mapping[str, int], codes: Sequence[str]) -> dict[str, int]:
    """Every code present (0 when none), so a chart's series has no gaps."""
    return {code: counts.get(code, 0) for code in codes}


def per_community(counts: Mapping[str, int]) -> list[api.CommunityCount]:
    return [api.CommunityCount(area_code=c, name=area_name(c), count=n) for c, n in sorted(counts.items()) if n]


def staff_target(total: int, target: int) -> api.StaffTarget:
    return api.StaffTarget(total=total, target=target, share=round(total / target, 6) if target else 0.0)


def hub_coverage(urban_communities: Iterable[str], hub_areas: Iterable[str], target: float) -> api.HubCoverage:
    """A hub covers every community under its registration area (a township's or county's hub covers
    all of theirs). Counted over the communities registered with PUT /communities: the area table
    has no 12-digit rows, so without that list there is nothing to count."""
    communities, hubs = sorted(set(urban_communities)), set(hub_areas)
    if not communities:
        return api.HubCoverage(
            urban_communities=None,
            covered=None,
            share=None,
            target=target,
            met=False,
            note="民政部门尚未登记本辖区的村（社区）名录，暂无法计算覆盖率 / "
            "the civil-affairs office has not yet registered the area's villages and communities, "
            "so coverage is not known yet",
        )
    covered = sum(1 for c in communities if hubs.intersection(ancestors(c)))  # a walk up per community
    ratio = share(covered, len(communities))
    return api.HubCoverage(
        urban_communities=len(communities), covered=covered, share=ratio, target=target, met=ratio >= target
    )


def station_coverage(townships: Sequence[str], station_areas: Iterable[str], target: float) -> api.StationCoverage:
    with_station = set(station_areas) & set(townships)
    ratio = share(len(with_station), len(townships))
    return api.StationCoverage(
        townships=len(townships),
        with_station=len(with_station),
        share=ratio,
        target=target,
        met=ratio is not None and ratio >= target,
        without_station=[t for t in townships if t not in with_station],
    )


def station_trend(
    townships: Sequence[str], openings: Iterable[tuple[str, date]], months: Sequence[date]
) -> list[TrendPoint]:
    """Station coverage of the townships at the end of each month (first days given, oldest first),
    counting the stations opened on or before it."""
    wanted, openings = set(townships), list(openings)
    points = []
    for month in months:
        after = next_month(month)
        covered = {area for area, opened in openings if area in wanted and opened < after}
        points.append(TrendPoint(month=key(month), value=share(len(covered), len(townships))))
    return points


def room_coverage(rooms: Mapping[str, int], communities: Sequence[str]) -> api.RoomCoverage:
    """Rooms per community; against the registered communities when there are any."""
    with_room = sum(1 for c in communities if rooms.get(c))
    return api.RoomCoverage(
        rooms=sum(rooms.values()),
        by_community=per_community(rooms),
        registered_communities=len(communities) if communities else None,
        with_room=with_room if communities else None,
        share=share(with_room, len(communities)),
    )


def count_by(rows: Iterable[Mapping], key: str) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        counts[row[key]] += row["n"]
    return counts


# --- the purchase list -------------------------------------------------------------------------------------


def applicable_items(area: str, lists: Mapping[str, Sequence[Mapping]]) -> list[api.PurchaseItemView]:
    """The items of the area's own list and of every list above it (a county's list applies to its
    communities); when two lists hold a code, the nearer area's item wins."""
    chosen: dict[str, api.PurchaseItemView] = {}
    for level in reversed(ancestors(area)):  # nearest first
        for item in lists.get(level, ()):
            chosen.setdefault(
                item["code"],
                api.PurchaseItemView(
                    code=item["code"],
                    name=item["name"],
                    category=item["category"],
                    max_budget_fen=item["max_budget_fen"],
                    listed_by=level,
                ),
            )
    return list(chosen.values())
