"""Pure rules of 党建联席会议 (party-building joint meetings): who must sit at the table, what a
resolution's actions ask of which service, and how an action is followed up. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from contracts.areas import contains, lookup
from contracts.taxonomy import LabelledEnum


class Actor(LabelledEnum):
    COMMUNITY = "community", "社区", "Community"
    PARTY = "party", "党组织", "Party organization"
    SOCIAL_ORG = "social_org", "社会组织", "Social organization"
    SOCIAL_WORKER = "social_worker", "社会工作者", "Social worker"
    VOLUNTEER = "volunteer", "志愿者", "Volunteer"
    CHARITY = "charity", "慈善资源", "Charity"


# 五社联动 under the party's lead: the party organization convenes and chairs (only a party
# secretary may convene, see api.py); the four other actors must each send someone, or the
# meeting cannot commit them to anything.
REQUIRED_ACTORS: tuple[Actor, ...] = (Actor.SOCIAL_ORG, Actor.SOCIAL_WORKER, Actor.VOLUNTEER, Actor.CHARITY)
MEETING_LEVELS = ("township", "community", "village")  # a street's or a community's (village's) meeting


def missing_actors(actors: Iterable[str]) -> list[Actor]:
    """The required actors nobody represents, in the order of REQUIRED_ACTORS."""
    present = set(actors)
    return [a for a in REQUIRED_ACTORS if a.value not in present]


def meeting_level_ok(area_code: str) -> bool:
    area = lookup(area_code)
    return area is not None and area.level in MEETING_LEVELS


def related_areas(meeting_area: str, item_area: str) -> bool:
    """An item concerns a meeting when one area contains the other: a street's meeting takes its
    communities' items, a community's meeting may take a street-level item about it."""
    return contains(meeting_area, item_area) or contains(item_area, meeting_area)


# --- actions -----------------------------------------------------------------------------------------


class ActionKind(LabelledEnum):
    VOLUNTEER_TASK = "volunteer_task", "派发志愿服务任务", "volunteer task"
    PROPOSE_PROJECT = "propose_project", "提出服务项目", "propose a project"
    EARMARK_FUNDS = "earmark_funds", "安排慈善资金", "earmark funds"
    OTHER = "other", "其他事项", "other"


TARGET_SERVICE: dict[ActionKind, str] = {
    ActionKind.VOLUNTEER_TASK: "volunteers",
    ActionKind.PROPOSE_PROJECT: "projects",
    ActionKind.EARMARK_FUNDS: "charity",
    ActionKind.OTHER: "party",  # followed up by the party organization itself
}


def target_service(kind: str) -> str:
    return TARGET_SERVICE[ActionKind(kind)]


def action_problems(kind: str, amount_fen: int | None, due_at: datetime, at: datetime) -> list[tuple[str, str]]:
    """(field, message) for each rule an action breaks: money only where money moves, and a
    deadline still ahead."""
    problems = []
    if kind == ActionKind.EARMARK_FUNDS and not amount_fen:
        problems.append(("amount_fen", "安排资金须写明金额（分）/ an earmark needs an amount in fen"))
    if kind == ActionKind.VOLUNTEER_TASK and amount_fen:
        problems.append(("amount_fen", "志愿服务不涉及金额 / a volunteer task carries no money"))
    if due_at <= at:
        problems.append(("due_at", "完成时限须晚于现在 / the deadline must be in the future"))
    return problems


class MeetingStatus(LabelledEnum):
    SCHEDULED = "scheduled", "待召开", "Scheduled"
    HELD = "held", "已召开", "Held"


class ActionStatus(LabelledEnum):
    DISPATCHED = "dispatched", "已派发", "Dispatched"
    IN_PROGRESS = "in_progress", "办理中", "In progress"
    DONE = "done", "已办结", "Done"


# Forward only. An action may be reported done without a separate "started" step (an earmark is
# one act); in_progress → in_progress records a further progress note; done is final.
NEXT: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.DISPATCHED: frozenset({ActionStatus.IN_PROGRESS, ActionStatus.DONE}),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.IN_PROGRESS, ActionStatus.DONE}),
    ActionStatus.DONE: frozenset(),
}


class IllegalProgress(Exception):
    def __init__(self, status: str, to: str) -> None:
        self.status, self.to = status, to
        super().__init__(
            f"已办结的事项不能再变更 / action is {status}, cannot become {to}"
            if status == ActionStatus.DONE
            else f"{status} → {to} 不允许 / not allowed"
        )


def progress(status: str, to: str) -> ActionStatus:
    """The action's status after a follow-up report, or IllegalProgress."""
    current, target = ActionStatus(status), ActionStatus(to)
    if target not in NEXT[current]:
        raise IllegalProgress(current.value, target.value)
    return target


def is_overdue(status: str, due_at: datetime, at: datetime) -> bool:
    """Past its deadline and not done: the meeting's follow-up must chase it."""
    return status != ActionStatus.DONE and due_at <= at
