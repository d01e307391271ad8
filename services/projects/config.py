"""The projects service's own settings (prefix WUSHE_PROJECTS_): the party gate, deadlines and the
evaluation weights (validated at start: residents' satisfaction must weigh the most)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.projects.delivery.domain import check_evaluation_weights


class ProjectsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_PROJECTS_", extra="ignore")

    review_threshold_fen: int = 5_000_000  # from 50,000 元 a project goes to the party organization
    review_timeout_days: float = 30  # a project not decided by then is closed (review_timed_out)
    min_bid_days: float = 0  # shortest call for bids (0: any future deadline)
    evaluation_weights: dict[str, float] = {"resident_satisfaction": 50, "indicators": 30, "third_party": 20}
    check_interval_s: float = 30
    # a fund opened a moment ago reaches this service by event (FundOpened): a funding line naming a
    # fund not known yet waits this long for it before it is refused
    fund_grace_s: float = Field(default=2.0, ge=0, le=30)
    # the policy's targets for 2025, configurable like every target
    full_time_staff_target: int = Field(default=400_000, gt=0)  # 社会组织专职工作人员 ≥ 40 万 (province)
    hub_coverage_target: float = Field(default=1.0, gt=0, le=1)  # 枢纽型社会组织覆盖所有城市社区
    station_coverage_target: float = Field(default=1.0, gt=0, le=1)  # 乡镇（街道）社工站全覆盖

    @field_validator("evaluation_weights")
    @classmethod
    def _satisfaction_first(cls, weights: dict[str, float]) -> dict[str, float]:
        check_evaluation_weights(weights)
        return weights

    def review_timeout(self) -> timedelta:
        return timedelta(days=self.review_timeout_days)


@lru_cache
def projects_settings() -> ProjectsSettings:
    return ProjectsSettings()
