"""Use cases of the party service: party organizations and their committees, party members
(在职党员到社区报到), responsible units, and major-matter review (重大事项先议后决)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.api import party as api
from contracts.envelope import Envelope, new_id
from contracts.events.party import MatterDecided, MatterEscalated, PartyMemberDataRead, PartyMemberRegistered
from contracts.events.projects import ProjectReviewRequested
from contracts.values import mask_name, mask_phone
from kit.auth import Principal, require_jurisdiction, visible
from kit.clock import now
from kit.crypto import Keyring, field_context
from kit.problems import Problem, conflict, invalid, not_found
from kit.reencrypt import Encrypted, fields
from kit.uow import UnitOfWork
from services.party import domain, store
from services.party.config import party_settings

MEMBER_PII = ("name", "phone")


def pii_context(member_id: UUID, field: str) -> bytes:
    """Associated data binding a member's ciphertext to its row and field."""
    return field_context("party", "member", member_id, field)


# where this service keeps ciphertexts, under the contexts it encrypts them with (`wushe reencrypt`)
ENCRYPTED = (Encrypted("members", fields(pii_context, {f"{f}_enc": f for f in MEMBER_PII})),)


def masked_member_name(keyring: Keyring, member) -> str:
    return mask_name(keyring.decrypt(member["name_enc"], pii_context(member["id"], "name")))


# --- organizations and committees -------------------------------------------------------------------


async def create_organization(pool: asyncpg.Pool, who: Principal, body: api.OrganizationIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    org_id = new_id()
    async with UnitOfWork(pool) as uow:
        if body.parent_id is not None:
            visible(who, await store.get_organization(uow.conn, body.parent_id))
        try:
            await store.insert_organization(
                uow.conn,
                {
                    "id": org_id,
                    "name": body.name,
                    "kind": body.kind,
                    "area_code": body.area_code,
                    "host_kind": body.host_kind,
                    "host_uscc": body.host_uscc,
                    "parent_id": body.parent_id,
                    "created_by": who.sub,
                    "created_at": now(),
                },
            )
        except asyncpg.UniqueViolationError:
            raise conflict(
                "该社会组织已登记党组织 / this social organization has a party organization already",
                rule="one_per_social_org",
            ) from None
    return org_id


async def organization_view(conn, keyring: Keyring, who: Principal, org_id: UUID) -> api.OrganizationView:
    org = visible(who, await store.get_organization(conn, org_id))
    return api.OrganizationView(
        **{k: org[k] for k in ("id", "name", "kind", "area_code", "host_kind", "host_uscc", "parent_id")},
        committee=await _seats(conn, keyring, org_id),
    )


async def _seats(conn, keyring: Keyring, org_id: UUID) -> list[api.SeatView]:
    return [
        api.SeatView(
            id=s["id"],
            member_id=s["member_id"],
            name=masked_member_name(keyring, {"id": s["member_id"], "name_enc": s["name_enc"]}),
            position=s["position"],
            part_time=s["part_time"],
            from_actor=s["from_actor"],
            since=s["since"],
        )
        for s in await store.current_seats(conn, org_id)
    ]


async def deciding_committee(conn, keyring: Keyring, who: Principal, matter_id: UUID) -> api.DecidingCommittee:
    """The sitting committee that decides the matter, and the quorum and majority it needs."""
    matter = visible(who, await store.get_matter(conn, matter_id))
    org = await _deciding_organization_if_any(conn, matter)
    if org is None:  # nobody to decide yet: said, not refused (a read)
        return api.DecidingCommittee(
            org_id=None, org_name=None, seats=[], committee_size=0, quorum=1, majority=1, note=NO_ORGANIZATION
        )
    seats = await _seats(conn, keyring, org["id"])
    needed = domain.more_than_half(len(seats))
    return api.DecidingCommittee(
        org_id=org["id"], org_name=org["name"], seats=seats, committee_size=len(seats), quorum=needed, majority=needed
    )


async def add_seat(pool: asyncpg.Pool, who: Principal, org_id: UUID, body: api.SeatIn) -> UUID:
    seat_id = new_id()
    async with UnitOfWork(pool) as uow:
        visible(who, await store.get_organization(uow.conn, org_id))
        if await store.get_member(uow.conn, body.member_id) is None:
            raise invalid("member_id", "委员须是已登记的党员 / a committee member must be a registered party member")
        if any(s["member_id"] == body.member_id for s in await store.current_seats(uow.conn, org_id)):
            raise conflict("该党员已是本届委员 / already on the committee", rule="one_seat_each")
        await store.insert_seat(uow.conn, {"id": seat_id, "org_id": org_id, **body.model_dump()})
    return seat_id


async def end_seat(pool: asyncpg.Pool, who: Principal, org_id: UUID, seat_id: UUID) -> None:
    async with UnitOfWork(pool) as uow:
        visible(who, await store.get_organization(uow.conn, org_id))
        if not await store.end_seat(uow.conn, seat_id, now().date()):
            raise not_found()


# --- members -----------------------------------------------------------------------------------------


async def register_member(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, body: api.MemberIn
) -> api.MemberCreated:
    require_jurisdiction(who, body.area_code, hide=False)
    member_id, at = new_id(), now()
    ref = keyring.pseudonym(body.citizen_id, "party_member")
    async with UnitOfWork(pool) as uow:
        if await store.get_organization(uow.conn, body.org_id) is None:
            raise invalid("org_id", "没有这个党组织 / no such party organization")
        row = body.model_dump(exclude={"name", "phone", "citizen_id"})
        try:
            added = await store.insert_member(
                uow.conn,
                {
                    **row,
                    "id": member_id,
                    "member_ref": ref,
                    "name_enc": keyring.encrypt(body.name, pii_context(member_id, "name")),
                    "phone_enc": keyring.encrypt(body.phone, pii_context(member_id, "phone")),
                    "registered_by": who.sub,
                    "registered_at": at,
                },
            )
        except asyncpg.UniqueViolationError:  # the login account belongs to another member
            raise invalid("account", "该登录账号已关联其他党员 / this account belongs to another member") from None
        if not added:
            raise Problem(
                409,
                "已报到 / Already registered",
                "该党员已在社区报到 / this party member is registered",
                errors=[{"field": "citizen_id", "message": "already registered", "type": "duplicate"}],
            )
        uow.emit(
            PartyMemberRegistered(
                member_ref=ref,
                area_code=body.area_code,
                in_service=body.in_service,
                skills=body.skills,
                registered_at=at,
            ),
            subject=ref,
            area_code=body.area_code,
        )
    return api.MemberCreated(id=member_id, member_ref=ref)


def member_view(keyring: Keyring, row, *, unmasked: bool) -> api.MemberView:
    plain = {f: keyring.decrypt(row[f"{f}_enc"], pii_context(row["id"], f)) for f in MEMBER_PII}
    if not unmasked:
        plain = {"name": mask_name(plain["name"]), "phone": mask_phone(plain["phone"])}
    return api.MemberView(**plain, **{k: row[k] for k in api.MemberView.model_fields if k not in plain})


async def read_member(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, member_id: UUID, purpose: str | None
) -> api.MemberView:
    """Masked unless the party secretary states a purpose; that read is audited in the same transaction."""
    async with UnitOfWork(pool) as uow:
        row = visible(who, await store.get_member(uow.conn, member_id))
        if purpose is not None:
            uow.emit(
                PartyMemberDataRead(
                    record=f"party_member/{member_id}",
                    area_code=row["area_code"],
                    reader=who.sub,
                    reader_role=who.role,
                    purpose=purpose,
                    fields=list(MEMBER_PII),
                    read_at=now(),
                ),
                subject=f"party_member/{member_id}",
                area_code=row["area_code"],
            )
    return member_view(keyring, row, unmasked=purpose is not None)


# --- major matters ------------------------------------------------------------------------------------


async def submit_matter(pool: asyncpg.Pool, who: Principal, body: api.MatterIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    matter_id, at = new_id(), now()
    async with UnitOfWork(pool) as uow:
        await store.insert_matter(
            uow.conn,
            {
                "id": matter_id,
                "source": "manual",
                "kind": body.kind,
                "area_code": body.area_code,
                "title": body.title,
                "summary": body.summary,
                "amount_fen": body.amount_fen,
                "vital_interests": body.vital_interests,
                "reasons": domain.matter_reasons(
                    body.kind, body.amount_fen, body.vital_interests, party_settings().foundation_threshold_fen
                ),
                "need_ids": body.need_ids,
                "submitted_by": who.sub,
                "submitted_at": at,
                "due_at": domain.review_due(at, party_settings().matter_review()),
            },
        )
    return matter_id


async def on_review_requested(conn: asyncpg.Connection, envelopes: list[Envelope[ProjectReviewRequested]]) -> None:
    """A project waits for the party organization: it becomes a matter with a deadline, once."""
    for envelope in envelopes:
        review = envelope.data
        await store.insert_matter(
            conn,
            {
                "id": new_id(),
                "source": "project_review",
                "source_ref": review.review_id,
                "project_id": review.project_id,
                "kind": "project",
                "area_code": review.area_code,
                "title": review.title,
                "summary": review.summary,
                "amount_fen": review.budget_fen,
                "vital_interests": review.vital_interests,
                "reasons": review.reasons,
                "need_ids": review.need_ids,
                "submitted_by": "projects",
                "submitted_at": review.requested_at,
                "due_at": domain.review_due(now(), party_settings().matter_review()),
            },
        )


async def decide(pool: asyncpg.Pool, who: Principal, matter_id: UUID, body: api.DecisionIn) -> None:
    """Record the committee's vote and its outcome; final once written."""
    async with UnitOfWork(pool) as uow:
        matter = visible(who, await store.get_matter(uow.conn, matter_id, for_update=True))
        if matter["status"] == "decided":
            raise conflict(
                "该事项已作出决定，决定不可更改 / the matter is decided; a decision is final",
                state="decided",
                rule="final",
            )
        org = await _deciding_organization(uow.conn, matter)
        committee = {s["id"] for s in await store.current_seats(uow.conn, org["id"])}
        votes = {v.seat_id: v.vote for v in body.votes}
        try:
            result = domain.tally(committee, votes)
            domain.check_decision(body.outcome, result, body.reasons)
        except domain.Refused as refused:
            raise Problem(
                422,
                "不符合议事规则 / Against the rules of procedure",
                str(refused),
                rule=refused.rule,
                errors=[{"field": refused.field, "message": str(refused)}],
            ) from None
        at = now()
        await store.record_decision(
            uow.conn,
            {
                "matter_id": matter_id,
                "org_id": org["id"],
                "outcome": body.outcome,
                "reasons": body.reasons,
                "meeting_held_at": body.meeting_held_at,
                "committee_size": result.committee_size,
                "votes_for": result.votes_for,
                "votes_against": result.votes_against,
                "votes_abstain": result.votes_abstain,
                "decided_by": who.sub,
                "decided_at": at,
            },
            list(votes.items()),
        )
        uow.emit(
            MatterDecided(
                matter_id=matter_id,
                source=matter["source"],
                source_ref=matter["source_ref"],
                project_id=matter["project_id"],
                area_code=matter["area_code"],
                outcome=body.outcome,
                reasons=body.reasons,
                votes_for=result.votes_for,
                votes_against=result.votes_against,
                votes_abstain=result.votes_abstain,
                committee_size=result.committee_size,
                decided_by=who.sub,
                decided_at=at,
                need_ids=matter["need_ids"],
            ),
            subject=str(matter["project_id"] or matter_id),
            area_code=matter["area_code"],
        )


NO_ORGANIZATION = "该区域未登记社区党组织，无法表决 / no community party organization is registered here"


async def _deciding_organization(conn, matter) -> asyncpg.Record:
    """The township's organization once the matter went up to it (if it has one registered), else
    the community's own."""
    if org := await _deciding_organization_if_any(conn, matter):
        return org
    raise conflict(
        NO_ORGANIZATION,
        rule="no_party_organization",
    )


async def _deciding_organization_if_any(conn, matter) -> asyncpg.Record | None:
    for level in filter(None, (matter["escalated_to"], matter["area_code"])):
        if org := await store.leading_organization(conn, level):
            return org
    return None


async def matter_view(conn, who: Principal, matter_id: UUID) -> api.MatterView:
    matter = visible(who, await store.get_matter(conn, matter_id))
    decision, votes = await store.get_decision(conn, matter_id)
    return _matter_view(matter, decision and api.DecisionView(**dict(decision), votes=[dict(v) for v in votes]))


def _matter_view(row, decision: api.DecisionView | None = None) -> api.MatterView:
    fields = {k: row[k] for k in api.MatterView.model_fields if k in row.keys()}
    overdue = row["status"] == "pending" and now() > row["due_at"]
    return api.MatterView(**fields, overdue=overdue, decision=decision)


async def list_matters(conn, area: str, status: str | None) -> list[api.MatterView]:
    return [_matter_view(row) for row in await store.list_matters(conn, area, status)]


async def escalate_overdue_matters(pool: asyncpg.Pool, at: datetime | None = None) -> int:
    """Every matter past its review deadline goes up one level, once, and onto the joint-meeting agenda."""
    at = at or now()
    async with UnitOfWork(pool) as uow:
        rows = await store.claim_overdue_matters(uow.conn, at)
        for row in rows:
            target = domain.escalation_target(row["area_code"])
            await store.mark_matter_escalated(uow.conn, row["id"], at, target)
            uow.emit(
                MatterEscalated(
                    matter_id=row["id"],
                    area_code=row["area_code"],
                    escalated_to=target,
                    due_at=row["due_at"],
                    escalated_at=at,
                ),
                subject=str(row["id"]),
                area_code=row["area_code"],
            )
            await store.add_agenda_item(
                uow.conn, "escalated_matter", row["id"], row["area_code"], f"重大事项逾期未决：{row['title']}", at
            )
    return len(rows)


# --- responsible units --------------------------------------------------------------------------------


async def create_unit(pool: asyncpg.Pool, who: Principal, body: api.UnitIn) -> UUID:
    require_jurisdiction(who, body.area_code, hide=False)
    unit_id = new_id()
    async with UnitOfWork(pool) as uow:
        try:
            added = await store.insert_unit(uow.conn, {"id": unit_id, **body.model_dump(), "created_at": now()})
        except asyncpg.UniqueViolationError:
            raise invalid("account", "该登录账号已关联其他单位 / this account belongs to another unit") from None
        if not added:
            raise Problem(
                409,
                "已登记 / Already registered",
                "本区域已有同名责任单位 / a unit of this name is registered here",
                errors=[{"field": "name", "message": "duplicate", "type": "duplicate"}],
            )
    return unit_id
