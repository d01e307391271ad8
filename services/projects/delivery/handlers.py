"""Use cases of delivery and evaluation: milestones reported and accepted (acceptance asks the
charity service to pay), volunteers asked for, residents' feedback, the evaluation and nominations."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.api import projects as api
from contracts.api.organizations import Grade
from contracts.envelope import Envelope, new_id
from contracts.events.charity import DisbursementRejected
from contracts.events.needs import NeedFeedbackGiven
from contracts.events.projects import (
    DisbursementRequested,
    ProjectEvaluated,
    ProjectMilestoneReported,
    VolunteerTaskRequested,
)
from kit.auth import Principal, Role
from kit.clock import now
from kit.problems import conflict, invalid, not_found
from kit.uow import UnitOfWork
from services.projects import handlers as projects
from services.projects import store as projects_store
from services.projects.config import projects_settings
from services.projects.delivery import domain, store
from services.projects.procurement import handlers as procurement
from services.projects.registry import store as registry

# --- delivery ---------------------------------------------------------------------------------------------


async def report_milestone(
    pool: asyncpg.Pool, who: Principal, project_id: UUID, milestone_id: UUID, body: api.MilestoneReportIn
) -> None:
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id)
        projects._refuse_state(project, "report", "procured")
        await procurement.acting_for(uow.conn, who, project["organization_uscc"])
        milestone = await store.get_milestone(uow.conn, project_id, milestone_id)
        if milestone is None:
            raise not_found()
        if milestone["status"] == "accepted":
            raise conflict("该里程碑已验收 / the milestone is accepted", state="accepted", action="report")
        at = now()
        await store.update_milestone(
            uow.conn,
            milestone_id,
            status="reported",
            reported_by=who.sub,
            reported_at=at,
            evidence=[{"summary": body.summary}, *(e.model_dump() for e in body.evidence)],
        )
        projects._emit(
            uow,
            ProjectMilestoneReported(
                project_id=project_id,
                milestone_id=milestone_id,
                area_code=project["area_code"],
                need_ids=project["need_ids"],
                title=milestone["title"],
                evidence_count=len(body.evidence),
                reported_at=at,
            ),
            project,
        )


async def accept_milestone(pool: asyncpg.Pool, who: Principal, project_id: UUID, milestone_id: UUID) -> str:
    """Acceptance asks the charity service to pay the milestone from a commitment that still holds
    enough; the last acceptance makes the project delivered. A milestone whose payment the charity
    service rejected is accepted again to ask anew, once the reason has been dealt with."""
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id, for_update=True)
        milestone = await store.get_milestone(uow.conn, project_id, milestone_id)
        if milestone is None:
            raise not_found()
        again = milestone["status"] == "accepted"
        states = domain.acceptance_states(milestone["status"], milestone["payment_rejected_at"] is not None)
        projects._refuse_state(project, "accept", *(states or ("procured",)))
        if not states:
            raise conflict(
                "该里程碑已验收 / the milestone is accepted"
                if again
                else "须先报告里程碑再验收 / a milestone is accepted once reported",
                state=milestone["status"],
                action="accept",
            )
        at, commitment_id, request_id = now(), None, None
        if milestone["amount_fen"]:
            commitment_id, request_id = await _commitment_for(uow.conn, project_id, milestone["amount_fen"]), new_id()
            projects._emit(
                uow,
                DisbursementRequested(
                    request_id=request_id,
                    commitment_id=commitment_id,
                    project_id=project_id,
                    milestone_id=milestone_id,
                    area_code=project["area_code"],
                    amount_fen=milestone["amount_fen"],
                    milestone=f"{project['title']}：{milestone['title']}",
                    requested_by=who.sub,
                    requested_at=at,
                ),
                project,
            )
        payment = dict(
            commitment_id=commitment_id,
            payment_request_id=request_id,
            payment_rejected_at=None,
            payment_rejection_reason=None,
        )
        if again:  # the acceptance stands; only its payment is asked anew
            await store.update_milestone(uow.conn, milestone_id, **payment)
            return project["status"]
        await store.update_milestone(
            uow.conn, milestone_id, status="accepted", accepted_by=who.sub, accepted_at=at, **payment
        )
        if all(m["status"] == "accepted" for m in await projects_store.milestones_of(uow.conn, project_id)):
            await projects_store.update_project(uow.conn, project_id, at, status="delivered")
            return "delivered"
    return "procured"


async def on_disbursement_rejected(conn: asyncpg.Connection, envelopes: list[Envelope[DisbursementRejected]]) -> None:
    """The charity service's checker refused to pay a milestone, saying why: the milestone shows the
    reason, and no longer holds its share of the commitment, so that accepting it again asks anew.
    A rejection of a request the milestone no longer waits for (it asked again since) changes nothing."""
    for envelope in envelopes:
        refused = envelope.data
        if refused.target_kind == "project" and refused.milestone_id is not None:
            await store.payment_rejected(
                conn,
                refused.target_id,
                refused.milestone_id,
                refused.disbursement_id,
                refused.reason,
                refused.rejected_at,
            )


async def _commitment_for(conn, project_id: UUID, amount_fen: int) -> UUID:
    for row in await store.committed_remaining(conn, project_id):
        if row["remaining"] >= amount_fen:
            return row["commitment_id"]
    raise conflict(
        "已承诺资金不足以支付该里程碑 / no commitment holds enough for this milestone", rule="exceeds_commitment"
    )


async def request_volunteers(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.VolunteerTaskIn) -> UUID:
    """社工引领志愿者: the organization (or a community worker) asks the volunteers service for a task."""
    task_id, at = new_id(), now()
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id)
        projects._refuse_state(project, "request_volunteers", "procured")
        if who.role == Role.ORG_ADMIN:
            await procurement.acting_for(uow.conn, who, project["organization_uscc"])
        if body.need_id is not None and body.need_id not in project["need_ids"]:
            raise invalid("need_id", "该需求不属于本项目 / the project does not serve this need")
        await store.insert_task(
            uow.conn,
            {
                "id": task_id,
                "project_id": project_id,
                "title": body.title,
                "slots": body.slots,
                "requested_by": who.sub,
                "requested_at": at,
            },
        )
        projects._emit(
            uow,
            VolunteerTaskRequested(
                task_id=task_id,
                project_id=project_id,
                area_code=project["area_code"],
                **body.model_dump(),
                requested_by=who.sub,
                requested_at=at,
            ),
            project,
        )
    return task_id


# --- evaluation -----------------------------------------------------------------------------------------------


async def on_need_feedback(conn: asyncpg.Connection, envelopes: list[Envelope[NeedFeedbackGiven]]) -> None:
    for envelope in envelopes:
        await store.record_feedback(
            conn, envelope.id, envelope.data.need_id, envelope.data.satisfaction, envelope.data.given_at
        )


async def awaiting_feedback(conn, project) -> list[UUID]:
    """Once a project is in delivery: the needs it serves whose residents have not judged it yet —
    what an evaluation waits for (one made before records them as `feedback_pending`)."""
    if project["status"] not in ("procured", "delivered", "evaluated"):
        return []
    return domain.awaiting_feedback(project["need_ids"], await store.judged_needs(conn, project["id"]))


async def evaluate(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.EvaluationIn) -> api.EvaluationView:
    weights = projects_settings().evaluation_weights
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id, for_update=True)
        projects._refuse_state(project, "evaluate", "delivered")
        feedback = await store.feedback_of(uow.conn, project_id)
        pending = domain.awaiting_feedback(project["need_ids"], await store.judged_needs(uow.conn, project_id))
        if not feedback and not body.survey:
            raise invalid("survey", "尚无居民评价：请附居民满意度调查 / no resident has judged it: add the survey")
        parts = {
            "resident_satisfaction": domain.satisfaction_percent(feedback, body.survey),
            "indicators": body.indicators_percent,
            "third_party": body.third_party_score,
        }
        score = round(domain.evaluation_score(weights, parts), 2)
        grade, at = domain.grade(score), now()
        await store.insert_evaluation(
            uow.conn,
            {
                "project_id": project_id,
                "year": project["year"],
                "weights": weights,
                "survey": body.survey,
                "feedback_count": len(feedback),
                "feedback_pending": pending,
                **parts,
                "third_party_evaluator": body.third_party_evaluator,
                "score": score,
                "grade": grade,
                "evaluated_by": who.sub,
                "evaluated_at": at,
            },
        )
        await registry.record_grade(
            uow.conn, project["organization_uscc"], project["year"], grade, project_id, score, at
        )
        await projects_store.update_project(uow.conn, project_id, at, status="evaluated")
        projects._emit(
            uow,
            ProjectEvaluated(
                project_id=project_id,
                area_code=project["area_code"],
                organization_uscc=project["organization_uscc"],
                need_ids=project["need_ids"],
                year=project["year"],
                score=score,
                grade=grade,
                resident_satisfaction=parts["resident_satisfaction"],
                evaluated_at=at,
            ),
            project,
        )
        return evaluation_view(await projects_store.get_evaluation(uow.conn, project_id))


def evaluation_view(row) -> api.EvaluationView:
    return api.EvaluationView(
        **{k: row[k] for k in api.EvaluationView.model_fields if k in row.keys()},
        grade_zh=Grade(row["grade"]).zh,
    )


async def nominate(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.NominationIn) -> None:
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id)
        evaluation = await projects_store.get_evaluation(uow.conn, project_id)
        if evaluation is None or evaluation["grade"] != "excellent":
            raise conflict(
                "只有评估为优秀的项目可推荐为典型案例或河北慈善奖 / only projects graded 优秀 can be nominated",
                state=project["status"],
                rule="excellent_only",
            )
        if not await store.insert_nomination(
            uow.conn,
            {
                "project_id": project_id,
                "kind": body.kind,
                "citation": body.citation,
                "nominated_by": who.sub,
                "nominated_at": now(),
            },
        ):
            raise conflict("已推荐 / already nominated", rule="once")
