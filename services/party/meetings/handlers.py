"""Use cases of joint meetings: convening (the agenda is drawn from the pool), resolving (actions are
dispatched to the services that must act, in the same transaction), following actions up — by hand,
by the deadline check and by other services' events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.api import meetings as api
from contracts.envelope import Envelope, new_id
from contracts.events.needs import MediationEscalated
from contracts.events.party import ActionDispatched
from contracts.events.projects import ProjectProposed
from contracts.events.volunteers import TaskAccepted
from kit.auth import Principal, visible
from kit.clock import now
from kit.problems import Problem, conflict, invalid
from kit.uow import UnitOfWork
from services.party import store as party_store
from services.party.meetings import domain, store

# --- the agenda pool ------------------------------------------------------------------------------------


async def add_item(pool: asyncpg.Pool, body: api.AgendaItemIn) -> UUID:
    item_id = new_id()
    async with UnitOfWork(pool) as uow:
        await store.insert_manual_item(uow.conn, item_id, body.area_code, body.summary, now())
    return item_id


async def on_mediation_escalated(conn: asyncpg.Connection, envelopes: list[Envelope[MediationEscalated]]) -> None:
    """A dispute mediation could not settle: it goes on the agenda of its community's next meeting."""
    for envelope in envelopes:
        case = envelope.data
        summary = f"调处升级：{case.reason}（需求 {case.need_id}）/ mediation escalated (need {case.need_id})"
        await party_store.add_agenda_item(conn, "dispute", case.case_id, case.area_code, summary, case.escalated_at)


# --- convening ------------------------------------------------------------------------------------------


async def convene(pool: asyncpg.Pool, who: Principal, body: api.MeetingIn) -> api.MeetingCreated:
    """Schedule a meeting where all four actors sit with the party organization; its agenda is every
    open item of its area (and below) plus the ones asked for."""
    at, meeting_id = now(), new_id()
    async with UnitOfWork(pool) as uow:
        _check_meeting(body, at)
        await _check_items(uow.conn, who, body.area_code, body.agenda_item_ids)
        await store.insert_meeting(
            uow.conn,
            {
                "id": meeting_id,
                "area_code": body.area_code,
                "title": body.title,
                "scheduled_at": body.scheduled_at,
                "place": body.place,
                "participants": [p.model_dump() for p in body.participants],
                "convened_by": who.sub,
                "created_at": at,
            },
        )
        taken = await store.take_items(uow.conn, meeting_id, body.area_code, body.agenda_item_ids)
        if missing := set(body.agenda_item_ids) - set(taken):  # another meeting drew them meanwhile
            raise _already_taken(missing)
    return api.MeetingCreated(id=meeting_id, agenda_item_ids=taken)


def _check_meeting(body: api.MeetingIn, at: datetime) -> None:
    if missing := domain.missing_actors(p.actor for p in body.participants):
        names = "、".join(a.zh for a in missing)
        raise invalid("participants", f"缺少{names}代表 / not represented: {', '.join(a.value for a in missing)}")
    if body.scheduled_at < at:
        raise invalid("scheduled_at", "会议时间不得早于现在 / the meeting cannot be scheduled in the past")


async def _check_items(conn, who: Principal, area_code: str, item_ids: list[UUID]) -> None:
    """Items asked for by id must exist where the caller sees them, concern this meeting's area and
    not be on another meeting's agenda."""
    rows = {r["id"]: r for r in await store.items_by_id(conn, item_ids)}
    for item_id in item_ids:
        row = rows.get(item_id)
        if row is None or not who.covers(row["area_code"]) or not domain.related_areas(area_code, row["area_code"]):
            raise invalid("agenda_item_ids", f"议题不存在或不属于本会议区域 / no such item for this meeting: {item_id}")
    if taken := {i for i, r in rows.items() if r["meeting_id"] is not None}:
        raise _already_taken(taken)


def _already_taken(item_ids: set[UUID]) -> Problem:
    return conflict(
        f"议题已列入其他会议 / already on another meeting's agenda: {', '.join(map(str, sorted(item_ids)))}",
        state="on_agenda",
        rule="one_meeting_per_item",
    )


# --- reading --------------------------------------------------------------------------------------------


async def meeting_view(pool: asyncpg.Pool, who: Principal, meeting_id: UUID) -> api.MeetingView:
    async with pool.acquire() as conn:
        meeting = visible(who, await store.get_meeting(conn, meeting_id))
        agenda, resolutions = await store.agenda_of(conn, meeting_id), await store.resolutions_of(conn, meeting_id)
        actions = await store.actions_of(conn, meeting_id)
    return api.MeetingView(
        **dict(meeting),
        agenda=[dict(r) for r in agenda],
        resolutions=[dict(r) for r in resolutions],
        actions=[action_view(r) for r in actions],
    )


def action_view(row) -> api.ActionView:
    return api.ActionView(**dict(row), overdue=row["overdue_at"] is not None and row["status"] != "done")


# --- resolving: actions are dispatched ------------------------------------------------------------------


async def resolve(
    pool: asyncpg.Pool, who: Principal, meeting_id: UUID, body: api.ResolutionIn
) -> api.ResolutionCreated:
    """Record a resolution; the meeting is held from its first one. Every action it takes is stored
    and announced as ActionDispatched in the same transaction, so none is lost or sent twice."""
    at = now()
    async with UnitOfWork(pool) as uow:
        meeting = visible(who, await store.get_meeting(uow.conn, meeting_id, for_update=True))
        _check_actions(body.actions, at)
        await _check_agenda_item(uow.conn, meeting_id, body.agenda_item_id)
        resolution_id = new_id()
        await store.mark_held(uow.conn, meeting_id, at)
        await store.insert_resolution(
            uow.conn,
            {
                "id": resolution_id,
                "meeting_id": meeting_id,
                "agenda_item_id": body.agenda_item_id,
                "text": body.text,
                "resolved_by": who.sub,
                "resolved_at": at,
            },
        )
        action_ids = [await _dispatch(uow, meeting, resolution_id, action, at) for action in body.actions]
    return api.ResolutionCreated(id=resolution_id, meeting_id=meeting_id, action_ids=action_ids)


def _check_actions(actions: list[api.ActionIn], at: datetime) -> None:
    for i, action in enumerate(actions):
        if problems := domain.action_problems(action.kind, action.amount_fen, action.due_at, at):
            field, message = problems[0]
            raise invalid(f"actions.{i}.{field}", message)


async def _check_agenda_item(conn, meeting_id: UUID, item_id: UUID | None) -> None:
    if item_id is None:
        return
    item = next((r for r in await store.items_by_id(conn, [item_id]) if r["meeting_id"] == meeting_id), None)
    if item is None:
        raise invalid("agenda_item_id", "该议题不在本次会议议程上 / not on this meeting's agenda")
    if await store.item_resolved(conn, item_id):
        raise conflict(
            "该议题已形成决议 / this item has its resolution already", state="resolved", rule="one_resolution_per_item"
        )


async def _dispatch(uow: UnitOfWork, meeting, resolution_id: UUID, action: api.ActionIn, at: datetime) -> UUID:
    action_id, area = new_id(), meeting["area_code"]
    event = ActionDispatched(
        action_id=action_id,
        meeting_id=meeting["id"],
        area_code=area,
        kind=action.kind,
        target_service=domain.target_service(action.kind),
        title=action.title,
        details=action.details,
        need_id=action.need_id,
        amount_fen=action.amount_fen,
        required_skills=action.required_skills,
        owner=action.owner,
        due_at=action.due_at,
        dispatched_at=at,
    )
    await store.insert_action(
        uow.conn,
        {
            **event.model_dump(
                include={
                    "meeting_id",
                    "area_code",
                    "kind",
                    "target_service",
                    "title",
                    "details",
                    "need_id",
                    "amount_fen",
                    "required_skills",
                    "owner",
                    "due_at",
                    "dispatched_at",
                }
            ),
            "id": action_id,
            "resolution_id": resolution_id,
            "updated_at": at,
        },
    )
    uow.emit(event, subject=str(action_id), area_code=area)
    return action_id


# --- follow-up ------------------------------------------------------------------------------------------


async def report_progress(pool: asyncpg.Pool, who: Principal, action_id: UUID, body: api.ProgressIn) -> api.ActionView:
    async with UnitOfWork(pool) as uow:
        action = visible(who, await store.get_action(uow.conn, action_id, for_update=True))
        try:
            status = domain.progress(action["status"], body.status)
        except domain.IllegalProgress as exc:
            raise conflict(str(exc), state=exc.status, action=exc.to, rule="forward_only") from None
        await store.record_progress(uow.conn, new_id(), action_id, status.value, body.note, who.sub, now())
        return action_view(await store.get_action(uow.conn, action_id))


async def on_task_accepted(conn: asyncpg.Connection, envelopes: list[Envelope[TaskAccepted]]) -> None:
    """A volunteer accepted the task a meeting dispatched (its id is the action's): the action is under
    way. Tasks that did not come from a meeting, or actions already moved on, are not ours to move."""
    for envelope in envelopes:
        accepted = envelope.data
        action = await store.get_action(conn, accepted.task_id, for_update=True)
        if action is None or action["status"] != domain.ActionStatus.DISPATCHED:
            continue
        await store.record_progress(
            conn,
            new_id(),
            action["id"],
            domain.ActionStatus.IN_PROGRESS.value,
            "志愿者已接单 / a volunteer accepted the task",
            "volunteers:task_accepted",
            accepted.accepted_at,
        )


async def on_project_proposed(conn: asyncpg.Connection, envelopes: list[Envelope[ProjectProposed]]) -> None:
    """The projects service put a project in its library for an action a meeting dispatched."""
    for envelope in envelopes:
        proposed = envelope.data
        action = proposed.action_id and await store.get_action(conn, proposed.action_id, for_update=True)
        if not action or action["status"] != domain.ActionStatus.DISPATCHED:
            continue
        await store.record_progress(
            conn,
            new_id(),
            action["id"],
            domain.ActionStatus.IN_PROGRESS.value,
            f"项目已入库：{proposed.title} / the project is in the library",
            "projects:project_proposed",
            proposed.proposed_at,
        )


async def flag_overdue_actions(pool: asyncpg.Pool, at: datetime | None = None) -> int:
    """Flag (once) every action past its deadline and not done; safe in several replicas."""
    async with pool.acquire() as conn, conn.transaction():
        return await store.flag_overdue(conn, at or now())
