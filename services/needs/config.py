"""The needs service's own settings (prefix WUSHE_NEEDS_): service levels and schedules."""
from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.needs.domain import ServiceLevels


class NeedsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_NEEDS_", extra="ignore")

    # first response (the assessment) due within, per urgency, in hours
    sla_urgent_hours: float = 24
    sla_major_hours: float = 72
    sla_routine_hours: float = 7 * 24
    revisit_days: float = 7  # 回访 after resolution
    proactive_visit_days: float = 30  # empty-nest elderly, children in difficulty … not visited for
    sla_check_interval_s: float = 60

    def levels(self) -> ServiceLevels:
        return ServiceLevels.from_hours(self.sla_urgent_hours, self.sla_major_hours, self.sla_routine_hours,
                                        self.revisit_days, self.proactive_visit_days)


@lru_cache
def needs_settings() -> NeedsSettings:
    return NeedsSettings()
