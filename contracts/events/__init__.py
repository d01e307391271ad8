"""Every event of the platform, by CloudEvents type."""
from contracts.envelope import Event
from contracts.events.needs import NeedAssessed, NeedRaised

ALL_EVENTS: tuple[type[Event], ...] = (NeedRaised, NeedAssessed)
BY_TYPE: dict[str, type[Event]] = {e.type_name(): e for e in ALL_EVENTS}

__all__ = ["ALL_EVENTS", "BY_TYPE", "NeedAssessed", "NeedRaised"]
