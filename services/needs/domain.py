"""Pure rules of the need library: the need's state machine, SLA and revisit rules, masking.
No I/O: everything here is unit-tested with plain values and a given clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.api.needs import ResidentMasked
from contracts.areas import ancestors
from contracts.events.needs import LEVEL_FIELDS
from contracts.taxonomy import LabelledEnum, Urgency
from contracts.values import mask_citizen_id, mask_name, mask_phone


class Status(LabelledEnum):
    RAISED = "raised", "已登记", "Raised"
    ROUTED = "routed", "已评估分派", "Assessed and routed"
    MATCHED = "matched", "已对接", "Matched"
    RESOLVED = "resolved", "已解决", "Resolved"
    CLOSED = "closed", "已办结", "Closed"
    REOPENED = "reopened", "已重新打开", "Reopened"
    DISPUTED = "disputed", "调处中", "In mediation"
    RETURNED = "returned", "已退回", "Returned"


class Action(LabelledEnum):
    ASSESS = "assess", "评估分派", "assess and route"
    MATCH = "match", "对接", "match"
    RESOLVE = "resolve", "确认解决", "confirm resolution"
    FEEDBACK_SATISFIED = "feedback_satisfied", "满意评价", "satisfied feedback"
    FEEDBACK_UNSATISFIED = "feedback_unsatisfied", "不满意评价", "unsatisfied feedback"
    DISPUTE = "dispute", "提出异议", "dispute"
    SETTLE = "settle", "调处办结", "settle the mediation"
    RETURN = "return", "退回", "return"


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.RAISED, A.ASSESS): S.ROUTED,
    (S.REOPENED, A.ASSESS): S.ROUTED,
    (S.ROUTED, A.MATCH): S.MATCHED,
    (S.ROUTED, A.RESOLVE): S.RESOLVED,  # e.g. a referral settled outside the platform
    (S.MATCHED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.FEEDBACK_SATISFIED): S.CLOSED,
    (S.RESOLVED, A.FEEDBACK_UNSATISFIED): S.REOPENED,
    (S.RESOLVED, A.DISPUTE): S.DISPUTED,
    (S.CLOSED, A.DISPUTE): S.DISPUTED,
    (S.DISPUTED, A.SETTLE): S.CLOSED,
    # 退单: only before it is routed, so no service has taken it up and nothing is left open
    (S.RAISED, A.RETURN): S.RETURNED,
    (S.REOPENED, A.RETURN): S.RETURNED,
}
# why an action is refused, by action: shown to the worker in the 409
PRECONDITIONS = {
    A.ASSESS: "只有已登记或已重新打开的需求可以评估 / only a raised or reopened need can be assessed",
    A.MATCH: "只有已分派的需求可以对接 / only a routed need can be matched",
    A.RESOLVE: "只有已分派或已对接的需求可以确认解决 / only a routed or matched need can be resolved",
    A.FEEDBACK_SATISFIED: "只有已解决的需求可以评价 / only a resolved need takes feedback",
    A.FEEDBACK_UNSATISFIED: "只有已解决的需求可以评价 / only a resolved need takes feedback",
    A.DISPUTE: "只有已解决或已办结的需求可以提出异议 / only a resolved or closed need can be disputed",
    A.SETTLE: "只有调处中的需求可以办结调处 / only a need in mediation can be settled",
    A.RETURN: "只有尚未分派的需求（已登记或已重新打开）可以退回 / only a need not yet routed can be returned",
}
OPEN = frozenset({S.RAISED, S.ROUTED, S.MATCHED, S.REOPENED, S.DISPUTED})
RESOLVED = frozenset({S.RESOLVED, S.CLOSED})  # met: confirmed resolved, or closed after the resident's judgement


def resolution_rate(by_status: Mapping[str, int]) -> float | None:
    """Needs met over needs the community took on. A returned need (退单) went back to whoever sent
    it, e.g. a portal's work order outside the community's remit: it was not left unresolved, so it
    counts on neither side."""
    taken_on = sum(n for status, n in by_status.items() if status != S.RETURNED)
    met = sum(by_status.get(status, 0) for status in RESOLVED)
    return met / taken_on if taken_on else None


class IllegalTransition(Exception):
    def __init__(self, status: Status, action: Action) -> None:
        self.status, self.action = status, action
        super().__init__(f"{action.value} refused in state {status.value}: {PRECONDITIONS[action]}")


def allows(status: Status, action: Action) -> bool:
    """Whether the action may be taken in this state (what the console offers, what transition takes)."""
    return (status, action) in TRANSITIONS


# a resident may ask the community to come back (请求回访) once the need was met, whether or not they rated it
REVISIT_ASKABLE = frozenset({Status.RESOLVED, Status.CLOSED})


def transition(status: Status, action: Action) -> Status:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def feedback_action(satisfaction: int) -> Action:
    """群众评判: 1–2 means the need was not met and is reopened."""
    if not 1 <= satisfaction <= 5:
        raise ValueError("满意度须为 1–5 / satisfaction must be 1–5")
    return A.FEEDBACK_SATISFIED if satisfaction >= 3 else A.FEEDBACK_UNSATISFIED


# --- SLA and revisits -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLevels:
    """First-response time per urgency and days before a revisit (回访); configurable."""

    first_response: dict[Urgency, timedelta]
    revisit_after: timedelta
    proactive_visit_after: timedelta

    @classmethod
    def from_hours(
        cls, urgent: float, major: float, routine: float, revisit_days: float, proactive_days: float
    ) -> ServiceLevels:
        return cls(
            first_response={
                Urgency.URGENT: timedelta(hours=urgent),
                Urgency.MAJOR: timedelta(hours=major),
                Urgency.ROUTINE: timedelta(hours=routine),
            },
            revisit_after=timedelta(days=revisit_days),
            proactive_visit_after=timedelta(days=proactive_days),
        )

    def first_response_due(self, raised_at: datetime, urgency: Urgency) -> datetime:
        return raised_at + self.first_response[Urgency(urgency)]

    def revisit_due(self, resolved_at: datetime) -> datetime:
        return resolved_at + self.revisit_after


# Per-area service levels (contracts LEVEL_FIELDS): an area (community, street, county, city,
# province) may set any of them; the most specific area that sets a value wins, else the
# installation default (environment).
@dataclass(frozen=True)
class EffectiveLevels:
    values: dict[str, float]
    sources: dict[str, str | None]  # the area code that set each value; None: the installation default

    @property
    def levels(self) -> ServiceLevels:
        return ServiceLevels.from_hours(*(self.values[f] for f in LEVEL_FIELDS))


def area_chain(area: str) -> list[str]:
    """The area, then the areas above it up to the province: the most specific first."""
    return ancestors(area)[::-1]


def effective_levels(
    chain: Sequence[str], settings: Mapping[str, Mapping[str, float | None]], defaults: Mapping[str, float]
) -> EffectiveLevels:
    """Each value from the first area of `chain` (the area, then its ancestors up to the province)
    whose `settings` set it, else from `defaults`."""
    values, sources = {}, {}
    for field in LEVEL_FIELDS:
        code = next((c for c in chain if settings.get(c, {}).get(field) is not None), None)
        values[field] = settings[code][field] if code else defaults[field]
        sources[field] = code
    return EffectiveLevels(values, sources)


def is_overdue(status: Status, due_at: datetime, now: datetime) -> bool:
    """Overdue: still waiting for its first response (the assessment) after the deadline."""
    return status == S.RAISED and now > due_at


# --- the five-actor linkage index (五社联动指数) ------------------------------------------------


class LinkageActor(LabelledEnum):
    COMMUNITY = "community", "社区", "Community"
    VOLUNTEERS = "volunteers", "志愿者与社工", "Volunteers & social workers"
    PROJECTS = "projects", "社会组织", "Social organizations"
    CHARITY = "charity", "慈善资源", "Charity"
    PARTY = "party", "社区党组织", "Party organization"


COMMUNITY = LinkageActor.COMMUNITY.value
LINKAGE_ACTORS = tuple(a.value for a in LinkageActor)


def actor_label(actor: str) -> str:
    try:
        return LinkageActor(actor).zh
    except ValueError:
        return actor


@dataclass(frozen=True)
class Linkage:
    resolved: int
    shares: dict[str, float] | None  # None when nothing is resolved
    index: float | None


def linkage(resolved: int, reached: Mapping[str, int]) -> Linkage:
    """Over `resolved` needs: each actor's share of them whose timeline has a step of theirs
    (`reached`: actor → how many); the community's is always 1, every need arising in it. The
    index is the mean of the five shares."""
    if resolved <= 0:
        return Linkage(0, None, None)
    exact = {a: 1.0 if a == COMMUNITY else min(reached.get(a, 0), resolved) / resolved for a in LINKAGE_ACTORS}
    return Linkage(
        resolved, {a: round(v, 4) for a, v in exact.items()}, round(sum(exact.values()) / len(LINKAGE_ACTORS), 4)
    )


def linkage_by_community(counts: Iterable[tuple[str, str | None, int]]) -> tuple[Linkage, dict[str, Linkage]]:
    """From (community, actor, n) rows — actor None for the community's resolved needs, else how many
    of them that actor reached — the linkage of the whole area and of each community, by code."""
    resolved: dict[str, int] = {}
    reached: dict[str, dict[str, int]] = {}
    for community, actor, n in counts:
        if actor is None:
            resolved[community] = resolved.get(community, 0) + n
        else:
            reached.setdefault(community, {})[actor] = reached.get(community, {}).get(actor, 0) + n
    total: dict[str, int] = {}
    for by_actor in reached.values():
        for actor, n in by_actor.items():
            total[actor] = total.get(actor, 0) + n
    communities = {c: linkage(n, reached.get(c, {})) for c, n in sorted(resolved.items()) if n > 0}
    return linkage(sum(resolved.values()), total), communities


# --- masking -------------------------------------------------------------------------------


def masked_resident(name: str, phone: str, citizen_id: str) -> ResidentMasked:
    return ResidentMasked(name=mask_name(name), phone=mask_phone(phone), citizen_id=mask_citizen_id(citizen_id))


def speaks_for(caller_ref: str, resident_ref: str, guardian_ref: str | None) -> bool:
    """A resident acts on a need as its resident, or as the registered guardian (监护人) of its
    resident (a minor registered with their consent)."""
    return caller_ref in (resident_ref, guardian_ref)


# --- the timeline in words --------------------------------------------------------------------


class TimelineKind(LabelledEnum):
    """Each step a need's timeline holds: the needs service's own, and the providers' events it
    puts there (contracts/flow.py: the needs-* consumers)."""

    NEED_RAISED = "need_raised", "登记需求", "Need raised"
    NEED_ASSESSED = "need_assessed", "评估", "Assessed"
    NEED_ROUTED = "need_routed", "分派", "Routed"
    NEED_ESCALATED = "need_escalated", "超时升级", "Escalated (overdue)"
    NEED_MATCHED = "need_matched", "对接成功", "Matched"
    NEED_RESOLVED = "need_resolved", "确认解决", "Resolved"
    NEED_RETURNED = "need_returned", "退回（退单）", "Returned"
    FEEDBACK_GIVEN = "feedback_given", "居民评价", "Resident feedback"
    MEDIATION_OPENED = "mediation_opened", "提出异议（调处）", "Disputed (mediation)"
    MEDIATION_ESCALATED = "mediation_escalated", "提交联席会议", "Escalated to the joint meeting"
    MEDIATION_SETTLED = "mediation_settled", "调处办结", "Mediation settled"
    REVISITED = "revisited", "回访", "Revisited"
    REVISIT_ASKED = "revisit_asked", "居民请求回访", "Revisit asked for"
    TASK_ACCEPTED = "task_accepted", "志愿者接单", "Volunteer accepted the task"
    HOURS_VERIFIED = "hours_verified", "服务时长核实", "Hours verified"
    PROJECT_PROPOSED = "project_proposed", "提出服务项目", "Project proposed"
    PROJECT_PUBLISHED = "project_published", "项目公开招标", "Project open for bids"
    PROJECT_PROCURED = "project_procured", "项目确定承接组织", "Project procured"
    PROJECT_MILESTONE_REPORTED = "project_milestone_reported", "项目里程碑报告", "Project milestone reported"
    PROJECT_EVALUATED = "project_evaluated", "项目评估", "Project evaluated"
    PROJECT_CLOSED = "project_closed", "项目结项", "Project closed"
    DONATION_EARMARKED = "donation_earmarked", "捐赠定向", "Donation earmarked"
    FUNDS_COMMITTED = "funds_committed", "资金承诺", "Funds committed"
    FUNDS_DISBURSED = "funds_disbursed", "资金拨付", "Funds disbursed"
    MATTER_DECIDED = "matter_decided", "党组织研究决定", "Party committee decision"
    WHISTLE_BLOWN = "whistle_blown", "社区吹哨", "Whistle blown"
    MEMBER_REPORTED = "member_reported", "党员报到", "Member reported"
    WHISTLE_CLOSED = "whistle_closed", "吹哨办结", "Whistle closed"
    ACTION_DISPATCHED = "action_dispatched", "联席会议派发事项", "Joint-meeting action"


def kind_label(kind: str) -> str:
    """A timeline step in words, "中文 / English"; a kind this table lacks reads as progress."""
    try:
        return TimelineKind(kind).label
    except ValueError:
        return "办理进展 / Progress"
