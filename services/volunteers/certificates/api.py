"""HTTP routes of the service record certificates (志愿服务记录证明). Issue and read check role ×
jurisdiction (or that the caller is the volunteer); the code check is public, masked data only.

The printable certificate: one self-contained HTML page sized for A4. Browsers print it, or
save it as PDF, with the reader's own CJK fonts, so the service needs no PDF library or font files."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.volunteers.certificates import domain, handlers
from services.volunteers.certificates.domain import CertificateView, HoursLine
from services.volunteers.domain import LOCAL

router = APIRouter(prefix="/certificates", tags=["志愿服务记录证明 certificates"])
ISSUERS = (Role.SOCIAL_WORKER, Role.VOLUNTEER)  # the volunteer only for themself
READERS = (*ISSUERS, Role.CIVIL_AFFAIRS, Role.AUDITOR)
Issuer = Annotated[Principal, Depends(require(*ISSUERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]


@router.post(
    "", status_code=201, response_model=domain.CertificateCreated, summary="出具志愿服务记录证明 / issue a certificate"
)
async def issue(body: domain.CertificateIn, who: Issuer, pool: DbPool) -> domain.CertificateCreated:
    return await handlers.issue(pool, who, body)


@router.get(
    "/verify/{code}",
    response_model=domain.PublicCheck,
    summary="核验证明（公开，无需登录）/ check a certificate's code, public",
)
async def verify(code: str, pool: DbPool, keyring: Keys) -> domain.PublicCheck:
    return await handlers.public_check(pool, keyring, code)


@router.get("/{certificate_id:uuid}", response_model=domain.CertificateView, summary="证明详情 / a certificate")
async def get_certificate(certificate_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> domain.CertificateView:
    return await handlers.read(pool, keyring, who, certificate_id)


@router.get("/{certificate_id:uuid}/print", response_class=HTMLResponse, summary="打印证明（A4 网页）/ printable page")
async def print_certificate(certificate_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> HTMLResponse:
    view = await handlers.read(pool, keyring, who, certificate_id)
    return HTMLResponse(render(view))


# --- the printable page ---------------------------------------------------------------------


ROLE_LABELS = {"social_worker": "社会工作者", "volunteer": "志愿者本人申请"}

STYLE = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif;
       color: #000; max-width: 174mm; margin: 0 auto; padding: 12mm 0; font-size: 11pt; line-height: 1.7; }
h1 { text-align: center; font-size: 22pt; letter-spacing: 0.4em; margin: 0 0 6mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; }
.no { text-align: right; font-size: 10pt; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; }
th, td { border: 1px solid #000; padding: 1.5mm 2.5mm; text-align: left; }
td.num, th.num { text-align: right; }
.statement { text-indent: 2em; margin: 5mm 0; }
.verify { margin-top: 8mm; border-top: 1px dashed #000; padding-top: 3mm; font-size: 10pt; }
.digest { font-family: monospace; font-size: 8pt; word-break: break-all; }
.warning { border: 2px solid #c00; color: #c00; padding: 2mm; font-weight: bold; }
.hint { color: #555; font-size: 9pt; text-align: center; }
@media print {
  body { padding: 0; max-width: none; }
  .hint { display: none; }
  table, .verify { page-break-inside: avoid; }
}
"""


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _moment(at: datetime) -> str:
    local = at.astimezone(LOCAL)
    return f"{_day(local.date())} {local:%H:%M}"


def _hours(line: HoursLine) -> str:
    return f'<td class="num">{escape(line.verified_hours)}</td><td class="num">{escape(line.unverified_hours)}</td>'


def _table(head: str, rows: list[str]) -> str:
    header = f'<tr>{head}<th class="num">已核实（小时）</th><th class="num">待核实，未计入（小时）</th></tr>'
    body = "".join(rows) or '<tr><td colspan="4">无</td></tr>'
    return f"<table>{header}{body}</table>"


def render(view: CertificateView) -> str:
    e = escape
    orgs = [f"<tr><td>{e(o.organization)}</td><td>{e(o.area_name)}</td>{_hours(o)}</tr>" for o in view.by_organization]
    months = [f"<tr><td>{e(m.month)}</td>{_hours(m)}</tr>" for m in view.by_month]
    issuer = f"{e(view.issued_by)}（{e(ROLE_LABELS.get(view.issued_by_role, view.issued_by_role))}）"
    warning = "" if view.digest_matches else '<p class="warning">记录摘要不符：本证明内容可能已被改动，不可使用。</p>'
    pending = f"另有 {e(view.unverified_hours)} 小时服务记录尚待核实，不计入本证明。" if view.unverified_minutes else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>志愿服务记录证明 {e(view.code)}</title>
<style>{STYLE}</style>
</head>
<body>
<p class="hint">使用浏览器“打印”即可打印或另存为 PDF。</p>
<p class="no">核验码：{e(view.code)}</p>
<h1>志愿服务记录证明</h1>
{warning}
<table>
<tr><th>志愿者姓名</th><td>{e(view.volunteer_name)}</td><th>公民身份号码</th><td>{e(view.citizen_id)}</td></tr>
<tr><th>服务期间</th><td colspan="3">{_day(view.period_start)} 至 {_day(view.period_end)}</td></tr>
<tr><th>经核实服务时长</th><td colspan="3">{e(view.certified_hours)} 小时（{view.certified_minutes} 分钟）</td></tr>
</table>
<p class="statement">兹证明上述志愿者在服务期间参加志愿服务，经核实的服务时长合计 {e(view.certified_hours)} 小时。{pending}
本证明依据《志愿服务记录与证明出具办法》（民政部令第67号），根据志愿服务记录出具。</p>
<h2>按服务组织（任务发布方）</h2>
{_table("<th>组织</th><th>区域</th>", orgs)}
<h2>按月份</h2>
{_table("<th>月份</th>", months)}
<p>出具人：{issuer}<br>出具时间：{_moment(view.issued_at)}</p>
<div class="verify">
<p>核验：凭核验码 <strong>{e(view.code)}</strong> 访问 <strong>{e(view.verify_path)}</strong> 查验本证明真伪（无需登录）。</p>
<p class="digest">记录摘要 SHA-256：{e(view.digest)}</p>
</div>
</body>
</html>
"""
