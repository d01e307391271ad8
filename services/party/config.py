"""The party service's own settings (prefix WUSHE_PARTY_): review and response deadlines, schedules."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.taxonomy import Urgency


class PartySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_PARTY_", extra="ignore")

    matter_review_days: float = 10  # a major matter must be decided within, else it goes to the township
    foundation_threshold_fen: int = 5_000_000  # community-foundation spending from 50,000 元 is a major matter
    whistle_urgent_minutes: float = 30  # a whistle must be answered (接单) within, per urgency
    whistle_major_minutes: float = 120
    whistle_routine_minutes: float = 24 * 60
    check_interval_s: float = 30  # how often overdue matters, whistles and actions are looked for

    def matter_review(self) -> timedelta:
        return timedelta(days=self.matter_review_days)

    def whistle_response(self, urgency: Urgency | str) -> timedelta:
        minutes = {
            Urgency.URGENT: self.whistle_urgent_minutes,
            Urgency.MAJOR: self.whistle_major_minutes,
            Urgency.ROUTINE: self.whistle_routine_minutes,
        }[Urgency(urgency)]
        return timedelta(minutes=minutes)


@lru_cache
def party_settings() -> PartySettings:
    return PartySettings()
