"""The exchange's rules: the public form of an internal event (contracts/public) and its
pseudonyms. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE
from contracts.areas import lookup
from contracts.envelope import Event
from contracts.public import PUBLIC_EVENTS, PUBLIC_OF, PublicEvent
from contracts.public.base import PUBLIC_TYPE_PREFIX
from contracts.subjects import public_filter

Pseudonymize = Callable[[str, str], str]  # (internal ref, public field) -> the partner-facing pseudonym


def public_form(event: Event, pseudonym: Pseudonymize) -> PublicEvent:
    """Only what the public contract names: its fields as the internal event has them, and each
    internal ref replaced by its public pseudonym."""
    public = PUBLIC_OF[type(event)]
    kept = {name: getattr(event, name) for name in public.model_fields if name not in public.pseudonyms}
    hidden = {name: pseudonym(getattr(event, ref), name) for name, ref in public.pseudonyms.items()}
    return public(**kept, **hidden)


# --- partners' scopes -------------------------------------------------------------------------------

PARTNER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


def short_name(public: type[PublicEvent]) -> str:
    """`needs.need_raised`: how partners name an event type in patterns and filters."""
    return f"{public.domain()}.{public.event_name()}"


def covered(patterns: list[str]) -> list[type[PublicEvent]]:
    """The public event types a partner's patterns (`needs.*`, `*.hours_verified`, `*`) cover."""
    return [p for p in PUBLIC_EVENTS if any(fnmatchcase(short_name(p), _whole(pattern)) for pattern in patterns)]


def _whole(pattern: str) -> str:
    return "*.*" if pattern == "*" else pattern


def pattern_error(pattern: str) -> str | None:
    """Why a pattern is refused, or None: `<domain>.<event>`, each a name or `*`, covering something."""
    parts = _whole(pattern).split(".")
    if len(parts) != 2 or not all(p == "*" or re.fullmatch(r"[a-z][a-z_]*", p) for p in parts):
        return f"事件模式应为 <领域>.<事件>，可用 * / a pattern is <domain>.<event>, either may be *: {pattern}"
    if not covered([pattern]):
        return f"没有这样的公开事件 / no public event matches {pattern}"
    return None


# A partner's durable consumers on PUBLIC: these names only, so that no partner can create, take over
# or delete another's (NATS permissions name subjects, and a consumer's name is one token of them).
CONSUMER_SLOTS = 4
SUBJECT_LEVELS = ("province", "city", "county")  # subjects carry the jurisdiction down to the county


# how people name each public event (by short name), zh-CN and English
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "needs.need_raised": ("需求登记", "Need raised"),
    "needs.need_routed": ("需求分派", "Need routed"),
    "needs.need_escalated": ("超时升级", "Need escalated"),
    "needs.need_matched": ("需求对接", "Need matched"),
    "needs.need_resolved": ("需求解决", "Need resolved"),
    "needs.need_feedback_given": ("居民评价", "Resident feedback"),
    "needs.need_returned": ("需求退回", "Need returned"),
    "volunteers.hours_logged": ("服务时长登记", "Hours logged"),
    "volunteers.hours_verified": ("服务时长核实", "Hours verified"),
    "projects.project_published": ("项目发布", "Project published"),
    "projects.project_procured": ("项目确定承接方", "Project procured"),
    "projects.project_milestone_reported": ("项目进度报告", "Milestone reported"),
    "projects.project_evaluated": ("项目评估", "Project evaluated"),
    "projects.project_closed": ("项目结项", "Project closed"),
    "charity.donation_received": ("收到捐赠", "Donation received"),
    "charity.donation_earmarked": ("定向捐赠", "Donation earmarked"),
    "charity.funds_disbursed": ("资金拨付", "Funds disbursed"),
    "party.matter_decided": ("重大事项决定", "Matter decided"),
    "party.whistle_blown": ("吹哨", "Whistle blown"),
    "party.whistle_closed": ("吹哨办结", "Whistle closed"),
}


def event_label(type_name: str) -> str:
    """A public event's Chinese name from its CloudEvents type or short name (or a portal's progress)."""
    if type_name == WORK_ORDER_PROGRESS_TYPE:
        return "工单进展"
    short = type_name.removeprefix(f"{PUBLIC_TYPE_PREFIX}.").rsplit(".v", 1)[0]
    return EVENT_LABELS[short][0]


def consumer_names(partner: str) -> list[str]:
    return [f"{partner}-{slot}" for slot in range(1, CONSUMER_SLOTS + 1)]


def stream_filters(area_code: str, patterns: list[str]) -> list[str]:
    """The PUBLIC subjects a partner may read, one per pattern: `needs.*` of 石家庄 is
    `pub.needs.*.*.13.01.>`. A consumer's filter must be one of them or inside one."""
    return [public_filter(*_whole(pattern).split("."), area_code) for pattern in patterns]


def area_error(area_code: str) -> str | None:
    """Why an area cannot be a partner's, or None: known, and a county or above."""
    area = lookup(area_code)
    if area is None:
        return f"未知的行政区划代码 / unknown area code: {area_code}"
    if area.level not in SUBJECT_LEVELS:
        return (
            f"合作方辖区须为县级及以上（消息主题只细到县）/ a partner's area is a county or above "
            f"(subjects carry the jurisdiction down to the county): {area.name}"
        )
    return None


def requested_types(asked: list[str], allowed: list[type[PublicEvent]]) -> list[type[PublicEvent]]:
    """The types a page filter names (short names or CloudEvents types), all of the partner's when
    none; ValueError naming a type that is unknown, LookupError naming one outside the scope."""
    if not asked:
        return allowed
    by_name = {short_name(p): p for p in PUBLIC_EVENTS} | {p.type_name(): p for p in PUBLIC_EVENTS}
    if unknown := [a for a in asked if a not in by_name]:
        raise ValueError(", ".join(unknown))
    if outside := [a for a in asked if by_name[a] not in allowed]:
        raise LookupError(", ".join(outside))
    return [by_name[a] for a in asked]


def parse_cursor(after: str | None) -> int:
    """A cursor is the opaque `next` of a page: the last position read (0: from the beginning)."""
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise ValueError(after)
    return int(after)
