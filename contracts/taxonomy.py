"""Code lists shared by services and the console: English codes, Chinese labels first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Self, overload

from pydantic import StringConstraints


class LabelledEnum(StrEnum):
    """A code list whose members carry a zh-CN label and an English label."""

    zh: str
    en: str

    # members are defined with (value, zh, en); a code list is looked up by its value alone
    @overload
    def __new__(cls, value: str) -> Self: ...
    @overload
    def __new__(cls, value: str, zh: str, en: str) -> Self: ...

    def __new__(cls, value: str, zh: str, en: str) -> Self:  # type: ignore[misc]  # see mypy issue #10573
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    @property
    def label(self) -> str:
        """The member as services give a text in both languages, "中文 / English" (the console shows one side)."""
        return f"{self.zh} / {self.en}"


CodeLists = dict[str, dict[str, dict[str, str]]]


def code_lists(lists: Mapping[str, Iterable[LabelledEnum]]) -> CodeLists:
    """{list: {code: {"zh", "en"}}}: code lists as a service serves them (GET /code-lists), so
    the console shows a code in the owner's words and keeps no translation table of its own."""
    return {name: {m.value: {"zh": m.zh, "en": m.en} for m in members} for name, members in lists.items()}


# Need categories are a configurable taxonomy held by the needs service: events and API models
# carry the category's code; NeedCategory below is the standard list every installation starts with.
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class NeedCategory(LabelledEnum):
    DAILY_CARE = "daily_care", "生活照料", "Daily-living care"
    MEAL_AID = "meal_aid", "助餐", "Meal assistance"
    BATH_AID = "bath_aid", "助浴", "Bathing assistance"
    MOBILITY_AID = "mobility_aid", "助行", "Mobility assistance"
    HEALTH_CARE = "health_care", "医疗保健", "Health care"
    EMOTIONAL_COMFORT = "emotional_comfort", "精神慰藉", "Emotional comfort"
    COUNSELLING = "counselling", "心理疏导", "Psychological counselling"
    RECREATION = "recreation", "文体娱乐", "Culture, sports, recreation"
    LEGAL_AID = "legal_aid", "法律援助", "Legal aid"
    TUTORING = "tutoring", "教育辅导", "Tutoring"
    ELDERLY_HOME_ADAPTATION = "elderly_home_adaptation", "适老化改造", "Home adaptation for the elderly"
    OTHER = "other", "其他", "Other"


def category_label(code: str) -> str:
    """The Chinese label of a standard need category; a category an installation added is known
    elsewhere only by its code (its label lives in the needs service's taxonomy)."""
    try:
        return NeedCategory(code).zh
    except ValueError:
        return code


class Urgency(LabelledEnum):
    ROUTINE = "routine", "一般", "Routine"
    MAJOR = "major", "重要", "Major"
    URGENT = "urgent", "紧急", "Urgent"


class Channel(LabelledEnum):
    SELF_REPORT = "self_report", "居民自主上报", "Resident self-report"
    GRID_SURVEY = "grid_survey", "网格员走访", "Grid-worker survey"
    SOCIAL_WORKER_VISIT = "social_worker_visit", "社工走访", "Social-worker visit"
    PORTAL_IMPORT = "portal_import", "平台/热线导入", "Portal or hotline import"


class TargetGroup(LabelledEnum):
    SUBSISTENCE = "subsistence", "低保对象", "Minimum-subsistence recipient"
    EXTREME_POVERTY = "extreme_poverty", "特困人员", "Person in extreme poverty"
    EMPTY_NEST_ELDERLY = "empty_nest_elderly", "空巢老人", "Empty-nest elderly"
    LEFT_BEHIND_CHILD = "left_behind_child", "农村留守儿童", "Rural left-behind child"
    LEFT_BEHIND_WOMAN = "left_behind_woman", "农村留守妇女", "Rural left-behind woman"
    LEFT_BEHIND_ELDERLY = "left_behind_elderly", "农村留守老人", "Rural left-behind elderly"
    CHILD_IN_DIFFICULTY = "child_in_difficulty", "困境儿童", "Child in difficulty"
    DISABLED = "disabled", "残疾人", "Person with disability"


class Route(LabelledEnum):
    VOLUNTEER_TASK = "volunteer_task", "志愿服务任务", "Volunteer task"
    PROJECT = "project", "服务项目", "Service project"
    CHARITY_AID = "charity_aid", "慈善救助", "Charity aid"
    GOVERNMENT_REFERRAL = "government_referral", "转介政府救助", "Referral to government assistance"
