"""Use cases of 社区吹哨、党员报到 and 微心愿. A whistle is dispatched to the community's party members
whose skills fit and to its responsible units; a responder reports (接单) for themself, or a
community worker records it for them; whistles nobody takes on in time go up to the township."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import BaseModel

from contracts.api import whistles as api
from contracts.areas import lookup
from contracts.envelope import Envelope, new_id
from contracts.events.needs import NeedEscalated
from contracts.events.party import MemberReported, WhistleBlown, WhistleClosed, WhistleEscalated, WishFulfilled
from contracts.taxonomy import Urgency, category_label
from contracts.values import mask_name
from kit.auth import Principal, Role, listing_area, require_jurisdiction, visible
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, conflict, invalid, not_found
from kit.uow import Events, UnitOfWork
from services.party import store as party_store
from services.party.whistles import domain, store
from services.party.whistles.domain import WhistleStatus, WishStatus

WORKERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.PARTY_SECRETARY)
READERS = (*WORKERS, Role.CIVIL_AFFAIRS, Role.AUDITOR)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FORBIDDEN = "无权操作 / Forbidden"


# --- shared checks --------------------------------------------------------------------------------


def _checked(check, *args, action: str):
    """A domain state check; its refusal becomes the 409 naming the state and the rule."""
    try:
        return check(*args)
    except domain.Refused as refused:
        raise conflict(str(refused), action=action, **refused.extensions()) from None


def _acting_for(who: Principal, area_code: str, responder, dispatched: bool, field: str) -> None:
    """Who may act for a responder: the responder themself by their login (wherever their token's
    area lies, once dispatched: the dispatch is what entitles them), or a community worker whose
    area covers the whistle. Anyone else inside the area is told 403 naming `field`; outside, 404."""
    itself = responder is not None and responder["account"] is not None and responder["account"] == who.sub
    if itself and dispatched:
        return
    if not who.covers(area_code):
        raise not_found()
    if not itself and who.role not in WORKERS:
        message = "只能为本人接单或办结 / you may act only for yourself"
        raise Problem(
            403, FORBIDDEN, message, errors=[{"field": field, "message": message, "type": "not_the_responder"}]
        )


def _member_name(keyring: Keyring, member_id: UUID, name_enc: bytes | None) -> str:
    """Members are shown masked (张**); the phone is never shown here."""
    if name_enc is None:
        return ""
    return mask_name(keyring.decrypt(name_enc, f"party/member/{member_id}/name".encode()))


# --- blowing the whistle --------------------------------------------------------------------------


@dataclass(frozen=True)
class Blow:
    area_code: str
    title: str
    description: str
    urgency: Urgency
    category: str | None
    required_skills: tuple[str, ...]
    need_id: UUID | None
    source: str  # manual | need_escalated
    blown_by: str


async def _blow(
    conn: asyncpg.Connection,
    events: Events,
    blow: Blow,
    *,
    source_event_id: UUID | None = None,
    causation_id: UUID | None = None,
    correlation_id: UUID | None = None,
) -> api.WhistleCreated | None:
    """Record the whistle, dispatch it (one row per member and unit called on) and announce it;
    None when its source event made a whistle already."""
    whistle_id, at = new_id(), now()
    deadline = domain.respond_by(at, blow.urgency)
    recorded = await store.insert_whistle(
        conn,
        {
            "id": whistle_id,
            "area_code": blow.area_code,
            "source": blow.source,
            "source_event_id": source_event_id,
            "need_id": blow.need_id,
            "title": blow.title,
            "description": blow.description,
            "category": blow.category,
            "urgency": blow.urgency.value,
            "required_skills": list(blow.required_skills),
            "blown_by": blow.blown_by,
            "blown_at": at,
            "respond_by": deadline,
        },
    )
    if not recorded:
        return None
    members = await party_store.members_for_dispatch(conn, blow.area_code, list(blow.required_skills))
    units = await party_store.units_for_dispatch(conn, blow.area_code, blow.category)
    await store.insert_dispatches(
        conn, whistle_id, [("member", m["id"]) for m in members] + [("unit", u["id"]) for u in units], at
    )
    events.emit(
        WhistleBlown(
            whistle_id=whistle_id,
            area_code=blow.area_code,
            source=blow.source,
            need_id=blow.need_id,
            category=blow.category,
            urgency=blow.urgency,
            required_skills=list(blow.required_skills),
            dispatched_members=len(members),
            dispatched_units=len(units),
            respond_by=deadline,
            blown_at=at,
        ),
        subject=str(whistle_id),
        area_code=blow.area_code,
        causation_id=causation_id,
        correlation_id=correlation_id,
    )
    return api.WhistleCreated(
        id=whistle_id, respond_by=deadline, dispatched_members=len(members), dispatched_units=len(units)
    )


async def blow_whistle(pool: asyncpg.Pool, who: Principal, body: api.WhistleIn) -> api.WhistleCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    async with UnitOfWork(pool) as uow:
        created = await _blow(
            uow.conn,
            uow,
            Blow(
                area_code=body.area_code,
                title=body.title,
                description=body.description,
                urgency=body.urgency,
                category=body.category,
                required_skills=tuple(body.required_skills),
                need_id=body.need_id,
                source="manual",
                blown_by=who.sub,
            ),
        )
    return created


async def on_need_escalated(conn: asyncpg.Connection, envelopes: list[Envelope[NeedEscalated]]) -> None:
    """A need nobody answered within its SLA: the community blows the whistle for it, once per
    event, and offers the need to the next joint meeting of its area."""
    events = UnitOfWork.joining(conn)
    for envelope in envelopes:
        need = envelope.data
        label, due = category_label(need.category), need.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        await _blow(
            conn,
            events,
            Blow(
                area_code=need.area_code,
                title=f"需求超时未响应：{label}",
                description=f"需求超过首次响应时限（{due}）仍无人响应 / the need was not answered by its deadline",
                urgency=need.urgency,
                category=need.category,
                required_skills=(),
                need_id=need.need_id,
                source="need_escalated",
                blown_by="needs-sla",
            ),
            source_event_id=envelope.id,
            causation_id=envelope.id,
            correlation_id=envelope.correlation_id,
        )
        await party_store.add_agenda_item(
            conn,
            "escalated_need",
            need.need_id,
            need.area_code,
            f"需求超时未响应（{Urgency(need.urgency).zh}）：{label} / escalated need",
            now(),
        )
    await events.flush()


# --- reports (接单), handling and closing -------------------------------------------------------------


async def report(pool: asyncpg.Pool, who: Principal, whistle_id: UUID, body: api.ReportIn) -> api.ReportRecorded:
    async with UnitOfWork(pool) as uow:
        whistle = await store.get_whistle(uow.conn, whistle_id, for_update=True)  # one first response
        if whistle is None:
            raise not_found()
        dispatch = await store.get_dispatch(uow.conn, whistle_id, body.responder_id, for_update=True)
        dispatched = dispatch is not None and dispatch["responder_kind"] == body.responder_kind
        responder = await store.responder(uow.conn, body.responder_kind, body.responder_id)
        _acting_for(who, whistle["area_code"], responder, dispatched, "responder_id")
        _checked(
            domain.check_report,
            WhistleStatus(whistle["status"]),
            dispatched,
            dispatched and dispatch["reported_at"] is not None,
            action="report",
        )
        at = now()
        await store.mark_reported(uow.conn, whistle_id, body.responder_id, who.sub, at)
        await store.mark_first_response(uow.conn, whistle_id, at)
        seconds, in_time = (
            domain.response_seconds(whistle["blown_at"], at),
            domain.within_deadline(at, whistle["respond_by"]),
        )
        uow.emit(
            MemberReported(
                whistle_id=whistle_id,
                area_code=whistle["area_code"],
                need_id=whistle["need_id"],
                responder_kind=body.responder_kind,
                responder_ref=responder["ref"],
                response_seconds=seconds,
                within_deadline=in_time,
                reported_at=at,
            ),
            subject=str(whistle_id),
            area_code=whistle["area_code"],
        )
    return api.ReportRecorded(
        whistle_id=whistle_id,
        responder_kind=body.responder_kind,
        responder_id=body.responder_id,
        reported_at=at,
        response_seconds=seconds,
        within_deadline=in_time,
    )


async def mark_handled(
    pool: asyncpg.Pool, who: Principal, whistle_id: UUID, responder_id: UUID, body: api.HandledIn
) -> api.HandledRecorded:
    async with UnitOfWork(pool) as uow:
        whistle = await store.get_whistle(uow.conn, whistle_id, for_update=True)  # not while it is being closed
        dispatch = whistle and await store.get_dispatch(uow.conn, whistle_id, responder_id, for_update=True)
        if not dispatch:
            raise not_found()  # no such whistle, or nobody of that id was dispatched: no such report
        responder = await store.responder(uow.conn, dispatch["responder_kind"], responder_id)
        _acting_for(who, whistle["area_code"], responder, True, "responder_id")
        _checked(
            domain.check_handled,
            WhistleStatus(whistle["status"]),
            dispatch["reported_at"] is not None,
            dispatch["handled_at"] is not None,
            action="handled",
        )
        at = now()
        await store.mark_handled(uow.conn, whistle_id, responder_id, body.note, who.sub, at)
    return api.HandledRecorded(whistle_id=whistle_id, responder_id=responder_id, handled_at=at)


async def close(pool: asyncpg.Pool, who: Principal, whistle_id: UUID, body: api.CloseIn) -> api.WhistleClosedView:
    """Closed with the community's or the resident's evaluation (群众评判)."""
    async with UnitOfWork(pool) as uow:
        whistle = visible(who, await store.get_whistle(uow.conn, whistle_id, for_update=True))
        _checked(domain.check_close, WhistleStatus(whistle["status"]), action="close")
        at, first = now(), whistle["first_response_at"]
        await store.close_whistle(uow.conn, whistle_id, body.satisfaction, body.evaluated_by, body.comment, who.sub, at)
        uow.emit(
            WhistleClosed(
                whistle_id=whistle_id,
                area_code=whistle["area_code"],
                need_id=whistle["need_id"],
                first_response_seconds=domain.response_seconds(whistle["blown_at"], first) if first else None,
                satisfaction=body.satisfaction,
                evaluated_by=body.evaluated_by,
                closed_at=at,
            ),
            subject=str(whistle_id),
            area_code=whistle["area_code"],
        )
    return api.WhistleClosedView(id=whistle_id, status="closed", satisfaction=body.satisfaction, closed_at=at)


async def escalate_unanswered(pool: asyncpg.Pool, at: datetime | None = None) -> int:
    """Every whistle nobody took on by its deadline goes up to the township, once: escalated_at is
    set in the same transaction as WhistleEscalated, and replicas skip rows another one holds.
    It also goes on the joint-meeting agenda of its community."""
    at = at or now()
    async with UnitOfWork(pool) as uow:
        rows = await store.claim_unanswered(uow.conn, at)
        for row in rows:
            target = domain.escalation_target(row["area_code"])
            await store.mark_escalated(uow.conn, row["id"], at, target)
            uow.emit(
                WhistleEscalated(
                    whistle_id=row["id"],
                    area_code=row["area_code"],
                    need_id=row["need_id"],
                    escalated_to=target,
                    respond_by=row["respond_by"],
                    escalated_at=at,
                ),
                subject=str(row["id"]),
                area_code=row["area_code"],
            )
            await party_store.add_agenda_item(
                uow.conn,
                "overdue_whistle",
                row["id"],
                row["area_code"],
                f"吹哨超时无人接单：{row['title']} / whistle unanswered in time",
                at,
            )
    return len(rows)


# --- reads ----------------------------------------------------------------------------------------


async def _may_read(conn, who: Principal, whistle) -> None:
    """Readers of the whistle's area, and the members and units dispatched for it (by their login).
    A member or unit login sees 404 for other whistles; a role that is neither, 403."""
    if whistle is not None and who.role in READERS and who.covers(whistle["area_code"]):
        return
    if whistle is not None and await store.dispatched_account(conn, whistle["id"], who.sub):
        return
    if who.role in READERS or await store.is_responder_account(conn, who.sub):
        raise not_found()
    raise Problem(403, FORBIDDEN, f"角色 {who.role} 不能查看吹哨 / role {who.role} may not read whistles")


def _fields(row, model: type[BaseModel]) -> dict:
    keys = set(row.keys())
    return {k: row[k] for k in model.model_fields if k in keys}


def _summary(row, at: datetime) -> dict:
    return {
        **_fields(row, api.WhistleSummary),
        "overdue": domain.is_overdue(row["first_response_at"], row["respond_by"], at),
    }


def _dispatch_view(row, keyring: Keyring) -> api.DispatchView:
    name = (
        _member_name(keyring, row["responder_id"], row["name_enc"])
        if row["responder_kind"] == "member"
        else row["unit_name"] or ""
    )
    return api.DispatchView(
        responder_kind=row["responder_kind"],
        responder_id=row["responder_id"],
        name=name,
        dispatched_at=row["dispatched_at"],
        reported_at=row["reported_at"],
        handled_at=row["handled_at"],
        note=row["note"],
    )


async def whistle_view(pool: asyncpg.Pool, keyring: Keyring, who: Principal, whistle_id: UUID) -> api.WhistleView:
    async with pool.acquire() as conn:
        whistle = await store.get_whistle(conn, whistle_id)
        await _may_read(conn, who, whistle)
        dispatches = await store.dispatches_of(conn, whistle_id)
    return api.WhistleView(**_summary(whistle, now()), dispatches=[_dispatch_view(d, keyring) for d in dispatches])


async def list_whistles(
    pool: asyncpg.Pool, who: Principal, area: str | None, status: str | None, need_id: UUID | None = None
) -> list[api.WhistleSummary]:
    rows, at = await store.list_whistles(pool, listing_area(who, area), status, need_id), now()
    return [api.WhistleSummary(**_summary(r, at)) for r in rows]


def _stats_view(stats: domain.ResponseStats) -> dict:
    return {
        "count": stats.count,
        "answered": stats.answered,
        "answered_in_time": stats.answered_in_time,
        "median_response_s": stats.median_response_s,
        "p90_response_s": stats.p90_response_s,
        "open_overdue": stats.open_overdue,
    }


async def stats(pool: asyncpg.Pool, who: Principal, area: str | None) -> api.WhistleStats:
    """Response times of an area's whistles, in total and per village/community."""
    area, at = listing_area(who, area), now()
    timings = [
        (r["area_code"], domain.Timing(r["blown_at"], r["respond_by"], r["first_response_at"]))
        for r in await store.timings(pool, area)
    ]
    communities = [
        api.CommunityResponseStats(area_code=code, area_name=lookup(code).name, **_stats_view(s))
        for code, s in domain.stats_by_community(timings, at).items()
    ]
    return api.WhistleStats(
        area_code=area,
        total=api.ResponseStatsView(**_stats_view(domain.response_stats([t for _, t in timings], at))),
        communities=communities,
    )


# --- small wishes (微心愿) ----------------------------------------------------------------------------


def _wish_view(row, keyring: Keyring, claimer_enc: bytes | None = None) -> api.WishView:
    """A wish with its claimer masked; `claimer_enc` when the row was read without the member's name."""
    if claimer_enc is None and "name_enc" in row.keys():
        claimer_enc = row["name_enc"]
    claimer = _member_name(keyring, row["member_id"], claimer_enc) if row["member_id"] else None
    return api.WishView(**_fields(row, api.WishView), claimer=claimer)


async def post_wish(pool: asyncpg.Pool, who: Principal, body: api.WishIn) -> api.WishCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    async with UnitOfWork(pool) as uow:
        wish_id = new_id()
        await store.insert_wish(
            uow.conn,
            {
                "id": wish_id,
                "area_code": body.area_code,
                "title": body.title,
                "description": body.description,
                "beneficiary": body.beneficiary,
                "need_id": body.need_id,
                "posted_by": who.sub,
                "posted_at": now(),
            },
        )
        created = api.WishCreated(id=wish_id)
    return created


def _is_login_of(member, who: Principal) -> bool:
    return member is not None and member["status"] == "active" and member["account"] == who.sub


async def claim_wish(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, wish_id: UUID, body: api.ClaimIn
) -> api.WishView:
    """认领: by the member themself (their login), or by a worker for a member of their area."""
    async with UnitOfWork(pool) as uow:
        wish = visible(who, await store.get_wish(uow.conn, wish_id, for_update=True))
        member = await party_store.get_member(uow.conn, body.member_id)
        if not _is_login_of(member, who):
            if who.role not in WORKERS:
                message = "只能为本人认领 / you may claim only for yourself"
                raise Problem(
                    403,
                    FORBIDDEN,
                    message,
                    errors=[{"field": "member_id", "message": message, "type": "not_the_member"}],
                )
            if member is None or member["status"] != "active" or not who.covers(member["area_code"]):
                raise invalid("member_id", "辖区内没有这位在册党员 / no such active party member in your area")
        _checked(domain.check_claim, WishStatus(wish["status"]), action="claim")
        await store.claim_wish(uow.conn, wish_id, member["id"], who.sub, now())
        row = await store.get_wish(uow.conn, wish_id)
    return _wish_view(row, keyring, member["name_enc"])


async def fulfil_wish(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, wish_id: UUID, body: api.FulfilIn
) -> api.WishView:
    """The claiming member (or a worker) confirms the wish came true; WishFulfilled names the member by ref."""
    async with UnitOfWork(pool) as uow:
        wish = visible(who, await store.get_wish(uow.conn, wish_id, for_update=True))
        member = await party_store.get_member(uow.conn, wish["member_id"]) if wish["member_id"] else None
        if not _is_login_of(member, who) and who.role not in WORKERS:
            raise Problem(
                403, FORBIDDEN, "只有认领的党员或社区工作者可以确认 / only the claiming member or a community worker"
            )
        _checked(domain.check_fulfil, WishStatus(wish["status"]), action="fulfil")
        at = now()
        await store.fulfil_wish(uow.conn, wish_id, body.note, who.sub, at)
        uow.emit(
            WishFulfilled(
                wish_id=wish_id, area_code=wish["area_code"], member_ref=member["member_ref"], fulfilled_at=at
            ),
            subject=str(wish_id),
            area_code=wish["area_code"],
        )
        row = await store.get_wish(uow.conn, wish_id)
    return _wish_view(row, keyring, member["name_enc"])


async def list_wishes(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, area: str | None, status: str | None
) -> list[api.WishView]:
    """Readers of the area, and party members (any role) looking for a wish to claim."""
    if who.role not in READERS and await party_store.member_by_account(pool, who.sub) is None:
        raise Problem(403, FORBIDDEN, f"角色 {who.role} 不能查看微心愿 / role {who.role} may not read wishes")
    return [_wish_view(r, keyring) for r in await store.list_wishes(pool, listing_area(who, area), status)]
