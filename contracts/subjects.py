"""The NATS subject scheme. Subjects carry the jurisdiction so partners can be scoped by wildcards.

    evt.<service>.<event>.v<version>.<province>.<city>.<county>
    e.g. evt.needs.need_raised.v1.13.01.02   (a need raised in 长安区, 石家庄, 河北)
    audit.<service>.<event>.v<version>.<province>.<city>.<county> for audit events (AUDIT stream)
    changed.<service> (core NATS, in no stream): a service's consumer committed effects (kit.bus);
      with `evt.<service>.>` it is how the gateway's view cache hears of every change
    pub.<domain>.<event>.v<version>.<province>.<city>.<county> for public events (PUBLIC stream),
    e.g. pub.needs.need_raised.v1.13.01.02: the redacted form partners read (contracts/public),
    <domain> being the service whose event it is; a partner of 石家庄 reads `pub.*.*.*.13.01.>`.

Province/city/county tokens are the 2-digit pairs of the 6-digit county-level code above the
event's area (a township or community rolls up to its county), so
`evt.needs.*.*.13.01.>` is everything of the needs service in 石家庄.
"""

from __future__ import annotations

from contracts.areas import subject_tokens
from contracts.envelope import Event
from contracts.public.base import PublicEvent

EVENT_PREFIX = "evt"
DLQ_PREFIX = "dlq"
AUDIT_PREFIX = "audit"
PUBLIC_PREFIX = "pub"
CHANGED_PREFIX = "changed"

SERVICES = ("needs", "volunteers", "projects", "charity", "party", "exchange")

# stream name -> subjects it captures. Provisioned by `wushe provision`, never by a service.
STREAMS: dict[str, list[str]] = {
    **{svc.upper(): [f"{EVENT_PREFIX}.{svc}.>"] for svc in SERVICES},
    "PUBLIC": [f"{PUBLIC_PREFIX}.>"],
    "AUDIT": [f"{AUDIT_PREFIX}.>"],
    "DLQ": [f"{DLQ_PREFIX}.>"],
}


Takes = type[Event] | tuple[type[Event], ...]  # what one durable consumer takes: an event, or several


def events_of(takes: Takes) -> tuple[type[Event], ...]:
    return takes if isinstance(takes, tuple) else (takes,)


def stream_of_all(events: tuple[type[Event], ...]) -> str:
    """The one stream a consumer of these events reads (ValueError if they are on several)."""
    streams = {stream_of(e) for e in events}
    if len(streams) != 1:
        raise ValueError(f"a consumer reads one stream, not {sorted(streams)}")
    return streams.pop()


def stream_of(event: type[Event]) -> str:
    if issubclass(event, PublicEvent):
        return "PUBLIC"
    return "AUDIT" if event.audit else event.service.upper()


def _base(event: type[Event]) -> str:
    if issubclass(event, PublicEvent):
        return f"{PUBLIC_PREFIX}.{event.domain()}.{event.event_name()}.v{event.version}"
    prefix = AUDIT_PREFIX if event.audit else EVENT_PREFIX
    return f"{prefix}.{event.service}.{event.event_name()}.v{event.version}"


def event_subject(event: type[Event], area_code: str) -> str:
    province, city, county = subject_tokens(area_code)
    return f"{_base(event)}.{province}.{city}.{county}"


def event_filter(event: type[Event], area_code: str | None = None) -> str:
    """Filter for one event type, optionally only within an area's county-level jurisdiction."""
    return ".".join([_base(event), *_jurisdiction(area_code)])


def public_filter(domain: str, event: str, area_code: str) -> str:
    """Filter for the public events `domain`.`event` (either may be `*`), every version, of an area."""
    return ".".join([PUBLIC_PREFIX, domain, event, "*", *_jurisdiction(area_code)])


def _jurisdiction(area_code: str | None) -> list[str]:
    """The subject tokens of an area: a county's three, or a city's or province's widened by `>`."""
    if area_code is None:
        return [">"]
    tokens = list(subject_tokens(area_code))
    while tokens and tokens[-1] == "00":  # a city or province code: everything below it
        tokens.pop()
    return tokens if len(tokens) == 3 else [*tokens, ">"]


def dlq_subject(consumer: str) -> str:
    return f"{DLQ_PREFIX}.{consumer}"


def changed_subject(service: str) -> str:
    return f"{CHANGED_PREFIX}.{service}"
