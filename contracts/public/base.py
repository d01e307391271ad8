"""The base of every public event: the redacted form of one internal event that partners may see.

A public event is a whitelist of its internal event's fields: whatever it does not name never
leaves the platform. People appear only by a partner-facing pseudonym (a keyed hash of the
internal ref, so a partner cannot join it with anything inside), never by an internal account or
ref; free text that could carry personal data is not named, amounts and categories are.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from pydantic import Field, create_model

from contracts.envelope import TYPE_PREFIX, Event

PUBLIC_TYPE_PREFIX = f"{TYPE_PREFIX}.pub"


class PublicEvent(Event):
    """Published by the exchange service to the PUBLIC stream (`pub.<domain>.<event>.v<N>.…`)."""

    service: ClassVar[str] = "exchange"
    internal: ClassVar[type[Event]]  # the internal event it is the public form of
    # public field -> the internal field it is the pseudonym of, e.g. {"volunteer": "volunteer_ref"}
    pseudonyms: ClassVar[dict[str, str]] = {}

    @classmethod
    def domain(cls) -> str:
        """The service whose event it is: the subject's and the type's second token."""
        return cls.internal.service

    @classmethod
    def type_name(cls) -> str:
        return f"{PUBLIC_TYPE_PREFIX}.{cls.domain()}.{cls.event_name()}.v{cls.version}"


def public_event(
    internal: type[Event], keep: tuple[str, ...], pseudonyms: dict[str, str] | None = None
) -> type[PublicEvent]:
    """The public form of `internal`: the fields in `keep`, exactly as the internal event declares
    them, and one pseudonym field per entry of `pseudonyms`."""
    declared = internal.model_fields
    if unknown := [f for f in (*keep, *(pseudonyms or {}).values()) if f not in declared]:
        raise ValueError(f"{internal.__name__} has no field {unknown}")
    fields: dict[str, Any] = {name: (declared[name].annotation, declared[name]) for name in keep}
    for public, ref in (pseudonyms or {}).items():
        fields[public] = (str, Field(description=f"partner-facing pseudonym of the {ref.removesuffix('_ref')}"))
    model = create_model(
        internal.__name__,
        __base__=PublicEvent,
        __module__=f"contracts.public.{internal.service}",
        __doc__=f"Public form of {internal.__name__}: {(internal.__doc__ or '').strip()}",
        **fields,
    )
    model.internal = internal
    model.pseudonyms = dict(pseudonyms or {})
    return cast("type[PublicEvent]", model)
