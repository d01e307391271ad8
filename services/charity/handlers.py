"""Use cases of the charity service: every movement of money is one balanced, chained ledger entry
written in the same transaction as the record that explains it and the event that announces it."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from contracts.api import charity as api
from contracts.areas import contains
from contracts.envelope import Envelope, new_id
from contracts.events.charity import (
    DisbursementRejected,
    DonationEarmarked,
    DonationReceived,
    FundingRejected,
    FundOpened,
    FundsCommitted,
    FundsDisbursed,
)
from contracts.events.projects import DisbursementRequested, FundingRequested
from kit import months
from kit.auth import Principal, Role, require_jurisdiction, visible
from kit.clock import now
from kit.crypto import Keyring, field_context
from kit.problems import Problem, conflict, invalid, not_found
from kit.reencrypt import Encrypted, fields
from kit.uow import Events, UnitOfWork
from services.charity import domain, ledger, store
from services.charity.domain import RECEIPT_ALPHABET, WORLD, DisbursementStatus, Review

SHANGHAI = ZoneInfo("Asia/Shanghai")


def pii_context(donation_id, field: str) -> bytes:
    """Associated data binding a donor's ciphertext to its donation and field."""
    return field_context("charity", donation_id, field)


# where this service keeps ciphertexts, under the contexts it encrypts them with (`wushe reencrypt`)
ENCRYPTED = (Encrypted("donations", fields(pii_context, {"donor_name_enc": "donor"})),)


async def _post(conn, kind: str, reference: str, memo: str, by: str, postings: list[tuple[str, int]]) -> bool:
    entry = ledger.Entry(
        id=new_id(),
        kind=kind,
        reference=reference,
        memo=memo,
        unit="fen",
        created_by=by,
        created_at=now(),
        postings=tuple(postings),
    )
    try:
        return await store.post(conn, entry)
    except store.Overdrawn as exc:
        raise Problem(409, "余额不足 / Insufficient funds", str(exc), rule="balance", account=exc.account) from None


async def ensure_world(conn) -> None:
    await store.ensure_account(
        conn, WORLD, "world", "fen", "130000", "捐赠来源与支出去向 / outside world", may_go_negative=True
    )


# --- funds ------------------------------------------------------------------------------------


async def create_fund(pool: asyncpg.Pool, who: Principal, body: api.FundIn) -> UUID:
    fund_id, at = new_id(), now()
    async with UnitOfWork(pool) as uow:
        await store.insert_fund(uow.conn, fund_id, body.name, body.kind, body.area_code, who.sub, at)
        await store.ensure_account(uow.conn, domain.fund_account(fund_id), "fund", "fen", body.area_code, body.name)
        _announce(
            uow, {"id": fund_id, "name": body.name, "kind": body.kind, "area_code": body.area_code, "created_at": at}
        )
    return fund_id


def _announce(events: Events, fund) -> None:
    """FundOpened: other services (the projects service) learn the fund exists, and where it pays."""
    events.emit(
        FundOpened(
            fund_id=fund["id"],
            name=fund["name"],
            kind=fund["kind"],
            area_code=fund["area_code"],
            opened_at=fund["created_at"],
        ),
        subject=str(fund["id"]),
        area_code=fund["area_code"],
    )


async def announce_funds(pool: asyncpg.Pool) -> int:
    """Announce the funds opened before FundOpened existed (on start; once each, whichever replica)."""
    announced = 0
    while True:
        async with UnitOfWork(pool) as uow:
            funds = await store.claim_unannounced_funds(uow.conn)
            for fund in funds:
                _announce(uow, fund)
        announced += len(funds)
        if not funds:
            return announced


async def set_budget(pool: asyncpg.Pool, who: Principal, fund_id: UUID, body: api.BudgetIn) -> None:
    async with UnitOfWork(pool) as uow:
        fund = await visible_fund(uow.conn, who, fund_id)
        await store.set_budget(uow.conn, fund["id"], body.year, body.amount_fen)


async def visible_fund(conn, who: Principal, fund_id: UUID) -> asyncpg.Record:
    fund = visible(who, await store.get_fund(conn, fund_id))
    return fund


# --- donations and earmarks -----------------------------------------------------------------------


async def receive_donation(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, body: api.DonationIn
) -> api.DonationCreated:
    donation_id = new_id()
    async with UnitOfWork(pool) as uow:
        fund = await visible_fund(uow.conn, who, body.fund_id)
        receipt = await write_donation(uow, keyring, who, donation_id, fund, body.donor, body.amount_fen, now())
        earmark_id = None
        if body.earmark:
            earmark_id = await _earmark(uow, who, donation_id, fund, body.earmark)
    return api.DonationCreated(id=donation_id, receipt_code=receipt, earmark_id=earmark_id)


async def write_donation(
    uow: UnitOfWork,
    keyring: Keyring,
    who: Principal,
    donation_id: UUID,
    fund: asyncpg.Record,
    donor: api.DonorIn,
    amount_fen: int,
    received_at: datetime,
) -> str:
    """A donation received into `fund` at `received_at`: its record, its posting to the fund's
    ledger and its event, in `uow`. Its receipt code."""
    await ensure_world(uow.conn)
    receipt = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    await store.insert_donation(
        uow.conn,
        {
            "id": donation_id,
            "fund_id": fund["id"],
            "area_code": fund["area_code"],
            "donor_kind": donor.kind,
            "donor_name_enc": keyring.encrypt(donor.name, pii_context(donation_id, "donor")) if donor.name else None,
            "donor_uscc": donor.uscc,
            "disclose_name": donor.disclose_name,
            "amount": amount_fen,
            "receipt_code": receipt,
            "received_by": who.sub,
            "received_at": received_at,
        },
    )
    await _post(
        uow.conn,
        "donation",
        f"donation:{donation_id}",
        f"捐赠收据 {receipt}",
        who.sub,
        [(WORLD, -amount_fen), (domain.fund_account(fund["id"]), amount_fen)],
    )
    uow.emit(
        DonationReceived(
            donation_id=donation_id,
            fund_id=fund["id"],
            area_code=fund["area_code"],
            donor_kind=donor.kind,
            amount_fen=amount_fen,
            received_at=received_at,
        ),
        subject=str(donation_id),
        area_code=fund["area_code"],
    )
    return receipt


async def earmark(pool: asyncpg.Pool, who: Principal, donation_id: UUID, body: api.EarmarkIn) -> UUID:
    async with UnitOfWork(pool) as uow:
        donation = visible(who, await store.get_donation(uow.conn, donation_id, for_update=True))
        fund = await store.get_fund(uow.conn, donation["fund_id"])
        return await _earmark(uow, who, donation_id, fund, body)


async def _earmark(uow: UnitOfWork, who: Principal, donation_id: UUID, fund, body: api.EarmarkIn) -> UUID:
    """Restrict (part of) a donation to a need, a project or a fund: the money moves from the
    fund's free balance to an account only its target can draw on."""
    donation = await store.get_donation(uow.conn, donation_id)
    if donation["refunded_at"] is not None:
        raise conflict("捐赠已退还，不能定向 / the donation was refunded", state="refunded", action="earmark")
    if await store.earmarked_of(uow.conn, donation_id) + body.amount_fen > donation["amount"]:
        raise invalid("amount_fen", "定向总额不得超过捐赠金额 / earmarks may not exceed the donation")
    area = body.area_code or donation["area_code"]
    require_jurisdiction(who, area, hide=False)  # the target's area decides who may pay it out
    earmark_id, at = new_id(), now()
    await store.insert_earmark(
        uow.conn, earmark_id, donation_id, body.target_kind, body.target_id, area, body.amount_fen, who.sub, at
    )
    account = domain.restricted_account(earmark_id)
    await store.ensure_account(uow.conn, account, "restricted", "fen", area, f"{body.target_kind}:{body.target_id}")
    await _post(
        uow.conn,
        "earmark",
        f"earmark:{earmark_id}",
        f"定向 {body.target_kind} {body.target_id}",
        who.sub,
        [(domain.fund_account(fund["id"]), -body.amount_fen), (account, body.amount_fen)],
    )
    uow.emit(
        DonationEarmarked(
            earmark_id=earmark_id,
            donation_id=donation_id,
            target_kind=body.target_kind,
            target_id=body.target_id,
            area_code=area,
            amount_fen=body.amount_fen,
            earmarked_at=at,
        ),
        subject=str(earmark_id),
        area_code=area,
    )
    return earmark_id


async def refund(pool: asyncpg.Pool, who: Principal, donation_id: UUID) -> int:
    """Give back what of a donation was not earmarked, if its fund still holds it. Once."""
    async with UnitOfWork(pool) as uow:
        donation = visible(who, await store.get_donation(uow.conn, donation_id, for_update=True))
        if donation["refunded_at"] is not None:
            raise conflict("已退款 / already refunded", state="refunded", action="refund")
        amount = donation["amount"] - await store.earmarked_of(uow.conn, donation_id)
        if amount <= 0:
            raise conflict("捐赠已全部定向 / all of it is earmarked", rule="restricted")
        await ensure_world(uow.conn)
        await _post(
            uow.conn,
            "refund",
            f"refund:{donation_id}",
            f"退还捐赠 {donation['receipt_code']}",
            who.sub,
            [(domain.fund_account(donation["fund_id"]), -amount), (WORLD, amount)],
        )
        await store.mark_refunded(uow.conn, donation_id, now())
    return amount


# --- funding requests from projects ---------------------------------------------------------------


async def on_funding_requested(conn: asyncpg.Connection, envelopes: list[Envelope[FundingRequested]]) -> None:
    """Commit a project's funding or refuse it naming the rule; once per request, however often
    the event arrives."""
    events = UnitOfWork.joining(conn)
    for envelope in envelopes:
        request = envelope.data
        if await store.commitment_by_request(conn, request.request_id) is None:
            await _decide(conn, events, request, envelope)
    await events.flush()


async def _decide(conn, events: Events, request: FundingRequested, envelope: Envelope) -> None:
    at, commitment_id = now(), new_id()
    await store.lock_ledger(conn)  # the 2 % rule reads this year's commitments: no concurrent decision
    if await store.commitment_by_request(conn, request.request_id) is not None:
        return  # decided by another replica while we waited for the lock
    fund = await store.get_fund(conn, request.fund_id)
    refusal, postings = await _refusal_or_postings(conn, fund, request, commitment_id)
    await store.insert_commitment(
        conn,
        {
            "id": commitment_id,
            "request_id": request.request_id,
            "project_id": request.project_id,
            "project_title": request.project_title,
            "fund_id": fund["id"] if fund else None,
            "requested_fund_id": request.fund_id,  # no fund: no foreign key
            "area_code": request.area_code,
            "purpose": request.purpose,
            "need_ids": request.need_ids,
            "amount": request.amount_fen,
            "status": "rejected" if refusal else "committed",
            "rule": refusal.rule if refusal else None,
            "reason": refusal.reason if refusal else None,
            "decided_at": at,
            "budget_year": _budget_year(request),
        },
    )
    common = dict(
        request_id=request.request_id,
        project_id=request.project_id,
        fund_id=request.fund_id,
        area_code=request.area_code,
        amount_fen=request.amount_fen,
    )
    if refusal:
        events.emit(
            FundingRejected(**common, rule=refusal.rule, reason=refusal.reason, rejected_at=at),
            subject=str(request.project_id),
            area_code=request.area_code,
            causation_id=envelope.id,
            correlation_id=envelope.correlation_id,
        )
        return
    account = domain.committed_account(commitment_id)
    await store.ensure_account(conn, account, "committed", "fen", request.area_code, f"project:{request.project_id}")
    await _post(
        conn,
        "commitment",
        f"funding:{request.request_id}",
        f"项目 {request.project_id} 资金承诺",
        "charity",
        [*postings, (account, request.amount_fen)],
    )
    events.emit(
        FundsCommitted(commitment_id=commitment_id, **common, committed_at=at, need_ids=request.need_ids),
        subject=str(request.project_id),
        area_code=request.area_code,
        causation_id=envelope.id,
        correlation_id=envelope.correlation_id,
    )


async def _refusal_or_postings(conn, fund, request: FundingRequested, commitment_id: UUID):
    if fund is None:
        return domain.Refusal("unknown_fund", "未登记的资金账户 / no such fund"), []
    if request.amount_fen <= 0:
        return domain.Refusal("invalid_amount", "申请金额须大于零 / the amount must be positive"), []
    if not contains(fund["area_code"], request.area_code):
        return domain.Refusal(
            "outside_fund_area", "项目不在该资金的适用区域内 / the project is outside the fund's area"
        ), []
    year = _budget_year(request)
    refusal = domain.two_percent_rule(
        fund["kind"],
        request.purpose,
        await store.budget(conn, fund["id"], year),
        await store.committed_in_year(conn, fund["id"], request.purpose, year),
        request.amount_fen,
    )
    if refusal:
        return refusal, []
    free = await store.balance(conn, domain.fund_account(fund["id"]))
    split = domain.split_funding(request.amount_fen, await store.project_earmarks(conn, request.project_id), free)
    if split is None:
        return domain.Refusal(
            "insufficient_funds",
            f"资金不足：可用 {free} 分，申请 {request.amount_fen} 分 / "
            f"not enough money: {free} fen free, {request.amount_fen} requested",
        ), []
    return None, [(domain.fund_account(fund["id"]) if a == "fund" else a, -v) for a, v in split]


def _budget_year(request: FundingRequested) -> int:
    """The budget year a request draws on: the year (Beijing time) it was made."""
    return request.requested_at.astimezone(SHANGHAI).year


def commitment_view(row) -> api.CommitmentView:
    """The decision on a funding request, naming the fund asked for (for rule unknown_fund there is
    no such fund, so the row keeps it apart from its foreign key)."""
    return api.CommitmentView.model_validate(dict(row) | {"fund_id": row["requested_fund_id"]})


# --- disbursements: maker and checker --------------------------------------------------------------


async def request_disbursement(
    pool: asyncpg.Pool,
    who: Principal,
    body: api.DisbursementIn,
    *,
    commitment_id: UUID | None = None,
    earmark_id: UUID | None = None,
) -> UUID:
    async with UnitOfWork(pool) as uow:
        source = (
            await store.get_commitment(uow.conn, commitment_id)
            if commitment_id
            else await store.get_earmark(uow.conn, earmark_id)
        )
        if source is None or not who.covers(source["area_code"]):
            raise not_found()
        if commitment_id and source["status"] != "committed":
            raise conflict(
                "该资金申请未获承诺 / the request was not committed", state=source["status"], action="disburse"
            )
        if earmark_id and source["target_kind"] != "need":
            raise invalid(
                "earmark_id",
                "只有定向到需求的捐赠可直接拨付；项目资金经承诺后拨付 / only need earmarks are paid directly",
            )
        disbursement_id = new_id()
        await store.insert_disbursement(
            uow.conn,
            {
                "id": disbursement_id,
                "commitment_id": commitment_id,
                "earmark_id": earmark_id,
                "milestone": body.milestone,
                "amount": body.amount_fen,
                "requested_by": who.sub,
                "requested_via": "charity",
                "requested_at": now(),
                "status": "requested",
            },
        )
    return disbursement_id


async def on_disbursement_requested(conn: asyncpg.Connection, envelopes: list[Envelope[DisbursementRequested]]) -> None:
    """An accepted project milestone asks to be paid from the project's commitment; it waits for a
    charity administrator's approval like any other request. The maker is the person who accepted
    the milestone (the same sub as in their token), so they cannot also approve the payment."""
    for envelope in envelopes:
        asked = envelope.data
        commitment = await store.get_commitment(conn, asked.commitment_id)
        if commitment is None or commitment["project_id"] != asked.project_id or commitment["status"] != "committed":
            raise ValueError(f"no committed funding {asked.commitment_id} for project {asked.project_id}")
        if await store.get_disbursement(conn, asked.request_id) is None:
            await store.insert_disbursement(
                conn,
                {
                    "id": asked.request_id,
                    "commitment_id": asked.commitment_id,
                    "earmark_id": None,
                    "milestone_id": asked.milestone_id,
                    "milestone": asked.milestone,
                    "amount": asked.amount_fen,
                    "requested_by": asked.requested_by,
                    "requested_via": "projects",
                    "requested_at": asked.requested_at,
                    "status": "requested",
                },
            )


async def _under_review(conn, who: Principal, disbursement_id: UUID, action: Review):
    """The request and the commitment or earmark it draws on, locked, if the caller may decide it now."""
    d = await store.get_disbursement(conn, disbursement_id, for_update=True)
    source = None
    if d is not None:
        source = (
            await store.get_commitment(conn, d["commitment_id"])
            if d["commitment_id"]
            else await store.get_earmark(conn, d["earmark_id"])
        )
    if d is None or not who.covers(source["area_code"]):
        raise not_found()
    refusal = domain.review_refusal(d["status"], d["requested_by"], who.sub, action)
    if refusal is not None and refusal.rule == "maker_checker":
        raise Problem(403, "须由另一人复核 / A second approver is required", refusal.reason, rule=refusal.rule)
    if refusal is not None:
        raise conflict(refusal.reason, state=d["status"], action=action.value)
    return d, source


def _target(d, source) -> dict:
    """What a disbursement pays, as its events name it: a project (from its commitment) or a need."""
    if d["commitment_id"]:
        return {"target_kind": "project", "target_id": source["project_id"], "need_ids": source["need_ids"]}
    return {"target_kind": "need", "target_id": source["target_id"], "need_ids": [source["target_id"]]}


async def approve_disbursement(pool: asyncpg.Pool, who: Principal, disbursement_id: UUID) -> None:
    """The checker pays out: never the person who asked (maker–checker)."""
    async with UnitOfWork(pool) as uow:
        d, source = await _under_review(uow.conn, who, disbursement_id, Review.APPROVE)
        at = now()
        account = (
            domain.committed_account(d["commitment_id"])
            if d["commitment_id"]
            else domain.restricted_account(d["earmark_id"])
        )
        await ensure_world(uow.conn)
        await _post(
            uow.conn,
            "disbursement",
            f"disbursement:{disbursement_id}",
            d["milestone"],
            who.sub,
            [(account, -d["amount"]), (WORLD, d["amount"])],
        )
        await store.approve_disbursement(uow.conn, disbursement_id, who.sub, at)
        uow.emit(
            FundsDisbursed(
                disbursement_id=disbursement_id,
                **_target(d, source),
                area_code=source["area_code"],
                amount_fen=d["amount"],
                disbursed_at=at,
            ),
            subject=str(disbursement_id),
            area_code=source["area_code"],
        )


async def reject_disbursement(pool: asyncpg.Pool, who: Principal, disbursement_id: UUID, body: api.RejectionIn) -> None:
    """The checker refuses to pay, saying why: nothing moves in the ledger (the money stays where it
    was reserved, for a request put right), and the side that asked is told (DisbursementRejected)."""
    async with UnitOfWork(pool) as uow:
        d, source = await _under_review(uow.conn, who, disbursement_id, Review.REJECT)
        at = now()
        await store.reject_disbursement(uow.conn, disbursement_id, who.sub, who.role.value, body.reason, at)
        uow.emit(
            DisbursementRejected(
                disbursement_id=disbursement_id,
                **_target(d, source),
                milestone_id=d["milestone_id"],
                area_code=source["area_code"],
                amount_fen=d["amount"],
                reason=body.reason,
                rejected_at=at,
            ),
            subject=str(disbursement_id),
            area_code=source["area_code"],
        )


YOU = "本人 / you"
MAKERS = {
    "charity": f"{Role.CHARITY_ADMIN.zh} / {Role.CHARITY_ADMIN.en}",  # the only role that asks here
    "projects": "项目里程碑验收人 / the milestone's acceptor",
}


def _labelled(item) -> str:
    return f"{item.zh} / {item.en}"


def _checker_label(row, who: Principal) -> str | None:
    if row["rejected_by"] is None:
        return None
    if row["rejected_by"] == who.sub:
        return YOU
    return _labelled(Role(row["rejected_by_role"]))


def disbursement_view(row, who: Principal) -> api.DisbursementView:
    """A request as its checker reads it: people by label (the caller as 本人), the status in words.
    The platform keeps no directory of people's names: a token names an account, a role and an area."""
    mine = row["requested_by"] == who.sub
    return api.DisbursementView.model_validate(
        dict(row)
        | {
            "status_label": _labelled(DisbursementStatus(row["status"])),
            "requested_by_label": YOU if mine else MAKERS[row["requested_via"]],
            "requested_by_you": mine,
            "rejected_by_label": _checker_label(row, who),
        }
    )


# --- reads for the dashboards and the need's view -----------------------------------------------------


async def flows(pool: asyncpg.Pool, area: str, n: int) -> api.FundFlows:
    """The area's money month by month over the last `n` local months, every month present."""
    span = months.months_to(now(), n)
    by_month: dict[str, dict[str, int]] = {}
    for row in await store.flows_by_month(pool, area, months.start(span[0]), months.ZONE):
        by_month.setdefault(row["month"], {})[row["kind"]] = row["fen"]
    series = [
        api.MonthFlow(month=m, in_fen=f.get("in", 0), out_fen=f.get("out", 0))
        for m, f in months.filled(span, by_month, {})
    ]
    return api.FundFlows(
        area_code=area,
        received_fen=sum(f.in_fen for f in series),
        disbursed_fen=sum(f.out_fen for f in series),
        earmarked_fen=sum(by_month.get(f.month, {}).get("earmarked", 0) for f in series),
        by_month=series,
    )


async def need_earmarks(pool: asyncpg.Pool, who: Principal, need_id: UUID) -> api.NeedEarmarks:
    """The earmarks for a need that lie in the caller's area, and their disbursements; none is no error."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        earmarks = await store.need_earmarks(conn, need_id, who.area)
        paid = await store.earmark_disbursements(conn, [e["id"] for e in earmarks]) if earmarks else []
    return api.NeedEarmarks(
        earmarks=[
            api.NeedEarmark(id=e["id"], amount_fen=e["amount"], earmarked_at=e["created_at"], area_code=e["area_code"])
            for e in earmarks
        ],
        disbursements=[
            api.NeedDisbursement.model_validate(dict(d) | {"status_label": _labelled(DisbursementStatus(d["status"]))})
            for d in paid
        ],
    )


# --- the ledger --------------------------------------------------------------------------------------


async def verify_ledger(pool: asyncpg.Pool) -> api.LedgerCheck:
    rows = await store.chain(pool)
    broken = ledger.verify_chain(rows)
    return api.LedgerCheck(
        ok=broken is None,
        entries=len(rows),
        broken_at=broken.seq if broken else None,
        reason=broken.reason if broken else None,
    )
