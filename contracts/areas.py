"""Hebei administrative area codes (统计用区划代码) and the hierarchy between them.

The CSV holds province/city/county (6 digits) and township (9 digits) rows. 12-digit
village/community codes are too numerous to ship, so they are derived from their township.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache, lru_cache
from importlib.resources import files
from typing import NamedTuple, cast

_CODE_RE = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}")
# Levels that carry a 6-digit GB/T 2260 code; NATS subject tokens come from these.
_GB2260_LEVELS = ("province", "city", "county")


class Area(NamedTuple):
    code: str
    name: str
    level: str  # province | city | county | township | community | village
    parent: str | None  # None only for the province


@cache
def _table() -> dict[str, Area]:
    # Loaded on first use so importing contracts stays cheap; cached for the process lifetime.
    text = files(__package__).joinpath("data/hebei-areas.csv").read_text(encoding="utf-8")
    return {
        row["code"]: Area(row["code"], row["name"], row["level"], row["parent"] or None)
        for row in csv.DictReader(io.StringIO(text))
    }


def lookup(code: str) -> Area | None:
    """Return the area for a 6, 9 or 12-digit code, or None when it is unknown."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        return None
    return _lookup(code)


# every event and request validates its area codes (twice for an event: envelope and data), and a
# community's Area is built from its township's: the recent ones kept (bounded: codes come from outside)
@lru_cache(maxsize=8192)
def _lookup(code: str) -> Area | None:
    if len(code) != 12:
        return _table().get(code)
    township = _table().get(code[:9])
    if township is None or township.level != "township":
        return None
    suffix = code[9:]
    number = int(suffix)
    if 1 <= number <= 199:  # 居委会
        level, kind = "community", "社区"
    elif 200 <= number <= 399:  # 村委会
        level, kind = "village", "村"
    else:
        return None
    return Area(code, f"{township.name}{suffix}号{kind}", level, township.code)


def ancestors(code: str) -> list[str]:
    """Codes from the province down to and including `code`.

    Follows the `parent` column rather than code prefixes, because some county-level
    units sit under a city whose code is not their prefix (e.g. 辛集 130181 → 130100).
    """
    area = lookup(code)
    if area is None:
        raise KeyError(code)
    chain = [area.code]
    while area.parent is not None:
        area = _table()[area.parent]
        chain.append(area.code)
    return chain[::-1]


def children(code: str) -> list[Area]:
    """The areas directly under `code`, by code (empty for a township: its villages and communities
    are not shipped, see above)."""
    return sorted((a for a in _table().values() if a.parent == code), key=lambda a: a.code)


def contains(outer: str, inner: str) -> bool:
    """True when `outer` is `inner` or one of its ancestors; unknown codes never match."""
    try:
        return outer in ancestors(inner)
    except KeyError:
        return False


def subject_tokens(code: str) -> tuple[str, str, str]:
    """(province, city, county) 2-digit tokens used in NATS subjects.

    Taken from the deepest 6-digit ancestor (county, or the code itself at city/province
    level), so a township or village inherits its county's tokens.
    """
    six = [c for c in ancestors(code) if cast(Area, lookup(c)).level in _GB2260_LEVELS][-1]
    return six[0:2], six[2:4], six[4:6]


def code_prefix(code: str) -> str:
    """The prefix every code inside `code` starts with (130000 → 13, 130100 → 1301), for
    matching an area and everything below it with SQL `LIKE prefix || '%'`."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code
