"""The organization of volunteer service's own settings (prefix WUSHE_ORGANIZATION_): the station
coverage target."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OrganizationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_ORGANIZATION_", extra="ignore")

    # 志愿服务站点 in ≥ 80% of community service facilities; configurable like every policy target
    station_coverage_target: float = Field(default=0.8, gt=0, le=1)


@lru_cache
def organization_settings() -> OrganizationSettings:
    return OrganizationSettings()
