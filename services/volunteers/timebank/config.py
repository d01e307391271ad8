"""The time bank's own settings (prefix WUSHE_TIMEBANK_): credits per verified hour, the floor of a
volunteer's balance and the yearly limit of family transfers."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.volunteers.timebank import domain


class TimebankSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_TIMEBANK_", extra="ignore")

    rate: float = Field(default=1.0, gt=0, description="credits per verified hour")
    floor_units: int = 0  # a volunteer balance never goes below this
    family_limit_units_per_year: int = Field(default=50 * domain.UNITS_PER_CREDIT, ge=0)


@lru_cache
def timebank_settings() -> TimebankSettings:
    return TimebankSettings()
