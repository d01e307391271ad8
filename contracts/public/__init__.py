"""Public events (contracts/public): the redacted, versioned forms of the internal events partners
may see, published by the exchange service to the PUBLIC stream. Internal events never leave the
platform as they are; an internal event without a public form here is not shown outside."""

from __future__ import annotations

from contracts.envelope import Event
from contracts.public import charity, needs, party, projects, volunteers
from contracts.public.base import PUBLIC_TYPE_PREFIX, PublicEvent

PUBLIC_EVENTS: tuple[type[PublicEvent], ...] = (
    *needs.EVENTS,
    *volunteers.EVENTS,
    *projects.EVENTS,
    *charity.EVENTS,
    *party.EVENTS,
)
PUBLIC_OF: dict[type[Event], type[PublicEvent]] = {p.internal: p for p in PUBLIC_EVENTS}
BY_PUBLIC_TYPE: dict[str, type[PublicEvent]] = {p.type_name(): p for p in PUBLIC_EVENTS}

__all__ = ["BY_PUBLIC_TYPE", "PUBLIC_EVENTS", "PUBLIC_OF", "PUBLIC_TYPE_PREFIX", "PublicEvent"]
