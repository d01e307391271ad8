"""Use cases of 公益创投 and 项目大赛: a call for applications with a pool of money, eligible
organizations apply, judges score, and the best applications the pool can fund win — each becomes
a project of the library, funded from the call's fund through the charity service."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contracts.api import venture as api
from contracts.api.projects import ScoreIn
from contracts.areas import contains
from contracts.envelope import new_id
from kit.auth import Principal, require_jurisdiction, visible
from kit.clock import now
from kit.problems import conflict, invalid, not_found
from kit.uow import UnitOfWork
from services.projects import handlers as projects
from services.projects.procurement import domain
from services.projects.procurement import handlers as procurement
from services.projects.registry import store as registry
from services.projects.venture import domain as venture
from services.projects.venture import store


async def open_call(pool: asyncpg.Pool, who: Principal, body: api.CallIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    if body.apply_deadline <= now():
        raise invalid("apply_deadline", "截止时间须晚于现在 / the deadline must be in the future")
    await projects.check_funds(pool, body.area_code, {"fund_id": body.fund_id})
    call_id = new_id()
    async with UnitOfWork(pool) as uow:
        await store.insert_call(
            uow.conn, {"id": call_id, **body.model_dump(), "created_by": who.sub, "created_at": now()}
        )
    return call_id


async def call_view(conn, who: Principal, call_id: UUID) -> api.CallView:
    call = visible(who, await store.get_call(conn, call_id))
    sealed = call["status"] == "open"  # scores stay with the judges until the award
    applications = [
        api.ApplicationView(
            **{
                k: a[k]
                for k in (
                    "id",
                    "organization_uscc",
                    "area_code",
                    "title",
                    "requested_fen",
                    "status",
                    "submitted_at",
                    "project_id",
                )
            },
            score=None if sealed or a["score"] is None else round(a["score"], 2),
            scored_by=a["scored_by"],
        )
        for a in await store.applications_with_scores(conn, call_id)
    ]
    return api.CallView(
        **{k: call[k] for k in api.CallView.model_fields if k in call.keys()}, applications=applications
    )


async def apply(pool: asyncpg.Pool, who: Principal, call_id: UUID, body: api.ApplicationIn) -> UUID:
    application_id, at = new_id(), now()
    async with UnitOfWork(pool) as uow:
        call = visible(who, await store.get_call(uow.conn, call_id))
        if call["status"] != "open" or at >= call["apply_deadline"]:
            raise conflict(
                "申报已截止 / applications are closed", state=call["status"], action="apply", rule="deadline"
            )
        if not contains(call["area_code"], body.area_code):
            raise invalid("area_code", "项目须在大赛区域内 / the project must be inside the call's area")
        if body.requested_fen > call["max_grant_fen"]:
            raise invalid("requested_fen", f"单个项目资助上限为 {call['max_grant_fen']} 分 / above the grant limit")
        await procurement.acting_for(uow.conn, who, body.organization_uscc)
        if refusal := await procurement.ineligibility(uow.conn, body.organization_uscc, body.area_code, at.year):
            raise refusal
        if not await store.insert_application(
            uow.conn,
            {
                "id": application_id,
                "call_id": call_id,
                **body.model_dump(mode="json", exclude={"need_ids"}),
                "need_ids": body.need_ids,
                "status": "submitted",
                "submitted_by": who.sub,
                "submitted_at": at,
            },
        ):
            raise conflict(
                "该组织已申报，可撤回后重报 / this organization has applied; withdraw first", rule="one_each"
            )
    return application_id


async def withdraw(pool: asyncpg.Pool, who: Principal, call_id: UUID, application_id: UUID) -> None:
    async with UnitOfWork(pool) as uow:
        call = visible(who, await store.get_call(uow.conn, call_id))
        application = await store.get_application(uow.conn, call_id, application_id, for_update=True)
        if application is None or who.sub not in await registry.org_admins(uow.conn, application["organization_uscc"]):
            raise not_found()
        if application["status"] != "submitted" or now() >= call["apply_deadline"]:
            raise conflict(
                "只能在截止前撤回 / withdraw before the deadline", state=application["status"], action="withdraw"
            )
        await store.set_application(uow.conn, application_id, status="withdrawn")


async def score(pool: asyncpg.Pool, who: Principal, call_id: UUID, application_id: UUID, body: ScoreIn) -> float:
    async with UnitOfWork(pool) as uow:
        call = visible(who, await store.get_call(uow.conn, call_id))
        application = await store.get_application(uow.conn, call_id, application_id)
        if application is None:
            raise not_found()
        if call["status"] != "open" or now() < call["apply_deadline"] or application["status"] != "submitted":
            raise conflict(
                "截止后方可评审 / applications are scored after the deadline",
                state=application["status"],
                action="score",
                rule="after_deadline",
            )
        if set(body.scores) != set(call["criteria"]):
            raise invalid("scores", f"须逐项评分 / score exactly these criteria: {', '.join(call['criteria'])}")
        total = domain.weighted_score(call["criteria"], body.scores)
        if not await store.insert_score(
            uow.conn,
            {
                "application_id": application_id,
                "judge": who.sub,
                "scores": body.scores,
                "total": total,
                "scored_at": now(),
            },
        ):
            raise conflict("您已评审该申报 / you have scored it", rule="one_score_each")
    return total


async def award(pool: asyncpg.Pool, who: Principal, call_id: UUID) -> api.AwardView:
    """The best applications the pool can fund in full win; each becomes a project that asks the
    charity service for its grant from the call's fund."""
    async with UnitOfWork(pool) as uow:
        call = visible(who, await store.get_call(uow.conn, call_id, for_update=True))
        at = now()
        if call["status"] != "open" or at < call["apply_deadline"]:
            raise conflict(
                "申报截止后方可评定 / the call is still open, or awarded",
                state=call["status"],
                action="award",
                rule="after_deadline",
            )
        applications = [
            a for a in await store.applications_with_scores(uow.conn, call_id) if a["status"] == "submitted"
        ]
        unscored = [str(a["id"]) for a in applications if not a["scored_by"]]
        if unscored:
            raise conflict(
                "尚有申报未评审 / applications are waiting for scores", rule="unscored", applications=unscored
            )
        chosen = {
            w.bid_id
            for w in venture.winners(
                [domain.RankedBid(a["id"], a["score"], a["requested_fen"], a["submitted_at"]) for a in applications],
                call["pool_fen"],
            )
        }
        for a in applications:
            if a["id"] in chosen:
                project_id = await projects.open_granted_project(uow.conn, uow, a, call["fund_id"], at)
                await store.set_application(uow.conn, a["id"], status="won", project_id=project_id)
            else:
                await store.set_application(uow.conn, a["id"], status="lost")
        await store.mark_awarded(uow.conn, call_id, at)
        view = await call_view(uow.conn, who, call_id)
    winners = [a for a in view.applications if a.status == "won"]
    granted = sum(a.requested_fen for a in winners)
    return api.AwardView(winners=winners, granted_fen=granted, left_fen=call["pool_fen"] - granted)
