"""Rules and use cases of the public disclosure. Donors appear only as they consented; free text
typed by staff is published only for project milestones, with long numbers (phones, IDs) masked."""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from contracts.api import disclosure as api
from contracts.areas import contains, lookup
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, invalid, not_found
from services.charity import domain
from services.charity.disclosure import store
from services.charity.handlers import RECEIPT_ALPHABET

LOCAL = ZoneInfo("Asia/Shanghai")  # dates on the public pages are Beijing dates
RECEIPT_LENGTH = 12
SIX_MONTHS = 6
NEED_PAYMENT = "需求救助拨付 / paid out for a need"  # a need's milestone text may name the resident
REPORTING_RULE = (
    "慈善项目实施周期超过六个月的，至少每三个月公开一次项目实施情况（《慈善法》）/ a project running "
    "more than six months discloses its progress at least every three months"
)
KIND_LABELS = {
    "donation": "捐赠收入 / Donation",
    "earmark": "定向 / Earmark",
    "commitment": "项目资金承诺 / Funding commitment",
    "disbursement": "拨付 / Disbursement",
    "refund": "退还捐赠 / Refund",
}
# the journal's own memos name receipt codes and ids: the public sees these instead
MEMOS = {
    "donation": "捐入基金 / into the fund",
    "refund": "退还未定向部分 / the unearmarked part returned",
    "commitment": "为项目承诺资金 / committed to a project",
    "earmark:need": "定向至需求 / earmarked for a need",
    "earmark:project": "定向至项目 / earmarked for a project",
    "earmark:fund": "定向至基金 / earmarked for a fund",
}
DONOR_UNNAMED = {
    "anonymous": "匿名 / Anonymous",
    "person": "爱心人士 / A kind donor",
    "enterprise": "爱心企业 / A caring enterprise",
}
_LONG_NUMBER = re.compile(r"\d{3,4}-\d{7,8}|\d{11,}[Xx]?")  # landlines, mobiles, ID and bank numbers


# --- pure rules -----------------------------------------------------------------------------


def normalize_receipt(text: str) -> str | None:
    """A receipt code as typed from paper (lower case, spaces, dashes), or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if len(code) == RECEIPT_LENGTH and all(c in RECEIPT_ALPHABET for c in code) else None


def donor_shown(kind: str, disclose: bool, name: str | None) -> api.DonorShown:
    if kind != "anonymous" and disclose and name:
        return api.DonorShown(kind=kind, shown_as=name, named=True)
    return api.DonorShown(kind=kind, shown_as=DONOR_UNNAMED[kind], named=False)


def redact(text: str) -> str:
    return _LONG_NUMBER.sub("***", text)


def local_date(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "其他 / Other")


def fund_kind_label(kind: str) -> str:
    try:
        fund_kind = domain.FundKind(kind)
    except ValueError:
        return kind
    return f"{fund_kind.zh} / {fund_kind.en}"


def yuan(fen: int | None) -> str:
    """Plain decimal yuan for spreadsheets: 123456 → "1234.56"."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def months_later(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarters(first: date, today: date) -> list[tuple[date, date]]:
    """(first day, last day) of each calendar quarter from the one holding `first` to today's."""
    spans, start = [], quarter_start(first)
    while start <= today:
        following = months_later(start, 3)
        spans.append((start, following - timedelta(days=1)))
        start = following
    return spans


def reporting(first: date | None, disclosed_on: Iterable[date], today: date) -> api.Reporting:
    """Each quarter since the first commitment: disclosed, missing, or still open (not over yet)."""
    if first is None:
        return api.Reporting(required=False, rule=REPORTING_RULE, since=None, quarters=[], missing=0)
    events = list(disclosed_on)
    rows = []
    for start, end in quarters(first, today):
        count = sum(start <= d <= end for d in events)
        status = "disclosed" if count else ("open" if end >= today else "missing")
        rows.append(
            api.QuarterReport(
                quarter=f"{start.year}Q{(start.month - 1) // 3 + 1}",
                start=start,
                end=end,
                disclosures=count,
                status=status,
            )
        )
    return api.Reporting(
        required=today > months_later(first, SIX_MONTHS),
        rule=REPORTING_RULE,
        since=first,
        quarters=rows,
        missing=sum(r.status == "missing" for r in rows),
    )


def payment(row: Mapping) -> api.Payment:
    """A project milestone is published (numbers masked); a need's payment shows no free text."""
    milestone = redact(row["milestone"]) if row["commitment_id"] else NEED_PAYMENT
    return api.Payment(milestone=milestone, amount_fen=row["amount"], paid_on=local_date(row["approved_at"]))


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


def _earmark_trail(earmark: Mapping, fundings: list[Mapping], payments: list[Mapping]) -> api.EarmarkTrail:
    account = domain.restricted_account(earmark["id"])
    shares = [
        api.CommitmentShare(
            commitment_id=f["commitment_id"],
            project_id=f["project_id"],
            commitment_fen=f["commitment_amount"],
            from_earmark_fen=f["amount"],
            committed_on=local_date(f["decided_at"]),
            payments=[payment(p) for p in payments if p["commitment_id"] == f["commitment_id"]],
        )
        for f in fundings
        if f["source"] == account
    ]
    return api.EarmarkTrail(
        earmark_id=earmark["id"],
        target_kind=earmark["target_kind"],
        target_id=earmark["target_id"],
        area_code=earmark["area_code"],
        amount_fen=earmark["amount"],
        earmarked_on=local_date(earmark["created_at"]),
        unspent_fen=earmark["unspent"],
        commitments=shares,
        payments=[payment(p) for p in payments if p["earmark_id"] == earmark["id"]],
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


def _target(row: Mapping) -> tuple[str | None, UUID | None]:
    """What the entry was for: the earmark's target, the project, the need, or the donation's fund."""
    if row["earmark_kind"]:
        return row["earmark_kind"], row["earmark_target"]
    if project := row["committed_project"] or row["paid_project"]:
        return "project", project
    if row["paid_kind"]:
        return row["paid_kind"], row["paid_target"]
    if row["fund_id"]:
        return "fund", row["fund_id"]
    return None, None


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


CSV_HEADER = (
    "序号",
    "日期",
    "类型",
    "摘要",
    "捐赠人",
    "对象类型",
    "对象编号",
    "外部（元）",
    "基金（元）",
    "定向（元）",
    "承诺（元）",
    "哈希",
)
TARGET_LABELS = {"need": "需求", "project": "项目", "fund": "基金"}


def _csv_line(values: Iterable) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def csv_row(line: api.LedgerLine) -> str:
    return _csv_line(
        [
            line.seq,
            line.on.isoformat(),
            line.kind_label.split(" / ")[0],
            line.memo,
            line.donor or "",
            TARGET_LABELS.get(line.target_kind or "", ""),
            line.target_id or "",
            *(yuan(line.amounts.get(kind)) for kind in ("world", "fund", "restricted", "committed")),
            line.hash,
        ]
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
