"""The exchange's rules: the public form of an internal event (contracts/public) and its
pseudonyms. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase

from contracts.envelope import Event
from contracts.public import PUBLIC_EVENTS, PUBLIC_OF, PublicEvent

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
