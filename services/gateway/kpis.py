"""The policy's targets for 2025 (GLOSSARY, policy 四) as KPIs of an area, from the statistics the
projects and volunteers services publish. Each service states its own targets; the one target no
service holds (social-work professionals) is a setting here."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.api import TrendPoint
from contracts.api.views import Kpi, Section

PROVINCE = "province"


class KpiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_KPI_", extra="ignore")

    # 社会工作专业人才 ≥ 10.5 万 (the source text's "１０５万" lost its decimal point: see GLOSSARY)
    social_work_professionals_target: int = 105_000


@lru_cache
def kpi_settings() -> KpiSettings:
    return KpiSettings()


def _trend(points: list[dict] | None) -> list[TrendPoint]:
    return [TrendPoint(month=p["month"], value=p.get("value")) for p in points or []]


def _kpi(
    code: str,
    zh: str,
    en: str,
    unit: str,
    source: Section,
    read: Callable[[dict], dict],
    note: str = "",
    target: float | None = None,
) -> Kpi:
    """One KPI; a section that did not answer leaves it without a value (and without the target the
    service states), saying why."""
    if source.status != "available":
        return Kpi(
            code=code,
            label_zh=zh,
            label_en=en,
            unit=unit,
            target=target,
            value=None,
            met=None,
            source=source.service,
            status=source.status,
            note=note,
        )
    figures = read(source.data)
    return Kpi(
        code=code,
        label_zh=zh,
        label_en=en,
        unit=unit,
        target=figures["target"],
        value=figures["value"],
        met=figures.get("met"),
        trend=_trend(figures.get("trend")),
        source=source.service,
        status="available",
        note=figures.get("note") or note,
    )


def _counted(value: int | None, target: int, level: str) -> dict:
    """A count target is the province's: below it the count is shown, but not judged."""
    return {
        "value": value,
        "target": target,
        "met": (value >= target) if level == PROVINCE and value is not None else None,
    }


def kpi_board(s: dict[str, Section], level: str) -> list[Kpi]:
    province_note = "" if level == PROVINCE else "全省目标，本区域数值仅供参考 / a province-wide target"
    return [
        _kpi(
            "township_station_coverage",
            "乡镇（街道）社工站覆盖率",
            "Township social-work station coverage",
            "ratio",
            s["platforms"],
            lambda d: {
                "value": d["stations"]["share"],
                "target": d["stations"]["target"],
                "met": d["stations"].get("met"),
                "trend": d["stations"].get("trend"),
            },
        ),
        _kpi(
            "hub_coverage",
            "枢纽型社会组织覆盖城市社区",
            "Hub organizations covering urban communities",
            "ratio",
            s["organizations"],
            lambda d: {**d["hub_coverage"], "value": d["hub_coverage"]["share"]},
        ),
        _kpi(
            "full_time_staff",
            "社会组织专职工作人员",
            "Full-time staff of social organizations",
            "count",
            s["organizations"],
            lambda d: _counted(d["full_time_staff"]["total"], d["full_time_staff"]["target"], level),
            province_note,
        ),
        _kpi(
            "social_work_professionals",
            "社会工作专业人才",
            "Social-work professionals",
            "count",
            s["volunteers"],
            lambda d: {
                **_counted(
                    sum(d["social_workers_by_level"].values()), kpi_settings().social_work_professionals_target, level
                ),
                "trend": d.get("social_workers_trend"),
            },
            province_note,
            target=kpi_settings().social_work_professionals_target,
        ),
        _kpi(
            "volunteer_station_coverage",
            "社区综合服务设施志愿服务站点覆盖率",
            "Volunteer stations in community service facilities",
            "ratio",
            s["volunteers"],
            lambda d: {
                "value": d["station_coverage"]["coverage"],
                "target": d["station_coverage"]["target"],
                "met": d["station_coverage"]["met"],
                "trend": d["station_coverage"].get("trend"),
            },
        ),
    ]
