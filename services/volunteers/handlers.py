"""Use cases of the volunteers service, each inside one unit of work."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time, timedelta
from uuid import UUID

import asyncpg

from contracts.api import volunteers as api
from contracts.areas import code_prefix, contains
from contracts.envelope import Envelope, new_id
from contracts.events.needs import NeedFeedbackGiven, NeedRouted
from contracts.events.party import ActionDispatched
from contracts.events.projects import VolunteerTaskRequested
from contracts.events.volunteers import HoursLogged, HoursVerified, TaskAccepted, VolunteerDataRead, VolunteerRegistered
from contracts.taxonomy import Route, category_label
from contracts.values import age_on, birth_date, is_minor, mask_citizen_id, mask_name, mask_phone
from kit.auth import Principal, Role, visible
from kit.clock import now
from kit.crypto import Keyring, field_context
from kit.problems import Problem, conflict, invalid, not_found
from kit.reencrypt import Encrypted, Field, fields
from kit.uow import UnitOfWork
from services.volunteers import domain, store
from services.volunteers.config import volunteers_settings

PII = ("name", "citizen_id", "phone")
WORKERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER)


def pii_context(volunteer_id: object, field: str) -> bytes:
    """Bound to the ciphertext as associated data: it cannot be moved to another volunteer or field."""
    return field_context("volunteers", volunteer_id, field)


# where this service keeps ciphertexts, under the contexts it encrypts them with (`wushe reencrypt`)
ENCRYPTED = (
    Encrypted(
        "volunteers",
        fields(pii_context, {**{f"{f}_enc": f for f in PII}, "sw_certificate_enc": "certificate"})
        + tuple(
            Field("guardian_consent", f"guardian_{f}", pii_context, json_key=f"guardian_{f}_enc")
            for f in ("name", "phone")
        ),
    ),
)


# --- registration -----------------------------------------------------------------------------------


async def register(pool: asyncpg.Pool, keyring: Keyring, who: Principal, body: api.VolunteerIn) -> api.VolunteerCreated:
    at, volunteer_id = now(), new_id()
    born = birth_date(body.citizen_id)
    age = age_on(born, at.date())
    if age < 14:
        raise invalid("citizen_id", "未满 14 周岁不能注册为志愿者 / volunteers must be at least 14")
    if age < 18 and body.guardian_consent is None:
        raise invalid("guardian_consent", "14–18 岁须有监护人同意 / a minor needs the guardian's consent")
    ref = keyring.pseudonym(body.citizen_id, "volunteer")
    consent = None
    if body.guardian_consent is not None:
        g = body.guardian_consent
        consent = {
            "guardian_name_enc": keyring.encrypt(g.guardian_name, pii_context(volunteer_id, "guardian_name")).hex(),
            "guardian_phone_enc": keyring.encrypt(g.guardian_phone, pii_context(volunteer_id, "guardian_phone")).hex(),
            "given_at": g.given_at.isoformat(),
        }
    sw = body.social_worker
    async with UnitOfWork(pool) as uow:
        added = await store.insert_volunteer(
            uow.conn,
            {
                "id": volunteer_id,
                "volunteer_ref": ref,
                "area_code": body.area_code,
                **{f"{f}_enc": keyring.encrypt(getattr(body, f), pii_context(volunteer_id, f)) for f in PII},
                "birth_date": born,
                "skills": body.skills,
                "service_areas": body.service_areas,
                "availability": [s.model_dump(mode="json") for s in body.availability],
                "party_member": body.party_member,
                "sw_level": sw.level if sw else None,
                "sw_certificate_enc": keyring.encrypt(sw.certificate_no, pii_context(volunteer_id, "certificate"))
                if sw
                else None,
                "guardian_consent": consent,
                "registered_by": who.sub,
                "registered_at": at,
            },
        )
        if not added:
            raise Problem(
                409,
                "已注册 / Already registered",
                "该公民身份号码已注册 / this citizen ID is registered",
                errors=[{"field": "citizen_id", "message": "already registered", "type": "duplicate"}],
            )
        uow.emit(
            VolunteerRegistered(
                volunteer_ref=ref,
                area_code=body.area_code,
                skills=body.skills,
                party_member=body.party_member,
                social_worker_level=sw.level if sw else None,
                registered_at=at,
            ),
            subject=ref,
            area_code=body.area_code,
        )
    return api.VolunteerCreated(id=volunteer_id, volunteer_ref=ref)


async def read_volunteer(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, volunteer_id: UUID, purpose: str | None
) -> api.VolunteerView:
    """Masked unless a worker states a purpose; that read is audited in the same transaction."""
    async with UnitOfWork(pool) as uow:
        row = await _visible_volunteer(uow.conn, who, volunteer_id)
        if purpose is not None:
            uow.emit(
                VolunteerDataRead(
                    record=f"volunteer/{volunteer_id}",
                    area_code=row["area_code"],
                    reader=who.sub,
                    reader_role=who.role,
                    purpose=purpose,
                    fields=list(PII),
                    read_at=now(),
                ),
                subject=f"volunteer/{volunteer_id}",
                area_code=row["area_code"],
            )
    plain = {f: keyring.decrypt(row[f"{f}_enc"], pii_context(volunteer_id, f)) for f in PII}
    if purpose is None:
        plain = {
            "name": mask_name(plain["name"]),
            "citizen_id": mask_citizen_id(plain["citizen_id"]),
            "phone": mask_phone(plain["phone"]),
        }
    return api.VolunteerView(
        id=row["id"],
        volunteer_ref=row["volunteer_ref"],
        area_code=row["area_code"],
        **plain,
        minor=is_minor(row["birth_date"], now().date()),
        skills=row["skills"],
        service_areas=row["service_areas"],
        availability=row["availability"],
        party_member=row["party_member"],
        social_worker_level=row["sw_level"],
        registered_at=row["registered_at"],
        masked=purpose is None,
    )


async def _visible_volunteer(conn, who: Principal, volunteer_id: UUID) -> asyncpg.Record:
    """Workers see the volunteers of their area; a volunteer sees only themself."""
    row = await store.get_volunteer(conn, volunteer_id)
    if row is None:
        raise not_found()
    if not (_is_self(who, row) if who.role == Role.VOLUNTEER else who.covers(row["area_code"])):
        raise not_found()
    return row


def _reachable(who: Principal, volunteer, task) -> bool:
    """A worker invites volunteers of their own area, or ones who offered to serve the task's area."""
    return who.covers(volunteer["area_code"]) or any(contains(a, task["area_code"]) for a in volunteer["service_areas"])


def _is_self(who: Principal, row) -> bool:
    return who.role == Role.VOLUNTEER and who.sub == row["volunteer_ref"]


# --- tasks ------------------------------------------------------------------------------------------


async def create_task(pool: asyncpg.Pool, who: Principal, body: api.TaskIn) -> UUID:
    task_id, window = new_id(), body.time_window
    async with UnitOfWork(pool) as uow:
        await store.insert_task(
            uow.conn,
            {
                "id": task_id,
                "need_id": None,
                "area_code": body.area_code,
                "title": body.title,
                "description": body.description,
                "required_skills": body.required_skills,
                "slots": body.slots,
                "window_start": window.start if window else None,
                "window_end": window.end if window else None,
                "place": body.place,
                "source": "manual",
                "created_by": who.sub,
                "created_at": now(),
            },
        )
    return task_id


async def on_need_routed(conn: asyncpg.Connection, envelopes: list[Envelope[NeedRouted]]) -> None:
    """A need routed to volunteers becomes a task (once, even if the event comes twice)."""
    for envelope in envelopes:
        routed = envelope.data
        if routed.route != Route.VOLUNTEER_TASK:
            continue
        await store.insert_task(
            conn,
            {
                "id": new_id(),
                "need_id": routed.need_id,
                "area_code": routed.area_code,
                "title": f"需求服务：{category_label(routed.category)}",
                "description": "",
                "required_skills": routed.required_skills,
                "slots": 1,
                "window_start": routed.window_start,
                "window_end": routed.window_end,
                "place": "",
                "source": "need_routed",
                "created_by": routed.routed_by,
                "created_at": routed.routed_at,
            },
        )


async def on_action_dispatched(conn: asyncpg.Connection, envelopes: list[Envelope[ActionDispatched]]) -> None:
    """A joint meeting (党建联席会议) resolved that volunteers act: the action becomes a task with the
    action's id, so the party service can follow it up by our TaskAccepted. Other actions are not ours."""
    for envelope in envelopes:
        action = envelope.data
        if action.target_service == "volunteers" and action.kind == "volunteer_task":
            await _open_requested_task(
                conn,
                {
                    "id": action.action_id,
                    "need_id": action.need_id,
                    "area_code": action.area_code,
                    "title": action.title,
                    "description": action.details,
                    "required_skills": action.required_skills,
                    "slots": 1,
                    "place": "",
                    "source": "joint_meeting",
                    "created_by": "party:joint_meeting",
                    "created_at": action.dispatched_at,
                },
            )


async def on_project_task_requested(
    conn: asyncpg.Connection, envelopes: list[Envelope[VolunteerTaskRequested]]
) -> None:
    """A project in delivery asks for volunteers: a task with the request's id."""
    for envelope in envelopes:
        asked = envelope.data
        await _open_requested_task(
            conn,
            {
                "id": asked.task_id,
                "need_id": asked.need_id,
                "area_code": asked.area_code,
                "title": asked.title,
                "description": asked.description,
                "required_skills": asked.required_skills,
                "slots": asked.slots,
                "place": asked.place,
                "source": "project",
                "created_by": f"projects:{asked.requested_by}",
                "created_at": asked.requested_at,
            },
        )


async def _open_requested_task(conn: asyncpg.Connection, task: dict) -> None:
    """Another service asked for a task under an id of its choosing: open it once."""
    if await store.get_task(conn, task["id"]) is not None:
        return  # the same request announced twice
    if task["need_id"] is not None and await store.task_of_need(conn, task["need_id"]) is not None:
        task["need_id"] = None  # one task per need: this one stands beside the need's own
    await store.insert_task(conn, {**task, "window_start": None, "window_end": None})


async def on_feedback(conn: asyncpg.Connection, envelopes: list[Envelope[NeedFeedbackGiven]]) -> None:
    """Residents' judgement of a need's service counts for the volunteers who served it."""
    for envelope in envelopes:
        await store.record_satisfaction(conn, envelope.data.need_id, envelope.data.satisfaction)


def in_scope(who: Principal, task) -> bool:
    """Workers reach the tasks of their area; an organization only its own tasks there (the one
    rule for every read and write of an org_admin on tasks, their hours and check-in codes)."""
    if not who.covers(task["area_code"]):
        return False
    return who.role != Role.ORG_ADMIN or domain.organized_by(task["created_by"], who.sub)


def organizer_of(who: Principal) -> list[str] | None:
    """For lists: the `created_by` values an organization's rows must have (None: anyone's)."""
    return domain.organizer_refs(who.sub) if who.role == Role.ORG_ADMIN else None


async def visible_task(conn, who: Principal, task_id: UUID, *, for_update: bool = False) -> asyncpg.Record:
    """Workers see the tasks of their area, an organization its own; a volunteer only the tasks
    they were invited to. Anything else answers like a missing task."""
    task = await store.get_task(conn, task_id, for_update=for_update)
    if task is None:
        raise not_found()
    if who.role == Role.VOLUNTEER:
        if not await store.invited_ref(conn, task_id, who.sub):
            raise not_found()
    elif not in_scope(who, task):
        raise not_found()
    return task


def task_view(row) -> api.TaskView:
    fields = {k: row[k] for k in api.TaskView.model_fields if k in row.keys()}
    return api.TaskView(
        **fields,
        source_label=domain.TaskSource(row["source"]).label,
        status_label=domain.TaskStatus(row["status"]).label,
    )


async def task_service(pool: asyncpg.Pool, keyring: Keyring, who: Principal, need_id: UUID) -> api.TaskService:
    """The need's task, who was invited to it and how they answered (names masked), and its minutes."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        task = visible(who, await store.task_of_need(conn, need_id))
        people = await store.participants(conn, task["id"])
        minutes = await store.task_minutes(conn, task["id"])
    return api.TaskService(
        task=task_view(task),
        volunteers=[
            api.TaskParticipant(
                volunteer_ref=p["volunteer_ref"],
                status=p["status"],
                name=mask_name(keyring.decrypt(p["name_enc"], pii_context(p["id"], "name"))),
            )
            for p in people
        ],
        minutes_verified=minutes.get("verified", 0),
        minutes_pending=minutes.get("logged", 0),
    )


# --- matching ---------------------------------------------------------------------------------------


def _spec(task) -> domain.TaskSpec:
    return domain.TaskSpec(
        id=task["id"],
        area_code=task["area_code"],
        required_skills=tuple(task["required_skills"]),
        window_start=task["window_start"],
        window_end=task["window_end"],
        slots=task["slots"],
    )


def _candidate(row) -> domain.Candidate:
    slots = tuple(
        domain.Slot(s["weekday"], time.fromisoformat(s["start"]), time.fromisoformat(s["end"]))
        for s in row["availability"]
    )
    return domain.Candidate(
        id=row["id"],
        home_area=row["area_code"],
        skills=frozenset(row["skills"]),
        service_areas=tuple(row["service_areas"]),
        availability=slots,
        recent_minutes=row["recent_minutes"],
        done=row["done"],
        no_shows=row["no_shows"],
        mean_satisfaction=row["mean_satisfaction"],
    )


async def _pool_of(conn, area_code: str) -> dict[UUID, asyncpg.Record]:
    return {r["id"]: r for r in await store.candidates(conn, area_code[:6], now() - timedelta(days=30))}


async def ranked_candidates(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, task_id: UUID, limit: int
) -> list[api.CandidateView]:
    task = await visible_task(pool, who, task_id)
    rows = await _pool_of(pool, task["area_code"])
    ranked = domain.rank(_spec(task), [_candidate(r) for r in rows.values()])[:limit]
    return [
        api.CandidateView(
            volunteer_id=c.id,
            volunteer_ref=rows[c.id]["volunteer_ref"],
            name=mask_name(keyring.decrypt(rows[c.id]["name_enc"], pii_context(c.id, "name"))),
            score=s.total,
            parts=[
                api.ScorePart(
                    name=p.name, label=domain.LABELS[p.name], value=round(p.value, 3), weight=p.weight, why=p.why
                )
                for p in s.parts
            ],
        )
        for c, s in ranked
    ]


async def batch_assign(pool: asyncpg.Pool, who: Principal, body: api.BatchIn) -> api.BatchResult:
    async with UnitOfWork(pool) as uow:
        tasks = [await visible_task(uow.conn, who, t) for t in body.task_ids]
        if any(t["status"] != "open" for t in tasks):
            raise invalid("task_ids", "只能为待招募的任务分配 / only open tasks can be assigned")
        rows: dict[UUID, asyncpg.Record] = {}
        for area in {t["area_code"][:6] for t in tasks}:
            rows |= await _pool_of(uow.conn, area)
        specs, people = [_spec(t) for t in tasks], [_candidate(r) for r in rows.values()]
        chosen, total = domain.assign_batch(specs, people)
        _, greedy_total = domain.assign_greedy(specs, people)
        if body.invite:
            at = now()
            for task_id, volunteer_id, score in chosen:
                await store.invite(uow.conn, task_id, volunteer_id, score, who.sub, at)
    return api.BatchResult(
        assignments=[api.BatchAssignment(task_id=t, volunteer_id=v, score=s) for t, v, s in chosen],
        total_score=total,
        greedy_total_score=greedy_total,
    )


async def invite(pool: asyncpg.Pool, who: Principal, task_id: UUID, volunteer_ids: list[UUID]) -> int:
    async with UnitOfWork(pool) as uow:
        task = await visible_task(uow.conn, who, task_id)
        if task["status"] != "open":
            raise conflict("任务已满员或已关闭 / the task is filled or closed", state=task["status"], action="invite")
        at, invited = now(), 0
        for volunteer_id in volunteer_ids:
            volunteer = await store.get_volunteer(uow.conn, volunteer_id)
            if volunteer is None or not _reachable(who, volunteer, task):
                raise invalid("volunteer_ids", f"未注册的志愿者 / unknown volunteer: {volunteer_id}")
            invited += await store.invite(uow.conn, task_id, volunteer_id, None, who.sub, at)
    return invited


async def respond(pool: asyncpg.Pool, who: Principal, task_id: UUID, volunteer_id: UUID, accept: bool) -> str:
    """The volunteer (or a worker for them) accepts or declines; acceptance is TaskAccepted."""
    async with UnitOfWork(pool) as uow:
        task = await store.get_task(uow.conn, task_id, for_update=True)
        volunteer = await store.get_volunteer(uow.conn, volunteer_id)
        if task is None or volunteer is None or not (_is_self(who, volunteer) or who.covers(task["area_code"])):
            raise not_found()
        if who.role == Role.VOLUNTEER and not _is_self(who, volunteer):
            raise not_found()
        assignment = await store.get_assignment(uow.conn, task_id, volunteer_id, for_update=True)
        if assignment is None or assignment["status"] != "invited":
            raise conflict(
                "没有待回复的邀请 / no open invitation",
                state=assignment["status"] if assignment else "none",
                action="accept" if accept else "decline",
            )
        if not accept:
            await store.respond(uow.conn, task_id, volunteer_id, "declined", now())
            return "declined"
        await _accept(uow, task, volunteer)
    return "accepted"


async def sign_up(pool: asyncpg.Pool, who: Principal, task_id: UUID) -> str:
    """A volunteer signs themself up for an open task of their county or of an area they serve:
    invited by themself and accepted at once, as TaskAccepted like an accepted invitation."""
    async with UnitOfWork(pool) as uow:
        volunteer = await store.volunteer_by_ref(uow.conn, who.sub)
        task = await store.get_task(uow.conn, task_id, for_update=True)
        if volunteer is None or task is None:
            raise not_found()
        if not domain.may_sign_up(task["area_code"], volunteer["area_code"], volunteer["service_areas"]):
            raise not_found()  # a task elsewhere answers like a missing one
        if not await store.invite(uow.conn, task_id, volunteer["id"], None, who.sub, now()):
            mine = await store.get_assignment(uow.conn, task_id, volunteer["id"])
            raise conflict(
                "已报名或已受邀，请在“我的任务”中查看 / already signed up or invited: see your tasks",
                state=mine["status"] if mine else "none",
                action="sign_up",
            )
        await _accept(uow, task, volunteer)
    return "accepted"


async def _accept(uow: UnitOfWork, task, volunteer) -> None:
    """The volunteer's place on an open task (locked FOR UPDATE by the caller): taken, the task
    filled when it was the last, and TaskAccepted emitted."""
    if task["status"] != "open":
        raise conflict("任务已满员或已关闭 / the task is filled or closed", state=task["status"], action="accept")
    at = now()
    await store.respond(uow.conn, task["id"], volunteer["id"], "accepted", at)
    if await store.accepted_count(uow.conn, task["id"]) >= task["slots"]:
        await store.set_task_status(uow.conn, task["id"], "filled")
    uow.emit(
        TaskAccepted(
            task_id=task["id"],
            need_id=task["need_id"],
            area_code=task["area_code"],
            volunteer_ref=volunteer["volunteer_ref"],
            accepted_at=at,
        ),
        subject=str(task["id"]),
        area_code=task["area_code"],
    )


# --- hours ----------------------------------------------------------------------------------------------

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or typed from a QR fallback
CODE_LIFETIME = timedelta(minutes=15)


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.upper().encode()).hexdigest()


async def new_checkin_code(pool: asyncpg.Pool, who: Principal, task_id: UUID) -> api.CheckinCode:
    """A one-time code for the QR code shown where the service happens; only its hash is kept."""
    task = await visible_task(pool, who, task_id)
    if who.role == Role.VOLUNTEER:
        raise not_found()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    expires_at = now() + CODE_LIFETIME
    async with UnitOfWork(pool) as uow:
        await store.insert_checkin_code(uow.conn, _code_hash(code), task["id"], expires_at, who.sub)
    return api.CheckinCode(code=code, expires_at=expires_at)


async def check_in(
    pool: asyncpg.Pool, who: Principal, task_id: UUID, volunteer_id: UUID, at: datetime | None, code: str | None = None
) -> UUID:
    at = at or now()
    async with UnitOfWork(pool) as uow:
        task, volunteer = await _accepted(uow.conn, who, task_id, volunteer_id)
        _check_times(task, at=at)
        if code is not None and not await store.use_checkin_code(
            uow.conn, _code_hash(code), task_id, volunteer_id, now()
        ):
            raise invalid("code", "签到码无效、已过期或已使用 / the check-in code is invalid, expired or used")
        if await store.open_log(uow.conn, task_id, volunteer_id) is not None:
            raise conflict("已签到，尚未签退 / already checked in", state="checked_in", action="check_in")
        if await store.logs_between(uow.conn, volunteer_id, at, at + timedelta(seconds=1)):
            raise invalid("at", "与该志愿者的其他服务记录时间重叠 / overlaps another of the volunteer's logs")
        log_id = new_id()
        await store.insert_log(
            uow.conn,
            {
                "id": log_id,
                "task_id": task_id,
                "volunteer_id": volunteer_id,
                "area_code": task["area_code"],
                "check_in": at,
                "provenance": "self_check_in",
                "status": "open",
                "code_checked": code is not None,
                "created_at": now(),
            },
        )
    return log_id


async def check_out(pool: asyncpg.Pool, who: Principal, task_id: UUID, volunteer_id: UUID, at: datetime | None) -> UUID:
    at = at or now()
    async with UnitOfWork(pool) as uow:
        task, volunteer = await _accepted(uow.conn, who, task_id, volunteer_id)
        log = await store.open_log(uow.conn, task_id, volunteer_id, for_update=True)
        if log is None:
            raise conflict("尚未签到 / not checked in", state="not_checked_in", action="check_out")
        _check_times(task, at=at)
        minutes, is_flagged, override = await _rules(uow.conn, volunteer_id, log["check_in"], at, exclude=log["id"])
        await store.update_log(
            uow.conn,
            log["id"],
            check_out=at,
            minutes=minutes,
            flagged=is_flagged,
            needs_override=override,
            status="logged",
        )
        _emit_logged(uow, log["id"], task, volunteer, minutes, "self_check_in", is_flagged)
    return log["id"]


async def enter_hours(pool: asyncpg.Pool, who: Principal, task_id: UUID, body: api.HoursEntryIn) -> UUID:
    """An organizer records (or backfills) a volunteer's time."""
    async with UnitOfWork(pool) as uow:
        task, volunteer = await _accepted(uow.conn, who, task_id, body.volunteer_id, organizer=True)
        _check_times(task, check_in=body.check_in, check_out=body.check_out)
        minutes, is_flagged, override = await _rules(uow.conn, body.volunteer_id, body.check_in, body.check_out)
        provenance = "backfill" if body.backfill else "organizer_entry"
        log_id = new_id()
        await store.insert_log(
            uow.conn,
            {
                "id": log_id,
                "task_id": task_id,
                "volunteer_id": body.volunteer_id,
                "area_code": task["area_code"],
                "check_in": body.check_in,
                "check_out": body.check_out,
                "minutes": minutes,
                "provenance": provenance,
                "status": "logged",
                "flagged": is_flagged,
                "needs_override": override,
                "created_at": now(),
            },
        )
        _emit_logged(uow, log_id, task, volunteer, minutes, provenance, is_flagged)
    return log_id


def _check_times(task, **times: datetime) -> None:
    """Each named time (field → value) happened, within the task's window and its tolerance."""
    limits, at = volunteers_settings().hour_limits(), now()
    try:
        for field, value in times.items():
            domain.check_time(field, value, at, task["window_start"], task["window_end"], limits)
    except domain.HoursRefused as exc:
        raise invalid(exc.field, str(exc)) from None


async def _rules(conn, volunteer_id: UUID, check_in: datetime, check_out: datetime, exclude: UUID | None = None):
    """The minutes served, whether the day is flagged (over 12 h), whether the record needs an override."""
    try:
        minutes = domain.minutes_served(check_in, check_out)
    except domain.HoursRefused as exc:
        raise invalid(exc.field, str(exc)) from None
    others = [
        (r["check_in"], r["check_out"])
        for r in await store.logs_between(conn, volunteer_id, check_in, check_out)
        if r["id"] != exclude
    ]
    if domain.overlapping(check_in, check_out, others):
        raise invalid("check_in", "与该志愿者的其他服务记录时间重叠 / overlaps another of the volunteer's logs")
    local = check_in.astimezone(domain.LOCAL)
    day_start = datetime.combine(local.date(), time(), domain.LOCAL)
    before = await store.minutes_on_day(conn, volunteer_id, day_start, day_start + timedelta(days=1))
    return minutes, domain.flagged(before, minutes), domain.needs_override(minutes, volunteers_settings().hour_limits())


async def _accepted(conn, who: Principal, task_id: UUID, volunteer_id: UUID, *, organizer: bool = False):
    task = await store.get_task(conn, task_id, for_update=True)
    volunteer = await store.get_volunteer(conn, volunteer_id)
    if task is None or volunteer is None:
        raise not_found()
    # workers of the area for anyone; the volunteer themself on the self routes; an organization
    # enters the hours of its own tasks
    staff = (*WORKERS, Role.ORG_ADMIN) if organizer else WORKERS
    allowed = who.role in staff and in_scope(who, task) or (not organizer and _is_self(who, volunteer))
    if not allowed:
        raise not_found()
    assignment = await store.get_assignment(conn, task_id, volunteer_id)
    if assignment is None or assignment["status"] != "accepted":
        raise conflict("志愿者未接受此任务 / the volunteer has not accepted this task", action="hours")
    return task, volunteer


def _emit_logged(uow: UnitOfWork, log_id: UUID, task, volunteer, minutes: int, provenance: str, is_flagged: bool):
    uow.emit(
        HoursLogged(
            log_id=log_id,
            task_id=task["id"],
            need_id=task["need_id"],
            area_code=task["area_code"],
            volunteer_ref=volunteer["volunteer_ref"],
            minutes=minutes,
            provenance=provenance,
            flagged=is_flagged,
            logged_at=now(),
        ),
        subject=str(log_id),
        area_code=task["area_code"],
    )


async def verify(pool: asyncpg.Pool, who: Principal, log_id: UUID, body: api.VerificationIn, credit) -> str:
    """The organizer or the supervising social worker verifies (HoursVerified, and the time bank
    credits the hours in the same transaction) or rejects with a reason."""
    async with UnitOfWork(pool) as uow:
        log = await store.get_log(uow.conn, log_id, for_update=True)
        task = log and await store.get_task(uow.conn, log["task_id"])
        if log is None or not in_scope(who, task):
            raise not_found()  # an organization verifies only the hours of its own tasks
        if log["status"] != "logged":
            raise conflict(
                "只有待核实的记录可以核实 / only a logged record can be verified", state=log["status"], action="verify"
            )
        volunteer = await store.get_volunteer(uow.conn, log["volunteer_id"])
        at = now()
        if not body.approve:
            await store.update_log(uow.conn, log_id, status="rejected", verified_by=who.sub, reason=body.reason)
            return "rejected"
        try:
            domain.check_approval(log["needs_override"], body.override, body.reason)
        except domain.HoursRefused as exc:
            raise invalid(exc.field, str(exc)) from None
        await store.update_log(
            uow.conn,
            log_id,
            status="verified",
            verified_by=who.sub,
            reason=body.reason if log["needs_override"] else None,
        )  # why it was overridden
        uow.emit(
            HoursVerified(
                log_id=log_id,
                task_id=log["task_id"],
                need_id=task["need_id"],
                area_code=log["area_code"],
                volunteer_ref=volunteer["volunteer_ref"],
                minutes=log["minutes"],
                verified_by=who.sub,
                verified_at=at,
            ),
            subject=str(log_id),
            area_code=log["area_code"],
        )
        await credit(
            uow.conn,
            volunteer_id=volunteer["id"],
            bank_area=volunteer["area_code"],
            minutes=log["minutes"],
            log_id=log_id,
        )
    return "verified"


async def visible_log(conn, who: Principal, log_id: UUID) -> asyncpg.Record:
    """Workers of the area see an hours record, an organization those of its own tasks; a volunteer
    sees their own."""
    log = await store.get_log(conn, log_id)
    if log is None:
        raise not_found()
    if who.role == Role.VOLUNTEER:
        if not _is_self(who, await store.get_volunteer(conn, log["volunteer_id"])):
            raise not_found()
    elif not in_scope(who, await store.get_task(conn, log["task_id"])):
        raise not_found()
    return log


def log_view(row) -> api.LogView:
    return api.LogView(**{k: row[k] for k in api.LogView.model_fields})


# --- lists for workers and verifiers ------------------------------------------------------------------


async def hours_page(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, area: str, status: str, limit: int, offset: int
) -> api.HoursPage:
    """The hours records of an area in one status (the verifiers' queue: `logged`), newest first;
    an organization's list holds the records of its own tasks only."""
    total, rows = await store.hours_page(pool, code_prefix(area), status, organizer_of(who), limit, offset)
    return api.HoursPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[
            api.HoursItem(
                log_id=r["id"],
                task_id=r["task_id"],
                task_title=r["task_title"],
                area_code=r["area_code"],
                volunteer_id=r["volunteer_id"],
                volunteer_name=mask_name(keyring.decrypt(r["name_enc"], pii_context(r["volunteer_id"], "name"))),
                check_in=r["check_in"],
                check_out=r["check_out"],
                minutes=r["minutes"],
                provenance=r["provenance"],
                provenance_label=domain.Provenance(r["provenance"]).label,
                code_checked=r["code_checked"],
                status=r["status"],
                status_label=domain.LogStatus(r["status"]).label,
                flagged=r["flagged"],
                needs_override=r["needs_override"],
            )
            for r in rows
        ],
    )


async def volunteer_page(
    pool: asyncpg.Pool, keyring: Keyring, area: str, skill: str | None, q: str | None, limit: int, offset: int
) -> api.VolunteerPage:
    """The volunteers living in an area, newest registration first, masked. `q` looks in the
    names and phone numbers, which are stored encrypted: the area's rows are decrypted one by one
    (no blind index), so a search is bounded by the caller's area."""
    prefix, today = code_prefix(area), now().date()
    if q is None:
        total, rows = await store.volunteer_page(pool, prefix, skill, limit, offset)
        plain = [(r, _decrypt_contact(keyring, r)) for r in rows]
    else:
        matches = [(r, contact) async for r, contact in _searched(pool, keyring, prefix, skill, q.strip())]
        total, plain = len(matches), matches[offset : offset + limit]
    return api.VolunteerPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[
            api.VolunteerListItem(
                id=r["id"],
                volunteer_ref=r["volunteer_ref"],
                area_code=r["area_code"],
                name=mask_name(name),
                phone=mask_phone(phone),
                minor=is_minor(r["birth_date"], today),
                skills=r["skills"],
                party_member=r["party_member"],
                social_worker_level=r["sw_level"],
                registered_at=r["registered_at"],
            )
            for r, (name, phone) in plain
        ],
    )


def _decrypt_contact(keyring: Keyring, row) -> tuple[str, str]:
    return (
        keyring.decrypt(row["name_enc"], pii_context(row["id"], "name")),
        keyring.decrypt(row["phone_enc"], pii_context(row["id"], "phone")),
    )


async def _searched(pool: asyncpg.Pool, keyring: Keyring, prefix: str, skill: str | None, q: str):
    """The area's volunteers whose name contains q, or whose phone number ends with it (in order)."""
    async with pool.acquire() as conn:
        async for row in store.volunteers_in(conn, prefix, skill):
            name, phone = _decrypt_contact(keyring, row)
            if q in name or (q.isdigit() and len(q) >= 4 and phone.endswith(q)):
                yield row, (name, phone)
