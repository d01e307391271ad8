"""Use cases of the project library and its saga (项目库): proposal → the party gate → funding →
the call for bids → award → delivery → evaluation. Each step is one transaction that writes the
project's state and the events it causes; the answers of the party and charity services arrive
as events and move the saga on, so it survives restarts."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from uuid import UUID

import asyncpg

from contracts.api import projects as api
from contracts.envelope import Envelope, new_id
from contracts.events.charity import FundingRejected, FundOpened, FundsCommitted
from contracts.events.needs import NeedFeedbackGiven, NeedRouted
from contracts.events.party import ActionDispatched, MatterDecided
from contracts.events.projects import (
    DisbursementRequested,
    FundingRequested,
    MilestonePlan,
    ProcurementAudited,
    ProjectClosed,
    ProjectEvaluated,
    ProjectMilestoneReported,
    ProjectProcured,
    ProjectProposed,
    ProjectPublished,
    ProjectReviewRequested,
    VolunteerTaskRequested,
)
from contracts.taxonomy import Route, category_label
from kit.auth import Principal, Role, require_jurisdiction, visible
from kit.clock import now
from kit.problems import Problem, conflict, invalid, not_found
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


# --- the call for bids -----------------------------------------------------------------------------------------


async def publish(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.PublicationIn) -> None:
    at = now()
    if body.bid_deadline <= at:
        raise invalid("bid_deadline", "截止时间须晚于现在 / the deadline must be in the future")
    if (body.bid_deadline - at).total_seconds() < projects_settings().min_bid_days * 86400:
        raise invalid("bid_deadline", f"投标期不得少于 {projects_settings().min_bid_days:g} 天 / the call is too short")
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "publish", "funded")
        await store.update_project(
            uow.conn, project_id, at, status="published", bid_deadline=body.bid_deadline, criteria=body.criteria
        )
        _emit(
            uow,
            ProjectPublished(
                project_id=project_id,
                area_code=project["area_code"],
                title=project["title"],
                need_ids=project["need_ids"],
                budget_fen=project["budget_fen"],
                bid_deadline=body.bid_deadline,
                published_at=at,
            ),
            project,
        )
        _audit(uow, project, "published", who.sub, at, detail=f"截止 {body.bid_deadline.isoformat()}")


async def acting_for(conn, who: Principal, uscc: str) -> None:
    """Organizations act through their administrators (token sub in the organization's admin_accounts)."""
    if who.sub not in await registry.org_admins(conn, uscc):
        raise Problem(
            403,
            "无权代表该组织 / Forbidden",
            "您不是该社会组织的管理员 / you do not administer this organization",
            errors=[{"field": "organization_uscc", "message": "not an administrator of this organization"}],
        )


async def ineligibility(conn, uscc: str, area_code: str, year: int) -> Problem | None:
    """Why the organization may not bid or apply for work in this area and year (domain.check_eligible), as
    the 422 to answer; None when it may."""
    org, grades = await registry.eligibility_facts(conn, uscc)
    try:
        domain.check_eligible(org or {}, area_code, year, grades)
    except domain.Ineligible as refused:
        return Problem(
            422,
            "不具备资格 / Not eligible",
            str(refused),
            rule=refused.rule,
            errors=[{"field": "organization_uscc", "message": str(refused)}],
        )
    return None


async def submit_bid(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.BidIn) -> UUID:
    bid_id, at = new_id(), now()
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id)
        _refuse_state(project, "bid", "published")
        if at >= project["bid_deadline"]:
            raise conflict("投标已截止 / the call has closed", state="closed", action="bid", rule="deadline")
        await acting_for(uow.conn, who, body.organization_uscc)
        if body.price_fen > project["budget_fen"]:
            raise invalid("price_fen", "报价不得超过项目预算 / the price may not exceed the budget")
        rejection = await ineligibility(uow.conn, body.organization_uscc, project["area_code"], project["year"])
        if rejection:
            _audit(
                uow,
                project,
                "bid_refused",
                who.sub,
                at,
                detail=f"{body.organization_uscc}: {rejection.extensions['rule']}",
            )
        else:
            if not await store.insert_bid(
                uow.conn,
                {
                    "id": bid_id,
                    "project_id": project_id,
                    **body.model_dump(mode="json"),
                    "status": "active",
                    "submitted_by": who.sub,
                    "submitted_at": at,
                },
            ):
                raise conflict(
                    "该组织已投标，可先撤回再重新投标 / this organization has a bid already; withdraw it first",
                    rule="one_bid_each",
                )
            _audit(
                uow, project, "bid_submitted", who.sub, at, bid_id, f"{body.organization_uscc} 报价 {body.price_fen} 分"
            )
    if rejection:  # raised after the commit, so the refusal stays on the audit trail
        raise rejection
    return bid_id


async def withdraw_bid(pool: asyncpg.Pool, who: Principal, bid_id: UUID) -> None:
    async with UnitOfWork(pool) as uow:
        bid = await store.get_bid(uow.conn, bid_id, for_update=True)
        project = bid and await visible_project(uow.conn, who, bid["project_id"])
        if bid is None:
            raise not_found()
        await acting_for(uow.conn, who, bid["organization_uscc"])
        if bid["status"] != "active" or project["status"] != "published" or now() >= project["bid_deadline"]:
            raise conflict(
                "只能在截止前撤回有效的投标 / only an active bid can be withdrawn, before the deadline",
                state=bid["status"],
                action="withdraw",
            )
        at = now()
        await store.withdraw_bid(uow.conn, bid_id, at)
        _audit(uow, project, "bid_withdrawn", who.sub, at, bid_id)


async def score_bid(pool: asyncpg.Pool, who: Principal, bid_id: UUID, body: api.ScoreIn) -> float:
    async with UnitOfWork(pool) as uow:
        bid = await store.get_bid(uow.conn, bid_id)
        if bid is None:
            raise not_found()
        project = await visible_project(uow.conn, who, bid["project_id"])
        _refuse_state(project, "score", "published")
        if now() < project["bid_deadline"] or bid["status"] != "active":
            raise conflict(
                "截止后方可评审有效投标 / active bids are scored after the deadline",
                state=bid["status"],
                action="score",
                rule="after_deadline",
            )
        if set(body.scores) != set(project["criteria"]):
            raise invalid("scores", f"须逐项评分 / score exactly these criteria: {', '.join(project['criteria'])}")
        total = domain.weighted_score(project["criteria"], body.scores)
        at = now()
        if not await store.insert_score(
            uow.conn, {"bid_id": bid_id, "evaluator": who.sub, "scores": body.scores, "total": total, "scored_at": at}
        ):
            raise conflict("您已评审该投标 / you have scored this bid", rule="one_score_each")
        _audit(uow, project, "bid_scored", who.sub, at, bid_id, f"{total:.2f}")
    return total


async def award(pool: asyncpg.Pool, who: Principal, project_id: UUID) -> UUID:
    """The best-ranked active bid wins (score, then price, then time); every active bid must be scored."""
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "award", "published")
        at = now()
        if at < project["bid_deadline"]:
            raise conflict("投标尚未截止 / the call is still open", state="open", action="award", rule="after_deadline")
        bids = [b for b in await store.bids_with_scores(uow.conn, project_id) if b["status"] == "active"]
        unscored = [str(b["id"]) for b in bids if not b["scored_by"]]
        if not bids or unscored:
            raise conflict("尚有投标未评审 / bids are waiting for scores", rule="unscored_bids", bids=unscored)
        ranked = domain.rank([domain.RankedBid(b["id"], b["score"], b["price_fen"], b["submitted_at"]) for b in bids])
        winner = next(b for b in bids if b["id"] == ranked[0].bid_id)
        await _procure(
            uow.conn,
            uow,
            project,
            winner["organization_uscc"],
            winner["price_fen"],
            winner["milestones"],
            at,
            bid_id=winner["id"],
        )
        _audit(
            uow,
            project,
            "awarded",
            who.sub,
            at,
            winner["id"],
            f"{winner['organization_uscc']} {ranked[0].score:.2f} 分，{len(bids)} 家有效投标",
        )
    return winner["id"]


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


# --- delivery ---------------------------------------------------------------------------------------------


async def report_milestone(
    pool: asyncpg.Pool, who: Principal, project_id: UUID, milestone_id: UUID, body: api.MilestoneReportIn
) -> None:
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id)
        _refuse_state(project, "report", "procured")
        await acting_for(uow.conn, who, project["organization_uscc"])
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
        _emit(
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
    enough; the last acceptance makes the project delivered."""
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "accept", "procured")
        milestone = await store.get_milestone(uow.conn, project_id, milestone_id)
        if milestone is None:
            raise not_found()
        if milestone["status"] != "reported":
            raise conflict(
                "须先报告里程碑再验收 / a milestone is accepted once reported",
                state=milestone["status"],
                action="accept",
            )
        at, commitment_id = now(), None
        if milestone["amount_fen"]:
            commitment_id = await _commitment_for(uow.conn, project_id, milestone["amount_fen"])
            _emit(
                uow,
                DisbursementRequested(
                    request_id=new_id(),
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
        await store.update_milestone(
            uow.conn, milestone_id, status="accepted", accepted_by=who.sub, accepted_at=at, commitment_id=commitment_id
        )
        if all(m["status"] == "accepted" for m in await store.milestones_of(uow.conn, project_id)):
            await store.update_project(uow.conn, project_id, at, status="delivered")
            return "delivered"
    return "procured"


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
        project = await visible_project(uow.conn, who, project_id)
        _refuse_state(project, "request_volunteers", "procured")
        if who.role == Role.ORG_ADMIN:
            await acting_for(uow.conn, who, project["organization_uscc"])
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
        _emit(
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
        project = await visible_project(uow.conn, who, project_id, for_update=True)
        _refuse_state(project, "evaluate", "delivered")
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
        await store.update_project(uow.conn, project_id, at, status="evaluated")
        _emit(
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
        return evaluation_view(await store.get_evaluation(uow.conn, project_id))


def evaluation_view(row) -> api.EvaluationView:
    zh = {code: label for _, code, label in domain.GRADES}
    return api.EvaluationView(
        **{k: row[k] for k in api.EvaluationView.model_fields if k in row.keys()}, grade_zh=zh[row["grade"]]
    )


async def nominate(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.NominationIn) -> None:
    async with UnitOfWork(pool) as uow:
        project = await visible_project(uow.conn, who, project_id)
        evaluation = await store.get_evaluation(uow.conn, project_id)
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
