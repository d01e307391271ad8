"""The needs service's own settings (prefix WUSHE_NEEDS_): the installation's default service
levels (an area's own levels, set by civil affairs through the API, override them) and schedules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.settings import Settings


class NeedsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_NEEDS_", extra="ignore")

    # first response (the assessment) due within, per urgency, in hours
    sla_urgent_hours: float = 24
    sla_major_hours: float = 72
    sla_routine_hours: float = 7 * 24
    revisit_days: float = 7  # 回访 after resolution
    proactive_visit_days: float = 30  # empty-nest elderly, children in difficulty … not visited for
    sla_check_interval_s: float = 60
    # the portals that may post work orders, and their signing secrets (`wushe portal add` writes it)
    portals_file: Path | None = None  # default <home>/keys/portals.json

    def portals_path(self, settings: Settings) -> Path:
        return self.portals_file or settings.path("keys", "portals.json")

    def level_defaults(self) -> dict[str, float]:
        """The installation default of each per-area value (domain.LEVEL_FIELDS)."""
        return {
            "urgent_hours": self.sla_urgent_hours,
            "major_hours": self.sla_major_hours,
            "routine_hours": self.sla_routine_hours,
            "revisit_days": self.revisit_days,
            "proactive_visit_days": self.proactive_visit_days,
        }


@lru_cache
def needs_settings() -> NeedsSettings:
    return NeedsSettings()
