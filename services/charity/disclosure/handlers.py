"""Use cases of the public disclosure: a donation followed by its receipt code, a project's
disclosure report, the public ledger (a page, or the whole as CSV) and a fund's totals. A donor's
name is decrypted only when the donor consented to show it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID

import asyncpg

from contracts.api import disclosure as api
from contracts.areas import contains, lookup
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, invalid, not_found
from services.charity import domain
from services.charity.disclosure import store
from services.charity.disclosure.domain import (
    CSV_HEADER,
    LOCAL,
    MEMOS,
    NEED_PAYMENT,
    _csv_line,
    _earmark_trail,
    _target,
    csv_row,
    donor_shown,
    fund_kind_label,
    kind_label,
    local_date,
    normalize_receipt,
    payment,
    redact,
    reporting,
)


def _donor(keyring: Keyring, row: Mapping, donation_id: UUID) -> api.DonorShown:
    """Decrypts the name only when the donor consented to show it."""
    name = None
    if row["disclose_name"] and row["donor_name_enc"] is not None:
        name = keyring.decrypt(row["donor_name_enc"], f"charity/{donation_id}/donor".encode())
    return donor_shown(row["donor_kind"], row["disclose_name"], name)


# --- a donation, followed ----------------------------------------------------------------------


async def donation_trail(pool: asyncpg.Pool, keyring: Keyring, text: str) -> api.DonationTrail:
    code = normalize_receipt(text)
    donation = await store.donation_by_receipt(pool, code) if code else None
    if donation is None:
        raise Problem(404, "未找到 / Not found", "没有这笔捐赠，请核对收据编号 / no donation with this receipt code")
    earmarks = await store.earmarks_of_donation(pool, donation["id"])
    fundings = await store.fundings_from(pool, [domain.restricted_account(e["id"]) for e in earmarks])
    payments = await store.paid(pool, list({f["commitment_id"] for f in fundings}), [e["id"] for e in earmarks])
    earmarked = sum(e["amount"] for e in earmarks)
    return api.DonationTrail(
        receipt_code=donation["receipt_code"],
        amount_fen=donation["amount"],
        area_code=donation["area_code"],
        fund=api.FundRef(
            id=donation["fund_id"],
            name=donation["fund_name"],
            kind=donation["fund_kind"],
            kind_label=fund_kind_label(donation["fund_kind"]),
        ),
        received_on=local_date(donation["received_at"]),
        donor=_donor(keyring, donation, donation["id"]),
        earmarked_fen=earmarked,
        unearmarked_fen=donation["amount"] - earmarked,
        refunded_fen=await store.refunded(pool, donation["id"]),
        earmarks=[_earmark_trail(e, fundings, payments) for e in earmarks],
    )


# --- a project's disclosure report --------------------------------------------------------------


async def project_disclosure(pool: asyncpg.Pool, project_id: UUID) -> api.ProjectDisclosure:
    fundings = await store.fundings_of_project(pool, project_id)
    earmarks = await store.earmarks_of_project(pool, project_id)
    if not fundings and not earmarks:
        raise not_found()
    commitments = {f["commitment_id"]: f for f in fundings}
    payments = await store.paid(pool, list(commitments), [])
    committed = sum(c["commitment_amount"] for c in commitments.values())
    disbursed = sum(p["amount"] for p in payments)
    first = min((local_date(c["decided_at"]) for c in commitments.values()), default=None)
    area = next(iter(commitments.values()))["area_code"] if commitments else earmarks[0]["area_code"]
    return api.ProjectDisclosure(
        project_id=project_id,
        area_code=area,
        committed_fen=committed,
        by_fund=await _by_fund(pool, fundings),
        earmarked_fen=sum(e["amount"] for e in earmarks),
        earmarked_unspent_fen=sum(e["unspent"] for e in earmarks),
        from_earmarks_fen=sum(f["amount"] for f in fundings if f["source_kind"] == "restricted"),
        disbursed_fen=disbursed,
        payments=[payment(p) for p in payments],
        balance_fen=await store.account_total(pool, [domain.committed_account(c) for c in commitments]),
        reporting=reporting(first, [local_date(p["approved_at"]) for p in payments], local_date(now())),
        as_of=now(),
    )


async def _by_fund(pool: asyncpg.Pool, fundings: list[Mapping]) -> list[api.FundCommitment]:
    """Committed money by the fund that granted it, split into earmarked and free money."""
    totals: dict = defaultdict(lambda: {"restricted": 0, "fund": 0})
    for f in fundings:
        totals[f["fund_id"]]["restricted" if f["source_kind"] == "restricted" else "fund"] += f["amount"]
    names = await store.fund_names(pool, list(totals))
    return [
        api.FundCommitment(
            fund_id=fund_id,
            fund_name=names.get(fund_id, ""),
            committed_fen=t["restricted"] + t["fund"],
            from_earmarks_fen=t["restricted"],
            from_fund_fen=t["fund"],
        )
        for fund_id, t in totals.items()
    ]


# --- the public ledger --------------------------------------------------------------------------


async def _scope(
    pool: asyncpg.Pool, area: str | None, date_from: date | None, date_to: date | None
) -> tuple[list[str] | None, datetime | None, datetime | None]:
    """Accounts' areas within `area`, and the Beijing days [from, to] as instants."""
    if area is not None and lookup(area) is None:
        raise invalid("area", "未知的行政区划代码 / unknown area code")
    if date_from and date_to and date_to < date_from:
        raise invalid("to", "结束日期不能早于开始日期 / `to` is before `from`")
    areas = None if area is None else [a for a in await store.account_areas(pool) if contains(area, a)]
    start = datetime.combine(date_from, time(), LOCAL) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), LOCAL) if date_to else None
    return areas, start, end


def ledger_line(row: Mapping, keyring: Keyring) -> api.LedgerLine:
    target_kind, target_id = _target(row)
    memo = MEMOS.get(f"earmark:{target_kind}" if row["kind"] == "earmark" else row["kind"], "")
    if row["kind"] == "disbursement" and row["milestone"] is not None:
        memo = redact(row["milestone"]) if row["paid_project"] else NEED_PAYMENT
    return api.LedgerLine(
        seq=row["seq"],
        on=local_date(row["created_at"]),
        at=row["created_at"],
        kind=row["kind"],
        kind_label=kind_label(row["kind"]),
        memo=memo,
        donor=_donor(keyring, row, row["donation_id"]).shown_as if row["donation_id"] else None,
        target_kind=target_kind,
        target_id=target_id,
        amounts={kind: int(v) for kind, v in (row["amounts"] or {}).items()},
        hash=row["hash"],
    )


async def ledger_page(
    pool: asyncpg.Pool,
    keyring: Keyring,
    area: str | None,
    date_from: date | None,
    date_to: date | None,
    page: int,
    page_size: int,
) -> api.LedgerPage:
    areas, start, end = await _scope(pool, area, date_from, date_to)
    total = await store.count_lines(pool, areas, start, end)
    rows = await store.lines(pool, areas, start, end, page_size, (page - 1) * page_size) if total else []
    return api.LedgerPage(
        items=[ledger_line(r, keyring) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
        area_code=area,
        date_from=date_from,
        date_to=date_to,
    )


async def ledger_csv(
    pool: asyncpg.Pool, keyring: Keyring, area: str | None, date_from: date | None, date_to: date | None
) -> AsyncIterator[str]:
    """Validates first (so a bad filter is a 422, not a broken download), then streams the lines."""
    areas, start, end = await _scope(pool, area, date_from, date_to)

    async def rows() -> AsyncIterator[str]:
        yield "\ufeff" + _csv_line(CSV_HEADER)  # BOM: Excel opens UTF-8 Chinese correctly
        async with pool.acquire() as conn:
            async for row in store.stream_lines(conn, areas, start, end):
                yield csv_row(ledger_line(row, keyring))

    return rows()


# --- a fund's totals ----------------------------------------------------------------------------


async def fund_disclosure(pool: asyncpg.Pool, fund_id: UUID, year: int | None) -> api.FundDisclosure:
    fund = await store.get_fund(pool, fund_id)
    if fund is None:
        raise not_found()
    flows = await store.fund_flows(pool, fund_id)
    totals = await store.fund_totals(pool, fund_id)
    two_percent = None
    if fund["kind"] == domain.FundKind.SOCIAL_ASSISTANCE:
        two_percent = await _two_percent(pool, fund_id, year or local_date(now()).year)
    return api.FundDisclosure(
        fund=api.FundRef(id=fund["id"], name=fund["name"], kind=fund["kind"], kind_label=fund_kind_label(fund["kind"])),
        area_code=fund["area_code"],
        received_fen=flows.get("donation", 0),
        refunded_fen=-flows.get("refund", 0),
        earmarked_fen=-flows.get("earmark", 0),
        restricted_unspent_fen=totals["restricted_unspent"],
        committed_fen=totals["committed"],
        disbursed_fen=totals["disbursed"],
        balance_fen=sum(flows.values()),
        two_percent=two_percent,
    )


async def _two_percent(pool: asyncpg.Pool, fund_id: UUID, year: int) -> api.TwoPercentCap:
    start, end = datetime(year, 1, 1, tzinfo=LOCAL), datetime(year + 1, 1, 1, tzinfo=LOCAL)
    budget = await store.budget(pool, fund_id, year)
    used = await store.service_purchases(pool, fund_id, start, end)
    cap = None if budget is None else budget * domain.TWO_PERCENT[0] // domain.TWO_PERCENT[1]
    return api.TwoPercentCap(
        year=year,
        budget_fen=budget,
        cap_fen=cap,
        service_purchases_fen=used,
        cap_left_fen=None if cap is None else max(cap - used, 0),
        cap_used_percent=round(100 * used / cap, 2) if cap else None,
    )
