"""Use cases of the needs service, each inside one unit of work: state, timeline and events
commit together (the API's intake in a group's transaction, kit.group_commit, with the same
guarantee for each need)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid5

import asyncpg

from contracts.api import needs as api
from contracts.areas import contains, lookup
from contracts.envelope import Envelope, new_id, wrap
from contracts.events import needs as ev
from contracts.events.charity import DonationEarmarked, FundsDisbursed
from contracts.events.projects import ProjectProcured
from contracts.events.volunteers import TaskAccepted
from contracts.taxonomy import Route, TargetGroup
from kit import months
from kit.auth import Principal, Role, visible
from kit.clock import now
from kit.crypto import Keyring, field_context
from kit.group_commit import GroupCommit
from kit.problems import Problem, conflict, invalid, not_found
from kit.reencrypt import Encrypted, fields
from kit.telemetry import current_traceparent
from kit.uow import UnitOfWork
from services.needs import domain, store
from services.needs.domain import Action, IllegalTransition, Status
from services.needs.residents.domain import RESIDENT_PII

COMMUNITY = domain.COMMUNITY
Defaults = Mapping[str, float]  # the installation's default service levels (NeedsSettings.level_defaults)


def pii_context(record_id: object, field: str) -> bytes:
    """Bound to the ciphertext as associated data: it cannot be moved to another record or field."""
    return field_context("needs", record_id, field)


# where this service keeps ciphertexts, under the contexts it encrypts them with (`wushe reencrypt`)
ENCRYPTED = (
    Encrypted(
        "needs",
        fields(
            pii_context, {"resident_name_enc": "name", "resident_phone_enc": "phone", "resident_cid_enc": "citizen_id"}
        ),
    ),
    Encrypted("residents", fields(pii_context, {f"{f}_enc": f for f in RESIDENT_PII})),
)


def refused(exc: IllegalTransition) -> Problem:
    return conflict(
        str(exc),
        state=exc.status.value,
        action=exc.action.value,
        errors=[{"field": "status", "message": domain.PRECONDITIONS[exc.action], "type": "illegal_transition"}],
    )


def _transition(row: asyncpg.Record, action: Action) -> Status:
    try:
        return domain.transition(Status(row["status"]), action)
    except IllegalTransition as exc:
        raise refused(exc) from None


async def _need_for_update(uow: UnitOfWork, need_id: UUID, who: Principal) -> asyncpg.Record:
    row = visible(who, await store.get_need(uow.conn, need_id, for_update=True))
    return row


# --- intake -----------------------------------------------------------------------------------


def grouped_intake(pool: asyncpg.Pool, defaults: Callable[[], Defaults]) -> GroupCommit[RaisedNeed]:
    """Needs raised through the API, committed in groups when they come together (kit.group_commit)."""
    return GroupCommit(pool, lambda conn, raised: write_raised_needs(conn, defaults(), raised))


async def raise_need(
    intake: GroupCommit[RaisedNeed], keyring: Keyring, who: Principal, need: api.NeedIn
) -> api.NeedCreated:
    created = api.NeedCreated(id=new_id(), status=Status.RAISED)
    resident = need.resident
    if resident is None:
        async with intake.pool.acquire() as conn:
            row = await _registered_resident(conn, who, need)
        resident = resident_identity(keyring, row)
        if "target_groups" not in need.model_fields_set:  # the groups the resident is registered in
            need = need.model_copy(update={"target_groups": [TargetGroup(t) for t in row["tags"]]})
    raised = raised_need(keyring, who, created.id, need, resident)
    await intake.submit(raised, [raised.envelope])
    return created


async def _registered_resident(conn: asyncpg.Connection, who: Principal, need: api.NeedIn) -> asyncpg.Record:
    """The registered resident a need names by `resident_id`: a resident raises needs only for
    themself; a worker only for a resident of their area who lives in the need's street (街道/乡镇),
    since a street's communities share its service centres and a resident may be served next door."""
    row = await store.get_resident(conn, need.resident_id)
    if who.role == Role.RESIDENT and (row is None or not await _speaks_for(conn, who, row["resident_ref"])):
        raise Problem(
            403,
            "无权操作 / Forbidden",
            "居民只能为本人或其监护的人登记需求 / a resident raises needs for themself or their ward",
            errors=[{"field": "resident_id", "message": "neither the caller nor their ward"}],
        )
    if row is None or not who.covers(row["area_code"]):
        raise invalid("resident_id", "居民未登记或不在辖区内 / no such resident in your area")
    if not contains(lookup(need.area_code).parent, row["area_code"]):
        raise invalid("resident_id", "居民不住在需求所在街道（乡镇）/ the resident lives outside the need's street")
    return row


async def _speaks_for(conn: asyncpg.Connection, who: Principal, resident_ref: str) -> bool:
    """The calling resident is the resident with `resident_ref`, or their registered guardian."""
    guardian = None if who.sub == resident_ref else await store.guardian_ref(conn, resident_ref)
    return domain.speaks_for(who.sub, resident_ref, guardian)


def resident_identity(keyring: Keyring, resident: asyncpg.Record) -> api.ResidentIn:
    """A registered resident's name, phone and citizen ID (validated when they were registered)."""
    return api.ResidentIn.model_construct(
        **{
            f: keyring.decrypt(resident[f"{f}_enc"], pii_context(resident["id"], f))
            for f in ("name", "phone", "citizen_id")
        }
    )


def encrypted_resident(keyring: Keyring, need_id: UUID, resident: api.ResidentIn) -> dict[str, bytes]:
    """The need's copy of the resident's name, phone and citizen ID, each encrypted for its field."""
    return {
        "resident_name_enc": keyring.encrypt(resident.name, pii_context(need_id, "name")),
        "resident_phone_enc": keyring.encrypt(resident.phone, pii_context(need_id, "phone")),
        "resident_cid_enc": keyring.encrypt(resident.citizen_id, pii_context(need_id, "citizen_id")),
    }


@dataclass(frozen=True)
class RaisedNeed:
    """A need as raised, before its area's service levels set its first-response deadline."""

    row: dict
    step: store.TimelineStep
    envelope: Envelope


def raised_need(
    keyring: Keyring,
    who: Principal,
    need_id: UUID,
    need: api.NeedIn,
    resident: api.ResidentIn,
    work_order: ev.WorkOrderRef | None = None,
) -> RaisedNeed:
    at = now()
    window = need.time_window
    resident_ref = keyring.pseudonym(resident.citizen_id, "resident")
    event = ev.NeedRaised(
        need_id=need_id,
        area_code=need.area_code,
        category=need.category,
        urgency=need.urgency,
        channel=need.channel,
        required_skills=need.required_skills,
        target_groups=need.target_groups,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        weekly=[slot.model_dump() for slot in need.weekly],
        resident_ref=resident_ref,
        raised_by=who.sub,
        raised_at=at,
        work_order=work_order,
    )
    envelope = wrap(event, subject=str(need_id), area_code=need.area_code, traceparent=current_traceparent())
    detail = {"channel": need.channel.value, "by": who.sub} | ({"order_id": work_order.order_id} if work_order else {})
    row = {
        **event.model_dump(
            include={
                "area_code",
                "category",
                "urgency",
                "channel",
                "required_skills",
                "target_groups",
                "window_start",
                "window_end",
                "resident_ref",
                "raised_by",
                "raised_at",
            }
        ),
        "weekly": [slot.model_dump(mode="json") for slot in event.weekly],  # not the whole event again
        "id": need_id,
        "status": Status.RAISED,
        "description": need.description,
        **encrypted_resident(keyring, need_id, resident),
    }
    step = store.TimelineStep(at, COMMUNITY, domain.TimelineKind.NEED_RAISED, detail, envelope.id)
    return RaisedNeed(row, step, envelope)


async def write_raised_needs(conn: asyncpg.Connection, defaults: Defaults, raised: list[RaisedNeed]) -> None:
    """Needs and their first timeline steps, each due as its area's service levels say now: one
    statement reads the levels of all their areas, one writes them all."""
    levels = await areas_levels(conn, defaults, {r.row["area_code"] for r in raised})

    def due(r: RaisedNeed) -> datetime:
        return levels[r.row["area_code"]].levels.first_response_due(r.step.at, r.row["urgency"])

    await store.insert_raised_needs(conn, [({**r.row, "first_response_due": due(r)}, r.step) for r in raised])


async def write_raised_needs_in(uow: UnitOfWork, defaults: Defaults, raised: list[RaisedNeed]) -> None:
    """Needs raised inside a larger unit of work (a portal's work order, a grid visit), with their events."""
    uow.add(r.envelope for r in raised)
    await write_raised_needs(uow.conn, defaults, raised)


# --- assessment, resolution, feedback, disputes -------------------------------------------------


async def assess(pool: asyncpg.Pool, who: Principal, need_id: UUID, body: api.AssessmentIn) -> Status:
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        status = _transition(row, Action.ASSESS)
        at = now()
        await store.update_need(
            uow.conn,
            need_id,
            status=status,
            category=body.category,
            urgency=body.urgency,
            service_plan=body.service_plan,
            route=body.route,
            assessed_by=who.sub,
            first_response_at=row["first_response_at"] or at,
        )
        area = row["area_code"]
        assessed = uow.emit(
            ev.NeedAssessed(
                need_id=need_id,
                area_code=area,
                category=body.category,
                urgency=body.urgency,
                service_plan=body.service_plan,
                proposed_route=body.route,
                assessed_by=who.sub,
                assessed_at=at,
            ),
            subject=str(need_id),
            area_code=area,
        )
        routed = uow.emit(
            ev.NeedRouted(
                need_id=need_id,
                area_code=area,
                route=body.route,
                category=body.category,
                urgency=body.urgency,
                required_skills=row["required_skills"],
                window_start=row["window_start"],
                window_end=row["window_end"],
                weekly=row["weekly"],
                routed_by=who.sub,
                routed_at=at,
            ),
            subject=str(need_id),
            area_code=area,
            causation_id=assessed.id,
        )
        await store.add_timeline(
            uow.conn,
            need_id,
            at,
            COMMUNITY,
            "need_assessed",
            {"by": who.sub, "category": body.category, "urgency": body.urgency.value},
            assessed.id,
        )
        await store.add_timeline(
            uow.conn,
            need_id,
            at,
            COMMUNITY,
            "need_routed",
            {"route": body.route.value, "route_label": Route(body.route).zh},
            routed.id,
        )
    return status


async def resolve(
    pool: asyncpg.Pool, defaults: Defaults, who: Principal, need_id: UUID, body: api.ResolutionIn
) -> Status:
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        await _check_resident_or_behalf(uow.conn, who, row, body.on_behalf_of_resident)
        status = _transition(row, Action.RESOLVE)
        at = now()
        levels = (await area_levels(uow.conn, defaults, row["area_code"])).levels
        await store.update_need(
            uow.conn, need_id, status=status, resolved_at=at, revisit_due=levels.revisit_due(at).date()
        )
        confirmed_by = row["resident_ref"] if not body.on_behalf_of_resident else who.sub
        envelope = uow.emit(
            ev.NeedResolved(
                need_id=need_id,
                area_code=row["area_code"],
                confirmed_by=confirmed_by,
                on_behalf_of_resident=body.on_behalf_of_resident,
                resolved_at=at,
            ),
            subject=str(need_id),
            area_code=row["area_code"],
        )
        await store.add_timeline(
            uow.conn,
            need_id,
            at,
            COMMUNITY,
            "need_resolved",
            {"on_behalf_of_resident": body.on_behalf_of_resident, "note": body.note},
            envelope.id,
        )
    return status


async def return_need(pool: asyncpg.Pool, who: Principal, need_id: UUID, body: api.ReturnIn) -> Status:
    """退单: the community will not take the need on; returning it is its first response."""
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        status = _transition(row, Action.RETURN)
        at = now()
        await store.update_need(uow.conn, need_id, status=status, first_response_at=row["first_response_at"] or at)
        envelope = uow.emit(
            ev.NeedReturned(
                need_id=need_id, area_code=row["area_code"], reason=body.reason, returned_by=who.sub, returned_at=at
            ),
            subject=str(need_id),
            area_code=row["area_code"],
        )
        await store.add_timeline(
            uow.conn, need_id, at, COMMUNITY, "need_returned", {"by": who.sub, "reason": body.reason}, envelope.id
        )
    return status


async def give_feedback(
    pool: asyncpg.Pool, defaults: Defaults, who: Principal, need_id: UUID, body: api.FeedbackIn
) -> Status:
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        await _check_resident_or_behalf(uow.conn, who, row, on_behalf=who.role != "resident")
        status = _transition(row, domain.feedback_action(body.satisfaction))
        at = now()
        reopened = status == Status.REOPENED
        changes = {"status": status, "satisfaction": body.satisfaction}
        if reopened:  # back to the start: a new first-response deadline, which may escalate again
            levels = (await area_levels(uow.conn, defaults, row["area_code"])).levels
            changes |= {
                "first_response_due": levels.first_response_due(at, row["urgency"]),
                "first_response_at": None,
                "escalated_at": None,
            }
        await store.update_need(uow.conn, need_id, **changes)
        envelope = uow.emit(
            ev.NeedFeedbackGiven(
                need_id=need_id,
                area_code=row["area_code"],
                satisfaction=body.satisfaction,
                comment=body.comment,
                reopened=reopened,
                given_at=at,
            ),
            subject=str(need_id),
            area_code=row["area_code"],
        )
        await store.add_timeline(
            uow.conn,
            need_id,
            at,
            COMMUNITY,
            "feedback_given",
            {"satisfaction": body.satisfaction, "reopened": reopened},
            envelope.id,
        )
    return status


async def _check_resident_or_behalf(
    conn: asyncpg.Connection, who: Principal, row: asyncpg.Record, on_behalf: bool
) -> None:
    """A resident confirms for themself or their ward (their token's sub is their pseudonymous
    ref); a worker confirms on the resident's behalf and says so."""
    if who.role == "resident":
        if not await _speaks_for(conn, who, row["resident_ref"]):
            raise not_found()
        if on_behalf:
            raise Problem(
                422,
                "请求参数无效 / Invalid request",
                "居民本人确认时 on_behalf_of_resident 须为 false",
                errors=[{"field": "on_behalf_of_resident", "message": "must be false for the resident"}],
            )
    elif not on_behalf:
        raise Problem(
            422,
            "请求参数无效 / Invalid request",
            "工作人员代为确认时 on_behalf_of_resident 须为 true / a worker confirms on the resident's behalf",
            errors=[{"field": "on_behalf_of_resident", "message": "must be true for a worker"}],
        )


async def open_dispute(pool: asyncpg.Pool, who: Principal, need_id: UUID, body: api.DisputeIn) -> UUID:
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        if who.role == "resident" and not await _speaks_for(uow.conn, who, row["resident_ref"]):
            raise not_found()
        status = _transition(row, Action.DISPUTE)
        at, case_id = now(), new_id()
        await store.update_need(uow.conn, need_id, status=status)
        await store.insert_mediation(uow.conn, case_id, row, body.reason, who.sub, at)
        envelope = uow.emit(
            ev.MediationOpened(
                case_id=case_id, need_id=need_id, area_code=row["area_code"], opened_by=who.sub, opened_at=at
            ),
            subject=str(case_id),
            area_code=row["area_code"],
        )
        await store.add_timeline(
            uow.conn, need_id, at, COMMUNITY, "mediation_opened", {"case_id": str(case_id)}, envelope.id
        )
    return case_id


async def settle_mediation(pool: asyncpg.Pool, who: Principal, case_id: UUID, body: api.MediationDecisionIn) -> None:
    async with UnitOfWork(pool) as uow:
        case = await _mediation(uow, case_id, who)
        row = await _need_for_update(uow, case["need_id"], who)
        status = _transition(row, Action.SETTLE)
        at = now()
        await store.update_mediation(uow.conn, case_id, status="settled", outcome=body.outcome, closed_at=at)
        await store.update_need(uow.conn, row["id"], status=status)
        await store.add_timeline(
            uow.conn, row["id"], at, COMMUNITY, "mediation_settled", {"case_id": str(case_id), "outcome": body.outcome}
        )


async def escalate_mediation(pool: asyncpg.Pool, who: Principal, case_id: UUID, body: api.DisputeIn) -> None:
    async with UnitOfWork(pool) as uow:
        case = await _mediation(uow, case_id, who)
        if case["status"] != "open":
            raise conflict(
                "只有进行中的调处可以提交联席会议 / only an open mediation can be escalated",
                state=case["status"],
                action="escalate",
            )
        at = now()
        await store.update_mediation(uow.conn, case_id, status="escalated")
        envelope = uow.emit(
            ev.MediationEscalated(
                case_id=case_id,
                need_id=case["need_id"],
                area_code=case["area_code"],
                reason=body.reason,
                escalated_by=who.sub,
                escalated_at=at,
            ),
            subject=str(case_id),
            area_code=case["area_code"],
        )
        await store.add_timeline(
            uow.conn,
            case["need_id"],
            at,
            COMMUNITY,
            "mediation_escalated",
            {"case_id": str(case_id), "to": "党建联席会议"},
            envelope.id,
        )


async def _mediation(uow: UnitOfWork, case_id: UUID, who: Principal) -> asyncpg.Record:
    case = visible(who, await store.get_mediation(uow.conn, case_id, for_update=True))
    if case["status"] not in ("open", "escalated"):
        raise conflict("调处已办结 / the mediation is closed", state=case["status"], action="settle")
    return case


async def record_revisit(pool: asyncpg.Pool, who: Principal, need_id: UUID, body: api.RevisitIn) -> UUID:
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        if row["resolved_at"] is None:
            raise conflict(
                "只有已解决的需求可以回访 / only a resolved need is revisited", state=row["status"], action="revisit"
            )
        at, revisit_id = now(), new_id()
        await store.insert_revisit(uow.conn, revisit_id, need_id, who.sub, at, body.notes)
        await store.add_timeline(uow.conn, need_id, at, COMMUNITY, "revisited", {"by": who.sub})
    return revisit_id


async def ask_revisit(pool: asyncpg.Pool, who: Principal, need_id: UUID) -> date:
    """请求回访: the resident (or their guardian) asks the community to come back to a need that was
    met. It goes on the community's 待回访清单 today, ahead of the revisit the service level schedules."""
    async with UnitOfWork(pool) as uow:
        row = await _need_for_update(uow, need_id, who)
        if not await _speaks_for(uow.conn, who, row["resident_ref"]):
            raise not_found()
        if row["status"] not in domain.REVISIT_ASKABLE:
            raise conflict(
                "需求解决后才可请求回访 / a revisit is asked for once the need is met",
                state=row["status"],
                action="ask_revisit",
            )
        at = now()
        due = min(row["revisit_due"] or at.date(), at.date())
        await store.update_need(uow.conn, need_id, revisit_due=due)
        await store.add_timeline(uow.conn, need_id, at, COMMUNITY, domain.TimelineKind.REVISIT_ASKED)
    return due


# --- service levels per area ----------------------------------------------------------------------


def levels_by_area(rows: Mapping[str, asyncpg.Record]) -> dict[str, dict]:
    return {code: {f: row[f] for f in domain.LEVEL_FIELDS} for code, row in rows.items()}


async def area_levels(conn: asyncpg.Connection, defaults: Defaults, area: str) -> domain.EffectiveLevels:
    """The service levels in force in an area now: read per request (one primary-key lookup), so a
    change on any replica holds for the next deadline everywhere."""
    return (await areas_levels(conn, defaults, {area}))[area]


async def areas_levels(
    conn: asyncpg.Connection, defaults: Defaults, areas: set[str]
) -> dict[str, domain.EffectiveLevels]:
    """The service levels in force now in each of several areas, in one lookup."""
    chains = {area: domain.area_chain(area) for area in areas}
    found = levels_by_area(await store.service_levels_of(conn, sorted({c for chain in chains.values() for c in chain})))
    return {area: domain.effective_levels(chain, found, defaults) for area, chain in chains.items()}


# --- SLA ---------------------------------------------------------------------------------------


async def escalate_overdue(pool: asyncpg.Pool, at: datetime | None = None) -> int:
    """Escalate every need past its first-response deadline, once: `escalated_at` is set in the
    same transaction as the NeedEscalated event, and replicas skip rows another one holds."""
    at = at or now()
    async with UnitOfWork(pool) as uow:
        rows = await store.claim_overdue(uow.conn, at)
        for row in rows:
            await store.update_need(uow.conn, row["id"], escalated_at=at)
            envelope = uow.emit(
                ev.NeedEscalated(
                    need_id=row["id"],
                    area_code=row["area_code"],
                    category=row["category"],
                    urgency=row["urgency"],
                    raised_at=row["raised_at"],
                    due_at=row["first_response_due"],
                    escalated_at=at,
                ),
                subject=str(row["id"]),
                area_code=row["area_code"],
            )
            await store.add_timeline(
                uow.conn,
                row["id"],
                at,
                COMMUNITY,
                "need_escalated",
                {"due_at": row["first_response_due"].isoformat()},
                envelope.id,
            )
    return len(rows)


# --- other services' events ----------------------------------------------------------------------

MATCHING = (TaskAccepted, ProjectProcured, DonationEarmarked)  # the provider steps that match a routed need


def _need_ids(event) -> list[UUID]:
    if isinstance(event, DonationEarmarked):
        return [event.target_id] if event.target_kind == "need" else []
    if isinstance(event, FundsDisbursed):
        return list({*event.need_ids, *([event.target_id] if event.target_kind == "need" else [])})
    if hasattr(event, "need_ids"):
        return list(event.need_ids)
    return [event.need_id] if event.need_id else []


async def on_provider_events(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    """A provider's step for one of our needs: it goes on the need's timeline; the first
    matching step (task accepted, project procured, donation earmarked) makes a routed need
    matched and emits NeedMatched. Needs we do not know are not ours: ignored."""
    uow = UnitOfWork.joining(conn)
    for envelope in envelopes:
        event = envelope.data
        actor = type(event).service  # the provider that took the step
        for row in await store.existing_needs(conn, _need_ids(event)):
            if not _serves(event.area_code, row["area_code"]):
                continue  # a provider elsewhere cannot act on our need, whatever id it names
            detail = event.model_dump(mode="json", exclude={"area_code"})
            if not await store.add_timeline(
                conn,
                row["id"],
                envelope.time,
                actor,
                type(event).event_name(),
                detail,
                _timeline_id(envelope.id, row["id"]),
            ):
                continue
            if type(event) in MATCHING and row["status"] == Status.ROUTED:
                await store.update_need(conn, row["id"], status=Status.MATCHED, matched_at=envelope.time)
                uow.emit(
                    ev.NeedMatched(
                        need_id=row["id"],
                        area_code=row["area_code"],
                        matched_by=actor,
                        source_event_id=envelope.id,
                        matched_at=envelope.time,
                    ),
                    subject=str(row["id"]),
                    area_code=row["area_code"],
                    causation_id=envelope.id,
                    correlation_id=envelope.correlation_id,
                )
    await uow.flush()


def _serves(provider_area: str, need_area: str) -> bool:
    """A provider acts for needs inside its area (a city's fund for any of its communities), or of
    its own county (a project of one street may serve a neighbouring street's needs)."""
    return contains(provider_area, need_area) or provider_area[:6] == need_area[:6]


def _timeline_id(event_id: UUID, need_id: UUID) -> UUID:
    """One timeline entry per (event, need): a project event names many needs."""
    return uuid5(event_id, str(need_id))


# --- reads ---------------------------------------------------------------------------------------


def need_view(
    row: asyncpg.Record, keyring: Keyring, labels: dict[str, str], at: datetime | None = None, *, masked: bool = True
) -> api.NeedView:
    need_id = row["id"]
    window = api.TimeWindow(start=row["window_start"], end=row["window_end"]) if row["window_start"] else None
    weekly = [ev.WeeklySlot(**slot) for slot in row["weekly"]]
    name = keyring.decrypt(row["resident_name_enc"], pii_context(need_id, "name"))
    phone = keyring.decrypt(row["resident_phone_enc"], pii_context(need_id, "phone"))
    citizen_id = keyring.decrypt(row["resident_cid_enc"], pii_context(need_id, "citizen_id"))
    resident = (
        domain.masked_resident(name, phone, citizen_id)
        if masked
        else api.ResidentMasked(name=name, phone=phone, citizen_id=citizen_id)
    )
    area = lookup(row["area_code"])
    status = Status(row["status"])
    return api.NeedView(
        id=need_id,
        area_code=row["area_code"],
        area_name=area.name if area else "",
        category=row["category"],
        category_label=labels.get(row["category"], row["category"]),
        urgency=row["urgency"],
        channel=row["channel"],
        status=status,
        status_label=status.zh,
        description=row["description"],
        required_skills=row["required_skills"],
        target_groups=row["target_groups"],
        time_window=window,
        weekly=weekly,
        weekly_label=api.weekly_label(weekly),
        resident=resident,
        resident_ref=row["resident_ref"],
        raised_by=row["raised_by"],
        raised_at=row["raised_at"],
        first_response_due=row["first_response_due"],
        overdue=domain.is_overdue(status, row["first_response_due"], at or now()),
        escalated_at=row["escalated_at"],
        route=row["route"],
        service_plan=row["service_plan"],
        matched_at=row["matched_at"],
        resolved_at=row["resolved_at"],
        revisit_due=row["revisit_due"],
        satisfaction=row["satisfaction"],
    )


def timeline_view(rows: list[asyncpg.Record]) -> list[api.TimelineEntry]:
    return [
        api.TimelineEntry(
            at=r["at"],
            actor=r["actor"],
            actor_label=domain.actor_label(r["actor"]),
            kind=r["kind"],
            kind_label=domain.kind_label(r["kind"]),
            detail=r["detail"],
        )
        for r in rows
    ]


def stats_view(area: str, row: asyncpg.Record) -> api.NeedStats:
    return api.NeedStats(
        area_code=area,
        total=row["total"],
        by_status=row["by_status"],
        by_category=row["by_category"],
        by_target_group=row["by_group"],
        overdue=row["overdue"],
        first_response_hours=api.Percentiles(p50=row["response_p50_h"], p90=row["response_p90_h"]),
        resolution_rate=domain.resolution_rate(row["by_status"]),
        mean_satisfaction=row["mean_satisfaction"],
    )


async def trend(pool: asyncpg.Pool, area: str, n: int) -> list[api.NeedTrendPoint]:
    """The area's last `n` local months, oldest first, every month present."""
    span = months.months_to(now(), n)
    rows = {
        r["month"]: r
        for r in await store.monthly(pool, area, months.start(span[0]), months.ZONE, sorted(domain.RESOLVED))
    }
    return [
        api.NeedTrendPoint(
            month=month,
            raised=row["raised"] if row else 0,
            resolved=row["resolved"] if row else 0,
            median_first_response_hours=round(row["median_h"], 2) if row and row["median_h"] is not None else None,
        )
        for month, row in months.filled(span, rows, None)
    ]


def _linkage_figures(figures: domain.Linkage) -> dict:
    return {"resolved": figures.resolved, "shares": figures.shares, "index": figures.index}


async def linkage(pool: asyncpg.Pool, area: str) -> api.NeedLinkage:
    rows = await store.linkage_counts(pool, area, sorted(domain.RESOLVED))
    whole, communities = domain.linkage_by_community((r["area_code"], r["actor"], r["n"]) for r in rows)
    return api.NeedLinkage(
        area_code=area,
        **_linkage_figures(whole),
        communities=[
            api.CommunityLinkage(
                area_code=code, area_name=(a.name if (a := lookup(code)) else ""), **_linkage_figures(f)
            )
            for code, f in communities.items()
        ],
    )


def audit_read(uow: UnitOfWork, who: Principal, record: str, area_code: str, purpose: str, fields: list[str]) -> None:
    uow.emit(
        ev.PersonalDataRead(
            record=record,
            area_code=area_code,
            reader=who.sub,
            reader_role=who.role,
            purpose=purpose,
            fields=fields,
            read_at=now(),
        ),
        subject=record,
        area_code=area_code,
    )
