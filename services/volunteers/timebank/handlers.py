"""Use cases of the time bank (时间银行). Each posts balanced transactions inside one database
transaction and is idempotent by its reference: applying the same reference again posts nothing
and answers the first transaction (`replayed`); the same reference with a different effect is refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.api import timebank as api
from contracts.api import volunteers as volunteers_api
from contracts.areas import contains, lookup
from contracts.envelope import new_id
from contracts.events.timebank import CreditsExchanged
from contracts.values import mask_name
from kit.auth import Principal, Role, listing_area, require_jurisdiction
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, invalid, not_found
from kit.uow import UnitOfWork
from services.volunteers.handlers import pii_context
from services.volunteers.timebank import domain, store
from services.volunteers.timebank.config import TimebankSettings, timebank_settings
from services.volunteers.timebank.domain import InvalidAmount, LedgerError, Transaction, _year_of, credits_text


@contextmanager
def refusals() -> Iterator[None]:
    """A refused ledger rule becomes problem+json naming the rule and the field."""
    try:
        yield
    except LedgerError as exc:
        status = 422 if isinstance(exc, InvalidAmount) else 409
        raise Problem(
            status,
            "时间银行规则不允许 / Refused by a time-bank rule",
            exc.message,
            rule=exc.rule,
            errors=[{"field": exc.field, "message": exc.message, "type": exc.rule}],
        ) from None


def _own_account(volunteer: asyncpg.Record) -> domain.Account:
    return domain.volunteer(volunteer["area_code"], volunteer["id"])


def _check_bank(code: str, field: str) -> None:
    area = lookup(code)
    if area is None or area.level not in ("community", "village"):
        raise Problem(
            422,
            "请求参数无效 / Invalid request",
            f"社区银行须为村（社区）12 位代码 / a bank is a community: {code}",
            errors=[{"field": field, "message": "must be a 12-digit village or community code"}],
        )


async def _acting_for(conn, who: Principal, volunteer_id: UUID) -> asyncpg.Record:
    """The volunteer themself (token sub = volunteer_ref), or a worker whose area covers their bank.
    Anyone else learns nothing: the same 404 as for an unknown volunteer, for reads and writes."""
    row = await store.get_volunteer(conn, volunteer_id)
    if row is None or (who.role == Role.VOLUNTEER and who.sub != row["volunteer_ref"]):
        raise not_found()
    if who.role != Role.VOLUNTEER:
        require_jurisdiction(who, row["area_code"])
    return row


# --- posting --------------------------------------------------------------------------------


def _view(txn_id: UUID, txn: Transaction, at: datetime, replayed: bool) -> api.TransactionView:
    return api.TransactionView(
        id=txn_id,
        kind=txn.kind.value,
        reference=txn.reference,
        units=abs(txn.postings[0].units),
        created_at=at,
        replayed=replayed,
    )


async def _replay(conn: asyncpg.Connection, txn: Transaction) -> api.TransactionView | None:
    found = await store.find_transaction(conn, txn)
    if found is None:
        return None
    row, postings = found
    if not txn.same_effect(Transaction(txn.kind, txn.reference, tuple(postings))):
        raise domain.ReferenceConflict(f"引用 {txn.reference} 已用于另一笔交易 / reference already used differently")
    return _view(row["id"], txn, row["created_at"], replayed=True)


async def _post(
    conn: asyncpg.Connection,
    txn: Transaction,
    *,
    by: str,
    memo: str,
    floor: int,
    check: Callable[[], Awaitable[None]] | None = None,
) -> api.TransactionView:
    """Check, lock the volunteer accounts it debits, then write; `check` runs under the lock."""
    domain.check_balanced(txn.postings)
    ids = await store.ensure_accounts(conn, txn.accounts)
    debited = domain.debits(txn)
    if debited:
        await store.lock_accounts(conn, sorted(ids[a] for a in debited))
    if (prior := await _replay(conn, txn)) is not None:
        return prior
    if check is not None:
        await check()
    if debited:
        held = await store.balances(conn, [ids[a] for a in debited])
        domain.check_floor(txn, {a: held.get(ids[a], 0) for a in debited}, floor)
    txn_id, at = new_id(), now()
    if not await store.insert_transaction(conn, txn_id, txn, ids, memo=memo, by=by, at=at):
        return await _replay(conn, txn)  # a concurrent request with the same reference committed first
    return _view(txn_id, txn, at, replayed=False)


# --- use cases ------------------------------------------------------------------------------


async def credit_verified_hours(
    conn: asyncpg.Connection,
    *,
    volunteer_id: UUID,
    bank_area: str,
    minutes: int,
    log_id: UUID,
    rate: float,
    by: str = "hours_verification",
) -> api.TransactionView | None:
    """Credit verified hours, inside the verification's own transaction; keyed by the hour log, so
    verifying the same log twice credits once. `bank_area` is the bank that issues the credits
    (where the service was given); they land in the volunteer's account at their home bank,
    through the due positions when the two differ. None when the hours round to 0 units."""
    if not conn.is_in_transaction():
        raise RuntimeError("credit_verified_hours runs inside the verification's transaction")
    _check_bank(bank_area, "bank_area")
    with refusals():
        units = domain.units_for(minutes, rate)
        if units == 0:
            return None
        volunteer = await store.get_volunteer(conn, volunteer_id)
        if volunteer is None:
            raise not_found()
        txn = domain.earn(_own_account(volunteer), bank_area, units, str(log_id))
        return await _post(conn, txn, by=by, memo=f"核实服务时长 {minutes} 分钟 / {minutes} min verified", floor=0)


NOT_A_RELATIVE = "亲属须为注册志愿者 / the relative must be a registered volunteer"
NO_SUCH_PERSON = "未找到姓名与身份证号相符的注册志愿者 / no registered volunteer has this name and citizen ID"


async def declare_family_link(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, body: api.FamilyLinkIn
) -> api.FamilyLinkView:
    async with UnitOfWork(pool) as uow:
        await _acting_for(uow.conn, who, body.volunteer_id)
        relative = await _relative(uow.conn, keyring, body)
        if relative["id"] == body.volunteer_id:
            raise invalid("relative", "亲属不能是本人 / a relative is someone else")
        row = await store.declare_family_link(
            uow.conn, body.volunteer_id, relative["id"], body.relation.value, who.sub, now()
        )
    return api.FamilyLinkView(
        **dict(row), relative_name=mask_name(_name(keyring, relative)), relation_label=body.relation.label
    )


async def _relative(conn, keyring: Keyring, body: api.FamilyLinkIn) -> asyncpg.Record:
    """The relative by our id, or as family name them: the pseudonym of their citizen ID finds the
    record, and the name must be theirs. Either miss reads the same, so the form tells nobody whose
    ID is registered."""
    if body.relative is None:
        found = await store.get_volunteer(conn, body.relative_id)
        if found is None:
            raise invalid("relative_id", NOT_A_RELATIVE)
        return found
    found = await store.volunteer_by_ref(conn, keyring.pseudonym(body.relative.citizen_id, "volunteer"))
    if found is None or _name(keyring, found) != body.relative.name:
        raise invalid("relative.citizen_id", NO_SUCH_PERSON)
    return found


def _name(keyring: Keyring, volunteer: asyncpg.Record) -> str:
    return keyring.decrypt(volunteer["name_enc"], pii_context(volunteer["id"], "name"))


async def family_of(conn, keyring: Keyring, volunteer_id: UUID) -> list[volunteers_api.MyRelative]:
    """Whom the volunteer may give credits to, masked as on a roster."""
    return [
        volunteers_api.MyRelative(
            relative_id=row["relative_id"],
            name=mask_name(_name(keyring, row)),
            relation=row["relation"],
            relation_label=api.Relation(row["relation"]).label,
        )
        for row in await store.family_links_of(conn, volunteer_id)
    ]


async def transfer(
    pool: asyncpg.Pool,
    who: Principal,
    from_volunteer: UUID,
    to_volunteer: UUID,
    units: int,
    *,
    reference: str | None = None,
    settings: TimebankSettings | None = None,
) -> api.TransactionView:
    """Give credits to a registered family member, within the giver's yearly limit."""
    settings = settings or timebank_settings()
    async with UnitOfWork(pool) as uow:
        giver = await _acting_for(uow.conn, who, from_volunteer)
        receiver = await store.get_volunteer(uow.conn, to_volunteer)
        if receiver is None or await store.family_link(uow.conn, from_volunteer, to_volunteer) is None:
            message = "只能转赠给已登记的亲属 / credits go only to a registered family member"
            raise Problem(
                409,
                "时间银行规则不允许 / Refused by a time-bank rule",
                message,
                rule="family_link",
                errors=[{"field": "to_volunteer", "message": message, "type": "family_link"}],
            )

        async def within_limit() -> None:
            start, end = _year_of(now())
            given = await store.given_between(uow.conn, from_volunteer, start, end)
            domain.check_transfer_limit(given, units, settings.family_limit_units_per_year)

        with refusals():
            txn = domain.transfer(_own_account(giver), _own_account(receiver), units, reference or str(new_id()))
            return await _post(
                uow.conn,
                txn,
                by=who.sub,
                memo="亲属转赠 / family transfer",
                floor=settings.floor_units,
                check=within_limit,
            )


async def redeem(
    pool: asyncpg.Pool,
    who: Principal,
    volunteer_id: UUID,
    units: int,
    service: str,
    at_bank_area: str,
    *,
    reference: str | None = None,
    settings: TimebankSettings | None = None,
) -> api.TransactionView:
    """The volunteer receives a service paid with credits at `at_bank_area` (通兑: any bank)."""
    settings = settings or timebank_settings()
    _check_bank(at_bank_area, "at_bank_area")
    async with UnitOfWork(pool) as uow:
        volunteer = await _acting_for(uow.conn, who, volunteer_id)
        with refusals():
            txn = domain.redeem(_own_account(volunteer), at_bank_area, units, reference or str(new_id()))
            return await _post(uow.conn, txn, by=who.sub, memo=service, floor=settings.floor_units)


async def exchange(
    pool: asyncpg.Pool,
    who: Principal,
    volunteer_id: UUID,
    units: int,
    *,
    reference: str | None = None,
    settings: TimebankSettings | None = None,
) -> api.TransactionView:
    """Credits become charity points: CreditsExchanged goes out through the outbox."""
    settings = settings or timebank_settings()
    async with UnitOfWork(pool) as uow:
        volunteer = await _acting_for(uow.conn, who, volunteer_id)
        with refusals():
            txn = domain.exchange(_own_account(volunteer), units, reference or str(new_id()))
            posted = await _post(
                uow.conn,
                txn,
                by=who.sub,
                memo="兑换爱心积分 / exchanged for charity points",
                floor=settings.floor_units,
            )
        if not posted.replayed:
            bank = volunteer["area_code"]
            uow.emit(
                CreditsExchanged(
                    exchange_id=posted.id,
                    volunteer_ref=volunteer["volunteer_ref"],
                    area_code=bank,
                    credits=units,
                    exchanged_at=posted.created_at,
                ),
                subject=str(posted.id),
                area_code=bank,
            )
    return posted


async def clearing(pool: asyncpg.Pool, who: Principal, area: str) -> api.ClearingView:
    """Settle every position between two banks that both lie within `area` (positions reaching
    outside it are cleared by the level above)."""
    require_jurisdiction(who, area, hide=False)
    async with UnitOfWork(pool) as uow:
        dues = [
            (i, a)
            for i, a in await store.due_accounts(uow.conn)
            if contains(area, a.bank) and contains(area, a.counterparty)
        ]
        await store.lock_accounts(uow.conn, sorted(i for i, _ in dues))
        held = await store.balances(uow.conn, [i for i, _ in dues])
        with refusals():
            txns, nets = domain.clearing({a: held.get(i, 0) for i, a in dues}, f"clearing:{new_id()}")
            for txn in txns:
                await _post(uow.conn, txn, by=who.sub, memo=f"清算 / clearing {area}", floor=0)
    return api.ClearingView(
        area=area, settled=[api.PairNet(debtor_bank=n.debtor, creditor_bank=n.creditor, units=n.units) for n in nets]
    )


# --- reads ----------------------------------------------------------------------------------


async def account_view(
    pool: asyncpg.Pool, who: Principal, volunteer_id: UUID, limit: int = 100
) -> api.VolunteerAccountView:
    """Balance and statement (newest first, running balance) of the volunteer's home-bank account."""
    volunteer = await _acting_for(pool, who, volunteer_id)
    account = await store.account_id(pool, _own_account(volunteer))
    rows = await store.statement(pool, account, limit) if account is not None else []
    balance = int(rows[0]["balance_units"]) if rows else 0
    return api.VolunteerAccountView(
        volunteer_id=volunteer_id,
        bank=volunteer["area_code"],
        balance_units=balance,
        balance_credits=credits_text(balance),
        statement=[_entry(r) for r in rows],
    )


def _entry(row) -> api.StatementEntry:
    fields = {k: row[k] for k in api.StatementEntry.model_fields if k != "kind_label"}
    return api.StatementEntry(**fields, kind_label=domain.TxnKind(row["kind"]).zh)


async def positions(pool: asyncpg.Pool, who: Principal, area: str) -> api.PositionsView:
    """Each bank's books within `area`: what it issued, what its volunteers hold, what was redeemed
    or exchanged there, and its due position towards every other bank."""
    listing_area(who, area)
    codes = [b for b in await store.banks(pool) if contains(area, b)]
    books: dict[str, api.BankPosition] = {}
    for row in await store.bank_balances(pool, codes):
        bank = books.setdefault(
            row["bank"],
            api.BankPosition(
                bank=row["bank"], issuance_units=0, volunteer_units=0, redemption_units=0, exchange_units=0, due=[]
            ),
        )
        if row["kind"] == domain.Kind.DUE:
            bank.due.append(api.DuePosition(counterparty=row["counterparty"], units=row["units"]))
        else:
            setattr(bank, f"{row['kind']}_units", row["units"])
    return api.PositionsView(area=area, banks=sorted(books.values(), key=lambda b: b.bank))
