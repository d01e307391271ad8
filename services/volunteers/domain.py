"""Pure rules of the volunteers service: the explained matching score, the batch assignment,
and the rules for hours. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import linear_sum_assignment

from contracts.areas import contains
from contracts.taxonomy import LabelledEnum

LOCAL = ZoneInfo("Asia/Shanghai")  # weekly availability is in local time
MAX_MINUTES_PER_DAY = 12 * 60  # more than this in a day is flagged for review


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    id: UUID
    area_code: str
    required_skills: tuple[str, ...] = ()
    window_start: datetime | None = None
    window_end: datetime | None = None
    slots: int = 1


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True)
class Candidate:
    id: UUID
    home_area: str
    skills: frozenset[str] = frozenset()
    service_areas: tuple[str, ...] = ()
    availability: tuple[Slot, ...] = ()
    recent_minutes: int = 0  # served in the last 30 days: fairness spreads the work
    done: int = 0  # tasks served
    no_shows: int = 0
    mean_satisfaction: float | None = None  # residents' 1–5 judgement of tasks served


WEIGHTS = {
    "skills": 0.35,
    "distance": 0.20,
    "availability": 0.20,
    "fairness": 0.10,
    "reliability": 0.10,
    "satisfaction": 0.05,
}
LABELS = {
    "skills": "技能匹配",
    "distance": "距离",
    "availability": "时间匹配",
    "fairness": "工作量均衡",
    "reliability": "守约",
    "satisfaction": "居民满意度",
}


@dataclass(frozen=True)
class Part:
    name: str
    value: float
    why: str

    @property
    def weight(self) -> float:
        return WEIGHTS[self.name]


@dataclass(frozen=True)
class Score:
    total: float
    parts: tuple[Part, ...] = field(default=())


def skill_fit(required: tuple[str, ...], skills: frozenset[str]) -> Part:
    if not required:
        return Part("skills", 1.0, "任务不要求特定技能 / no skills required")
    have = [s for s in required if s in skills]
    return Part(
        "skills", len(have) / len(required), f"具备 {len(have)}/{len(required)} 项技能：{'、'.join(have) or '无'}"
    )


def distance(task_area: str, home: str, service_areas: tuple[str, ...]) -> Part:
    """Same community > same township > same county (or a wider area the volunteer offered to
    serve), over the home community and the declared service areas."""
    best = max(_closeness(area, task_area) for area in (home, *service_areas))
    why = {1.0: "同一社区", 0.6: "同一街道（乡镇）", 0.3: "同一区县或自愿服务的区域", 0.0: "不在服务范围内"}[best]
    return Part("distance", best, why)


def _closeness(area: str, task_area: str) -> float:
    if len(area) == 12 and area == task_area:
        return 1.0
    if len(area) >= 9 and len(task_area) >= 9 and area[:9] == task_area[:9]:
        return 0.6
    if area[:6] == task_area[:6] or contains(area, task_area):
        return 0.3
    return 0.0


def availability_overlap(start: datetime | None, end: datetime | None, slots: tuple[Slot, ...]) -> Part:
    """The share of the task's time window covered by the volunteer's weekly availability."""
    if start is None or end is None:
        value = 1.0 if slots else 0.5
        return Part("availability", value, "任务未限定时间" if slots else "任务未限定时间，志愿者未填写可服务时间")
    covered, cursor, end_local = timedelta(), start.astimezone(LOCAL), end.astimezone(LOCAL)
    while cursor < end_local:  # walk the window day by day
        day_end = min(end_local, datetime.combine(cursor.date() + timedelta(days=1), time(), LOCAL))
        for slot in slots:
            if slot.weekday != cursor.weekday():
                continue
            lo = max(cursor, datetime.combine(cursor.date(), slot.start, LOCAL))
            hi = min(day_end, datetime.combine(cursor.date(), slot.end, LOCAL))
            if hi > lo:
                covered += hi - lo
        cursor = day_end
    value = min(1.0, covered / (end - start))
    return Part("availability", value, f"可服务时间覆盖任务时段的 {value:.0%}")


def fairness(recent_minutes: int) -> Part:
    hours = recent_minutes / 60
    return Part("fairness", 1 / (1 + hours / 10), f"近 30 天已服务 {hours:.1f} 小时")


def reliability(done: int, no_shows: int) -> Part:
    return Part("reliability", (done + 1) / (done + no_shows + 1), f"完成 {done} 次，爽约 {no_shows} 次")


def satisfaction(mean: float | None) -> Part:
    if mean is None:
        return Part("satisfaction", 0.8, "尚无居民评价（按 4 分计）")
    return Part("satisfaction", mean / 5, f"居民平均评价 {mean:.1f} 分")


def score(task: TaskSpec, c: Candidate) -> Score:
    parts = (
        skill_fit(task.required_skills, c.skills),
        distance(task.area_code, c.home_area, c.service_areas),
        availability_overlap(task.window_start, task.window_end, c.availability),
        fairness(c.recent_minutes),
        reliability(c.done, c.no_shows),
        satisfaction(c.mean_satisfaction),
    )
    return Score(round(sum(p.value * p.weight for p in parts), 4), parts)


def rank(task: TaskSpec, candidates: list[Candidate]) -> list[tuple[Candidate, Score]]:
    """Best first; someone outside every service area of the task is not a candidate."""
    scored = [(c, score(task, c)) for c in candidates]
    return sorted([(c, s) for c, s in scored if s.parts[1].value > 0], key=lambda cs: (-cs[1].total, str(cs[0].id)))


def assign_batch(tasks: list[TaskSpec], candidates: list[Candidate]) -> tuple[list[tuple[UUID, UUID, float]], float]:
    """Fill many tasks at once with the assignment that maximises the total score (each
    volunteer at most one task of the batch, each task up to its slots). An optimal assignment
    (Hungarian method via SciPy), so one early task cannot take the volunteer a later task needed."""
    columns = [t for t in tasks for _ in range(t.slots)]
    if not columns or not candidates:
        return [], 0.0
    matrix = np.array([[_eligible_score(t, c) for t in columns] for c in candidates])
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    chosen = [
        (columns[j].id, candidates[i].id, float(matrix[i, j]))
        for i, j in zip(rows, cols, strict=False)
        if matrix[i, j] > 0
    ]
    return chosen, round(sum(s for *_, s in chosen), 4)


def assign_greedy(tasks: list[TaskSpec], candidates: list[Candidate]) -> tuple[list[tuple[UUID, UUID, float]], float]:
    """One task after another, each taking its best free volunteers: the baseline for comparison."""
    free, chosen = list(candidates), []
    for task in tasks:
        for _ in range(task.slots):
            best = max(free, key=lambda c: _eligible_score(task, c), default=None)
            if best is None or _eligible_score(task, best) <= 0:
                break
            chosen.append((task.id, best.id, _eligible_score(task, best)))
            free.remove(best)
    return chosen, round(sum(s for *_, s in chosen), 4)


def _eligible_score(task: TaskSpec, c: Candidate) -> float:
    s = score(task, c)
    return s.total if s.parts[1].value > 0 else 0.0


# --- hours -------------------------------------------------------------------------------------


class HoursRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def minutes_served(check_in: datetime, check_out: datetime) -> int:
    if check_out <= check_in:
        raise HoursRefused("check_out", "签退时间须晚于签到时间 / check-out must be after check-in")
    minutes = int((check_out - check_in).total_seconds() // 60)
    if minutes < 1:
        raise HoursRefused("check_out", "服务时长不足 1 分钟 / less than a minute of service")
    return minutes


def overlapping(check_in: datetime, check_out: datetime, others: list[tuple[datetime, datetime | None]]) -> bool:
    """One volunteer cannot be in two places at once: refuse a log that overlaps another."""
    far = datetime.max.replace(tzinfo=check_in.tzinfo)
    return any(check_in < (o_out or far) and o_in < check_out for o_in, o_out in others)


def flagged(day_minutes_before: int, minutes: int) -> bool:
    """More than 12 hours in one (local) day is kept but flagged for the verifier."""
    return day_minutes_before + minutes > MAX_MINUTES_PER_DAY


# --- trust in hours: times that happened, records a verifier can believe ---------------------------


@dataclass(frozen=True)
class HourLimits:
    skew: timedelta = timedelta(minutes=5)  # a clock a little ahead of ours
    before_window: timedelta = timedelta(hours=2)  # tolerance around the task's time window
    after_window: timedelta = timedelta(hours=2)
    max_log_minutes: int = 8 * 60  # a longer single record needs the verifier's override


def _local(at: datetime) -> str:
    return f"{at.astimezone(LOCAL):%Y-%m-%d %H:%M}"


def check_time(
    field: str,
    at: datetime,
    now: datetime,
    window_start: datetime | None,
    window_end: datetime | None,
    limits: HourLimits,
) -> None:
    """A check-in or check-out must have happened (not in the future, beyond a small clock skew)
    and lie within the task's time window, give or take the tolerance. A task without a window
    has only the first rule."""
    if at > now + limits.skew:
        raise HoursRefused(field, "时间不能晚于当前时间 / the time cannot be in the future")
    early = window_start is not None and at < window_start - limits.before_window
    late = window_end is not None and at > window_end + limits.after_window
    if early or late:
        span = f"{_local(window_start) if window_start else '…'} – {_local(window_end) if window_end else '…'}"
        raise HoursRefused(
            field,
            f"时间不在任务时段（{span}，北京时间）前后允许的范围内 / "
            "the time lies outside the task's time window and its tolerance",
        )


def needs_override(minutes: int, limits: HourLimits) -> bool:
    """A single record longer than the limit is kept, but only a verifier's explicit override
    (with a reason) can approve it."""
    return minutes > limits.max_log_minutes


def check_approval(needs_override: bool, override: bool, reason: str) -> None:
    """Approving a record that needs an override takes `override: true` and a reason."""
    if not needs_override:
        return
    if not override:
        raise HoursRefused(
            "override",
            "单次服务时长超过上限，核实须明确确认（override）并说明理由 / "
            "this record is longer than the limit: approving it needs an explicit override",
        )
    if not reason.strip():
        raise HoursRefused("reason", "确认超时长记录须说明理由 / an override needs a reason")


# --- scope of an organization ------------------------------------------------------------------


def organizer_refs(sub: str) -> list[str]:
    """The `created_by` of an organization's tasks: the ones it created by hand, and the ones it
    asked for through one of its projects (the projects service opens those as "projects:<who>")."""
    return [sub, f"projects:{sub}"]


def organized_by(created_by: str, sub: str) -> bool:
    return created_by in organizer_refs(sub)


# --- what a volunteer sees of their own service (我的志愿服务) -----------------------------------------


class TaskStatus(LabelledEnum):
    OPEN = "open", "招募中", "Recruiting"
    FILLED = "filled", "已满员", "Filled"
    CLOSED = "closed", "已结束", "Closed"


class TaskSource(LabelledEnum):
    MANUAL = "manual", "社区发布", "Posted by the community"
    NEED_ROUTED = "need_routed", "需求分派", "From a routed need"
    JOINT_MEETING = "joint_meeting", "联席会议派发", "From a joint meeting"
    PROJECT = "project", "服务项目招募", "For a project"


class AssignmentStatus(LabelledEnum):
    INVITED = "invited", "待回复", "Invited"
    ACCEPTED = "accepted", "已报名", "Signed up"
    DECLINED = "declined", "已婉拒", "Declined"
    NO_SHOW = "no_show", "未到场", "Did not come"


class Provenance(LabelledEnum):
    SELF_CHECK_IN = "self_check_in", "本人签到签退", "Checked in and out by the volunteer"
    ORGANIZER_ENTRY = "organizer_entry", "组织方录入", "Entered by the organizer"
    BACKFILL = "backfill", "补录", "Entered afterwards"


class LogStatus(LabelledEnum):
    OPEN = "open", "服务中（已签到）", "Checked in"
    LOGGED = "logged", "待核实", "Awaiting verification"
    VERIFIED = "verified", "已核实", "Verified"
    REJECTED = "rejected", "已驳回", "Rejected"


def may_sign_up(task_area: str, home_area: str, service_areas: list[str]) -> bool:
    """A volunteer signs up for tasks in their home county, or in an area they offered to serve."""
    return contains(home_area[:6], task_area) or any(contains(a, task_area) for a in service_areas)
