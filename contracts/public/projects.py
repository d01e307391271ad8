"""Public forms of the projects service's events. Procurement is public by law (政府购买服务信息公开):
a project's title, budget, the awarded organization's credit code and its evaluation are kept;
milestone titles, reasons and every other free text stay inside."""

from __future__ import annotations

from contracts.events import projects as ev
from contracts.public.base import public_event

ProjectPublished = public_event(
    ev.ProjectPublished, ("project_id", "area_code", "title", "need_ids", "budget_fen", "bid_deadline", "published_at")
)
ProjectProcured = public_event(
    ev.ProjectProcured,
    (
        "project_id",
        "need_ids",
        "area_code",
        "organization_uscc",
        "budget_fen",
        "title",
        "period_start",
        "period_end",
        "procured_at",
    ),
)
ProjectMilestoneReported = public_event(
    ev.ProjectMilestoneReported,
    ("project_id", "milestone_id", "area_code", "need_ids", "evidence_count", "reported_at"),
)
ProjectEvaluated = public_event(
    ev.ProjectEvaluated,
    (
        "project_id",
        "area_code",
        "organization_uscc",
        "need_ids",
        "year",
        "score",
        "grade",
        "resident_satisfaction",
        "evaluated_at",
    ),
)
ProjectClosed = public_event(ev.ProjectClosed, ("project_id", "area_code", "need_ids", "reason", "closed_at"))

EVENTS = (ProjectPublished, ProjectProcured, ProjectMilestoneReported, ProjectEvaluated, ProjectClosed)
