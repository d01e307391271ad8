"""Use cases of the project library and its saga (项目库): proposal → the party gate → funding →
the call for bids (procurement/) → award → delivery and evaluation (delivery/). Each step is one
transaction that writes the project's state and the events it causes; the answers of the party and
charity services arrive as events and move the saga on, so it survives restarts."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from uuid import UUID

import asyncpg

from contracts.api import projects as api
from contracts.envelope import Envelope, new_id
from contracts.events.charity import FundingRejected, FundOpened, FundsCommitted
from contracts.events.needs import NeedRouted
from contracts.events.party import ActionDispatched, MatterDecided
from contracts.events.projects import (
    FundingRequested,
    MilestonePlan,
    ProcurementAudited,
    ProjectClosed,
    ProjectProcured,
    ProjectProposed,
    ProjectReviewRequested,
)
from contracts.taxonomy import Route, category_label
from kit.auth import Principal, Role, require_jurisdiction, visible
from kit.clock import now
from kit.problems import conflict, invalid, not_found
from kit.uow import Events, UnitOfWork
from services.projects import domain, store
from services.projects.config import projects_settings
from services.projects.registry import store as registry
from services.projects.venture import store as venture_store

LATER_STAGES = ("published", "procured", "delivered", "evaluated")  # what organizations may see


def _refuse_state(project, action: str, *allowed: str) -> None:
    if project["status"] not in allowed:
        raise conflict(
            f"项目当前状态（{project['status']}）不允许此操作 / not allowed while {project['status']}",
            state=project["status"],
            action=action,
        )


async def visible_project(conn, who: Principal, project_id: UUID, *, for_update: bool = False) -> asyncpg.Record:
    project = visible(who, await store.get_project(conn, project_id, for_update=for_update))
    if who.role == Role.ORG_ADMIN and project["status"] not in LATER_STAGES:
        raise not_found()  # organizations see calls for bids, not the library's drafts
    return project


def _emit(events: Events, event, project, **ids) -> None:
    events.emit(event, subject=str(project["id"]), area_code=project["area_code"], **ids)


def _audit(events: Events, project, step: str, actor: str, at: datetime, bid_id: UUID | None = None, detail: str = ""):
    _emit(
        events,
        ProcurementAudited(
            project_id=project["id"],
            area_code=project["area_code"],
            step=step,
            actor=actor,
            bid_id=bid_id,
            detail=detail,
            at=at,
        ),
        project,
    )


# --- proposal and the party gate ------------------------------------------------------------------------


async def propose(pool: asyncpg.Pool, who: Principal, body: api.ProjectIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    await check_funds(pool, body.area_code, funding_fields(body.funding))
    project_id, at = new_id(), now()
    year = body.year or at.year
    async with UnitOfWork(pool) as uow:
        await _check_purchase_item(uow.conn, body.area_code, year, body.purchase_item, body.budget_fen)
        await store.insert_project(
            uow.conn,
            {
                **body.model_dump(mode="json", exclude={"funding", "need_ids", "year", "action_id"}),
                "need_ids": body.need_ids,
                "id": project_id,
                "year": year,
                "status": "draft",
                "proposed_by": who.sub,
                "proposed_at": at,
                "updated_at": at,
            },
        )
        if body.action_id is not None and await store.get_demand(uow.conn, "joint_meeting", body.action_id) is None:
            raise invalid("action_id", "没有这项联席会议决定的事项 / no such joint-meeting action for a project")
        await _plan_funding(uow.conn, project_id, body.funding, at)
        await store.take_demands(uow.conn, project_id, body.need_ids, body.action_id)
        uow.emit(
            ProjectProposed(
                project_id=project_id,
                area_code=body.area_code,
                title=body.title,
                need_ids=body.need_ids,
                budget_fen=body.budget_fen,
                funding_sources=list(dict.fromkeys(f.source for f in body.funding)),
                vital_interests=body.vital_interests,
                proposed_at=at,
                action_id=body.action_id,
            ),
            subject=str(project_id),
            area_code=body.area_code,
        )
    return project_id


async def revise(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.ProjectIn) -> None:
    """A draft (new, or sent back by the party organization for revision) is rewritten whole."""
    require_jurisdiction(who, body.area_code, hide=False)
    await visible_project(pool, who, project_id)  # an unknown project is a 404 before any check of the body
    await check_funds(pool, body.area_code, funding_fields(body.funding))
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "revise", "draft")
        year = body.year or project["year"]
        await _check_purchase_item(uow.conn, body.area_code, year, body.purchase_item, body.budget_fen)
        at = now()
        await store.update_project(
            uow.conn,
            project_id,
            at,
            **body.model_dump(mode="json", exclude={"funding", "need_ids", "year", "action_id"}),
            need_ids=body.need_ids,
            year=year,
        )
        await store.supersede_refused_funding(uow.conn, project_id)
        await _plan_funding(uow.conn, project_id, body.funding, at)


async def _check_purchase_item(conn, area: str, year: int, code: str | None, budget_fen: int) -> None:
    """A project bought from the purchase list (购买清单) must be on this year's list of its area (or
    an area above it) and within the item's ceiling."""
    if code is None:
        return
    item = await registry.purchase_item(conn, area, year, code)
    if item is None:
        raise invalid(
            "purchase_item", f"{year} 年度购买清单中没有该服务项目 / not on the {year} purchase list of this area"
        )
    if item["max_budget_fen"] is not None and budget_fen > item["max_budget_fen"]:
        raise invalid(
            "budget_fen", f"超过清单中该项目的预算上限 {item['max_budget_fen']} 分 / above the item's ceiling"
        )


def funding_fields(lines: list[api.FundingLineIn]) -> dict[str, UUID]:
    return {f"funding.{i}.fund_id": line.fund_id for i, line in enumerate(lines)}


async def check_funds(pool: asyncpg.Pool, area: str, funds: dict[str, UUID]) -> None:
    """422 naming the field of a fund (`funding.<i>.fund_id`) that is unknown or does not pay in
    the project's area. Funds are learnt from the charity service's FundOpened events, so one opened
    a moment ago may not have arrived yet: an unknown fund is waited for a short while
    (WUSHE_PROJECTS_FUND_GRACE_S; a known one that does not fit is refused at once), and the
    charity service still refuses by event whatever slips through (FundingRejected, unknown_fund)."""
    wanted = list(set(funds.values()))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + projects_settings().fund_grace_s
    while len(known := await store.known_funds(pool, wanted)) < len(wanted) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    for field, fund_id in funds.items():
        if refusal := domain.funding_refusal(known.get(fund_id), area):
            raise invalid(field, refusal)


async def on_fund_opened(conn: asyncpg.Connection, envelopes: list[Envelope[FundOpened]]) -> None:
    """The funds the charity service announced, kept to check funding lines against."""
    for envelope in envelopes:
        fund = envelope.data
        await store.add_known_fund(
            conn,
            {
                "fund_id": fund.fund_id,
                "name": fund.name,
                "kind": fund.kind,
                "area_code": fund.area_code,
                "opened_at": fund.opened_at,
            },
        )


async def _plan_funding(conn, project_id: UUID, lines: list[api.FundingLineIn], at: datetime) -> None:
    await store.insert_funding(
        conn,
        [
            {
                "request_id": new_id(),
                "project_id": project_id,
                "source": line.source,
                "fund_id": line.fund_id,
                "amount_fen": line.amount_fen,
                "status": "planned",
                "requested_at": at,
            }
            for line in lines
        ],
    )


async def submit(pool: asyncpg.Pool, who: Principal, project_id: UUID) -> str:
    """Send a draft on: to the party organization when it must go there, else straight to funding."""
    settings = projects_settings()
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "submit", "draft")
        at = now()
        reasons = domain.review_reasons(
            project["vital_interests"], project["budget_fen"], settings.review_threshold_fen
        )
        if not reasons:
            return await _request_funding(uow.conn, uow, project, at)
        review_id = new_id()
        await store.update_project(
            uow.conn,
            project_id,
            at,
            status="review_pending",
            review_id=review_id,
            review_due=at + settings.review_timeout(),
        )
        _emit(
            uow,
            ProjectReviewRequested(
                review_id=review_id,
                project_id=project_id,
                area_code=project["area_code"],
                title=project["title"],
                summary=project["service_content"][:4000],
                budget_fen=project["budget_fen"],
                vital_interests=project["vital_interests"],
                reasons=reasons,
                need_ids=project["need_ids"],
                requested_at=at,
            ),
            project,
        )
    return "review_pending"


async def on_matter_decided(conn: asyncpg.Connection, envelopes: list[Envelope[MatterDecided]]) -> None:
    """The party organization's decision moves a waiting project on: approved → funding; rejected →
    closed with the reasons; revise → back to draft. Decisions on other matters are not ours."""
    events = UnitOfWork.joining(conn)
    for envelope in envelopes:
        decision = envelope.data
        if decision.source != "project_review" or decision.source_ref is None:
            continue
        project = await store.project_by_review(conn, decision.source_ref)
        if project is None or project["status"] != "review_pending":
            continue  # an old submission, or a project that timed out meanwhile
        at, ids = now(), dict(causation_id=envelope.id, correlation_id=envelope.correlation_id)
        if decision.outcome == "approved":
            await _request_funding(conn, events, project, at, **ids)
        elif decision.outcome == "revise":
            await store.update_project(conn, project["id"], at, status="draft", review_note=decision.reasons)
        else:
            await _close(conn, events, project, "party_rejected", decision.reasons, at, **ids)
    await events.flush()


async def _close(conn, events: Events, project, reason: str, detail: str, at: datetime, **ids) -> None:
    await store.update_project(
        conn,
        project["id"],
        at,
        status="closed",
        closed_reason=reason,
        review_note=detail if reason == "party_rejected" else project["review_note"],
    )
    _emit(
        events,
        ProjectClosed(
            project_id=project["id"],
            area_code=project["area_code"],
            need_ids=project["need_ids"],
            reason=reason,
            detail=detail,
            closed_at=at,
        ),
        project,
        **ids,
    )


async def on_demand(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRouted | ActionDispatched]]) -> None:
    """Needs routed to "project" and projects a joint meeting resolved to propose wait in the pool."""
    for envelope in envelopes:
        event = envelope.data
        if isinstance(event, NeedRouted) and event.route == Route.PROJECT:
            await store.add_demand(
                conn,
                {
                    "kind": "need",
                    "ref_id": event.need_id,
                    "area_code": event.area_code,
                    "title": f"需求：{category_label(event.category)}",
                    "category": event.category,
                    "urgency": event.urgency,
                    "need_id": event.need_id,
                    "received_at": event.routed_at,
                },
            )
        elif isinstance(event, ActionDispatched) and event.kind == "propose_project":
            await store.add_demand(
                conn,
                {
                    "kind": "joint_meeting",
                    "ref_id": event.action_id,
                    "area_code": event.area_code,
                    "title": event.title,
                    "need_id": event.need_id,
                    "amount_fen": event.amount_fen,
                    "received_at": event.dispatched_at,
                },
            )


# --- funding ---------------------------------------------------------------------------------------------


async def _request_funding(conn, events: Events, project, at: datetime, **ids) -> str:
    """Ask the charity service to commit every planned funding line."""
    lines = [f for f in await store.funding_of(conn, project["id"]) if f["status"] == "planned"]
    for line in lines:
        await conn.execute(
            "UPDATE funding SET status = 'requested', requested_at = $2 WHERE request_id = $1", line["request_id"], at
        )
        _emit(
            events,
            FundingRequested(
                request_id=line["request_id"],
                project_id=project["id"],
                fund_id=line["fund_id"],
                area_code=project["area_code"],
                amount_fen=line["amount_fen"],
                purpose="service_purchase",
                need_ids=project["need_ids"],
                requested_at=at,
                project_title=project["title"],
            ),
            project,
            **ids,
        )
    await store.update_project(conn, project["id"], at, status="funding_pending")
    return "funding_pending"


async def refund_lines(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.FundingIn) -> None:
    """After a refusal: new sources for what is not committed yet, asked for at once."""
    await check_funds(pool, (await visible_project(pool, who, project_id))["area_code"], funding_fields(body.funding))
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "fund", "funding_rejected")
        committed = sum(
            f["amount_fen"] for f in await store.funding_of(uow.conn, project_id) if f["status"] == "committed"
        )
        if sum(line.amount_fen for line in body.funding) != project["budget_fen"] - committed:
            raise invalid(
                "funding",
                f"新的资金来源须合计 {project['budget_fen'] - committed} 分（预算减去已承诺）/ "
                "the new sources must cover what is not committed yet",
            )
        at = now()
        await store.supersede_refused_funding(uow.conn, project_id)
        await _plan_funding(uow.conn, project_id, body.funding, at)
        await _request_funding(uow.conn, uow, project, at)


async def on_funding_answer(
    conn: asyncpg.Connection, envelopes: list[Envelope[FundsCommitted | FundingRejected]]
) -> None:
    """Record the charity service's answers: all committed → funded (a venture winner's project is
    procured from the winner at once); any refusal → funding_rejected (the rule is kept and shown),
    waiting for other sources."""
    events = UnitOfWork.joining(conn)
    for envelope in envelopes:
        answer = envelope.data
        at = now()
        if isinstance(answer, FundsCommitted):
            line = await store.decide_funding(
                conn, answer.request_id, at, status="committed", commitment_id=answer.commitment_id
            )
        else:
            line = await store.decide_funding(
                conn, answer.request_id, at, status="rejected", rule=answer.rule, reason=answer.reason
            )
        if line is None:
            continue  # not ours, or answered already
        project = await store.get_project(conn, line["project_id"], for_update=True)
        if project["status"] != "funding_pending":
            continue
        lines = [f for f in await store.funding_of(conn, project["id"]) if f["status"] != "superseded"]
        if any(f["status"] == "rejected" for f in lines):
            await store.update_project(conn, project["id"], at, status="funding_rejected")
        elif all(f["status"] == "committed" for f in lines):
            await store.update_project(conn, project["id"], at, status="funded")
            if project["venture_application_id"] is not None:
                application = await venture_store.application_by_id(conn, project["venture_application_id"])
                await _procure(
                    conn,
                    events,
                    project,
                    project["organization_uscc"],
                    project["budget_fen"],
                    application["milestones"],
                    at,
                    causation_id=envelope.id,
                    correlation_id=envelope.correlation_id,
                )
    await events.flush()


# --- procured: the award of a call (procurement/) and a venture winner's project (venture/) share these ----


async def _procure(
    conn,
    events: Events,
    project,
    uscc: str,
    price_fen: int,
    milestones: list[dict],
    at: datetime,
    bid_id: UUID | None = None,
    **ids,
) -> None:
    """The organization that will deliver is settled: its milestones become the project's, and
    ProjectProcured says so (the needs it serves count as matched)."""
    plans = [
        MilestonePlan(milestone_id=new_id(), title=m["title"], due_on=m["due_on"], amount_fen=m["amount_fen"])
        for m in milestones
    ]
    await store.insert_milestones(
        conn,
        [
            {
                "id": p.milestone_id,
                "project_id": project["id"],
                "seq": n,
                "title": p.title,
                "due_on": p.due_on,
                "amount_fen": p.amount_fen,
            }
            for n, p in enumerate(plans, start=1)
        ],
    )
    await store.update_project(
        conn, project["id"], at, status="procured", awarded_bid_id=bid_id, organization_uscc=uscc, awarded_fen=price_fen
    )
    _emit(
        events,
        ProjectProcured(
            project_id=project["id"],
            need_ids=project["need_ids"],
            area_code=project["area_code"],
            organization_uscc=uscc,
            budget_fen=price_fen,
            procured_at=at,
            title=project["title"],
            bid_id=bid_id,
            period_start=at.date(),
            period_end=plans[-1].due_on,
            milestones=plans,
        ),
        project,
        **ids,
    )


async def open_granted_project(conn, events: Events, application, fund_id: UUID, at: datetime) -> UUID:
    """A venture-philanthropy winner's project enters the library already chosen: it asks for its
    grant from the call's fund and, once committed, is procured from the winner (no second call)."""
    project_id = new_id()
    last_due = max(date.fromisoformat(str(m["due_on"])) for m in application["milestones"])
    months = max(1, (last_due.year - at.year) * 12 + last_due.month - at.month)
    row = {
        "id": project_id,
        "area_code": application["area_code"],
        "title": application["title"],
        "service_content": application["summary"],
        "indicators": application["indicators"],
        "budget_fen": application["requested_fen"],
        "need_ids": application["need_ids"],
        "year": at.year,
        "duration_months": months,
        "vital_interests": False,
        "status": "draft",
        "organization_uscc": application["organization_uscc"],
        "venture_application_id": application["id"],
        "proposed_by": application["submitted_by"],
        "proposed_at": at,
        "updated_at": at,
    }
    await store.insert_project(conn, row)
    await store.insert_funding(
        conn,
        [
            {
                "request_id": new_id(),
                "project_id": project_id,
                "source": "venture_philanthropy",
                "fund_id": fund_id,
                "amount_fen": application["requested_fen"],
                "status": "planned",
                "requested_at": at,
            }
        ],
    )
    _emit(
        events,
        ProjectProposed(
            project_id=project_id,
            area_code=row["area_code"],
            title=row["title"],
            need_ids=row["need_ids"],
            budget_fen=row["budget_fen"],
            funding_sources=["venture_philanthropy"],
            vital_interests=False,
            proposed_at=at,
        ),
        row,
    )
    await _request_funding(conn, events, row, at)
    return project_id


# --- deadlines --------------------------------------------------------------------------------------------------


async def close_expired(pool: asyncpg.Pool, at: datetime | None = None) -> int:
    """Projects the party organization did not decide in time, and calls that ended without a bid,
    are closed — once, whichever replica gets there first."""
    at = at or now()
    async with UnitOfWork(pool) as uow:
        timed_out = await store.claim_review_timeouts(uow.conn, at)
        for project in timed_out:
            await _close(
                uow.conn, uow, project, "review_timed_out", "社区党组织未在期限内作出决定 / no decision in time", at
            )
        unsuccessful = await store.claim_closed_calls(uow.conn, at)
        for project in unsuccessful:
            await _close(uow.conn, uow, project, "no_bids", "截止时无有效投标（流标）/ no bid by the deadline", at)
            _audit(uow, project, "unsuccessful", "projects", at)
    return len(timed_out) + len(unsuccessful)
