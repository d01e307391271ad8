"""The volunteers service's own settings (prefix WUSHE_VOLUNTEERS_): how far the times of an hours
record may stray from the clock and from the task's time window, and the longest single record
accepted without a verifier's override. (The time bank has its own: WUSHE_TIMEBANK_.)"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.volunteers.domain import HourLimits


class VolunteersSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_VOLUNTEERS_", extra="ignore")

    clock_skew_minutes: float = Field(default=5, ge=0, le=60)  # a phone's clock a little ahead is not a lie
    window_before_hours: float = Field(default=2, ge=0, le=72)  # arriving early to set up
    window_after_hours: float = Field(default=2, ge=0, le=72)  # staying on after the task's window
    max_log_minutes: int = Field(default=8 * 60, ge=60, le=24 * 60)  # longer: verified only with an override

    def hour_limits(self) -> HourLimits:
        return HourLimits(
            skew=timedelta(minutes=self.clock_skew_minutes),
            before_window=timedelta(hours=self.window_before_hours),
            after_window=timedelta(hours=self.window_after_hours),
            max_log_minutes=self.max_log_minutes,
        )


@lru_cache
def volunteers_settings() -> VolunteersSettings:
    return VolunteersSettings()
