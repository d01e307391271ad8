"""Use cases of the call for bids (政府购买服务的招投标): publication, bids, withdrawal, scores and
the award. The award settles the organization that delivers through the project library's
_procure, which a venture winner's project shares."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.api import projects as api
from contracts.envelope import new_id
from contracts.events.projects import ProjectPublished
from kit.auth import Principal
from kit.clock import now
from kit.problems import Problem, conflict, invalid, not_found
from kit.uow import UnitOfWork
from services.projects import handlers as projects
from services.projects import store as projects_store
from services.projects.config import projects_settings
from services.projects.procurement import domain, store
from services.projects.registry import store as registry

# --- the call for bids -----------------------------------------------------------------------------------------


async def publish(pool: asyncpg.Pool, who: Principal, project_id: UUID, body: api.PublicationIn) -> None:
    at = now()
    if body.bid_deadline <= at:
        raise invalid("bid_deadline", "截止时间须晚于现在 / the deadline must be in the future")
    if (body.bid_deadline - at).total_seconds() < projects_settings().min_bid_days * 86400:
        raise invalid("bid_deadline", f"投标期不得少于 {projects_settings().min_bid_days:g} 天 / the call is too short")
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id, for_update=True)
        projects._refuse_state(project, "publish", "funded")
        await projects_store.update_project(
            uow.conn, project_id, at, status="published", bid_deadline=body.bid_deadline, criteria=body.criteria
        )
        projects._emit(
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
        projects._audit(uow, project, "published", who.sub, at, detail=f"截止 {body.bid_deadline.isoformat()}")


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
        project = await projects.visible_project(uow.conn, who, project_id)
        projects._refuse_state(project, "bid", "published")
        if at >= project["bid_deadline"]:
            raise conflict("投标已截止 / the call has closed", state="closed", action="bid", rule="deadline")
        await acting_for(uow.conn, who, body.organization_uscc)
        if body.price_fen > project["budget_fen"]:
            raise invalid("price_fen", "报价不得超过项目预算 / the price may not exceed the budget")
        rejection = await ineligibility(uow.conn, body.organization_uscc, project["area_code"], project["year"])
        if rejection:
            projects._audit(
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
            projects._audit(
                uow, project, "bid_submitted", who.sub, at, bid_id, f"{body.organization_uscc} 报价 {body.price_fen} 分"
            )
    if rejection:  # raised after the commit, so the refusal stays on the audit trail
        raise rejection
    return bid_id


async def withdraw_bid(pool: asyncpg.Pool, who: Principal, bid_id: UUID) -> None:
    async with UnitOfWork(pool) as uow:
        bid = await store.get_bid(uow.conn, bid_id, for_update=True)
        project = bid and await projects.visible_project(uow.conn, who, bid["project_id"])
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
        projects._audit(uow, project, "bid_withdrawn", who.sub, at, bid_id)


async def score_bid(pool: asyncpg.Pool, who: Principal, bid_id: UUID, body: api.ScoreIn) -> float:
    async with UnitOfWork(pool) as uow:
        bid = await store.get_bid(uow.conn, bid_id)
        if bid is None:
            raise not_found()
        project = await projects.visible_project(uow.conn, who, bid["project_id"])
        projects._refuse_state(project, "score", "published")
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
        projects._audit(uow, project, "bid_scored", who.sub, at, bid_id, f"{total:.2f}")
    return total


async def award(pool: asyncpg.Pool, who: Principal, project_id: UUID) -> UUID:
    """The best-ranked active bid wins (score, then price, then time); every active bid must be scored."""
    async with UnitOfWork(pool) as uow:
        project = await projects.visible_project(uow.conn, who, project_id, for_update=True)
        projects._refuse_state(project, "award", "published")
        at = now()
        if at < project["bid_deadline"]:
            raise conflict("投标尚未截止 / the call is still open", state="open", action="award", rule="after_deadline")
        bids = [b for b in await projects_store.bids_with_scores(uow.conn, project_id) if b["status"] == "active"]
        unscored = [str(b["id"]) for b in bids if not b["scored_by"]]
        if not bids or unscored:
            raise conflict("尚有投标未评审 / bids are waiting for scores", rule="unscored_bids", bids=unscored)
        ranked = domain.rank([domain.RankedBid(b["id"], b["score"], b["price_fen"], b["submitted_at"]) for b in bids])
        winner = next(b for b in bids if b["id"] == ranked[0].bid_id)
        await projects._procure(
            uow.conn,
            uow,
            project,
            winner["organization_uscc"],
            winner["price_fen"],
            winner["milestones"],
            at,
            bid_id=winner["id"],
        )
        projects._audit(
            uow,
            project,
            "awarded",
            who.sub,
            at,
            winner["id"],
            f"{winner['organization_uscc']} {ranked[0].score:.2f} 分，{len(bids)} 家有效投标",
        )
    return winner["id"]
