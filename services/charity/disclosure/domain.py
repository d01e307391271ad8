"""Rules of the public disclosure. Donors appear only as they consented; free text typed by staff
is published only for project milestones, with long numbers (phones, IDs) masked. No I/O."""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from contracts.api import disclosure as api
from services.charity import domain
from services.charity.domain import RECEIPT_ALPHABET

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
