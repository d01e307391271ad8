"""HTTP routes of the charity service (慈善资源). Every route checks role × jurisdiction."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import charity as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, listing_area, require, require_jurisdiction, visible
from services.charity import domain, handlers, store

router = APIRouter(tags=["慈善资源 charity"])
ADMINS = (Role.CHARITY_ADMIN,)
CHECKERS = (Role.CHARITY_ADMIN, Role.CIVIL_AFFAIRS)
READERS = (Role.CHARITY_ADMIN, Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.SOCIAL_WORKER)
FLOW_READERS = (*READERS, Role.PARTY_SECRETARY)  # an area's totals: the party organization oversees them too
Admin = Annotated[Principal, Depends(require(*ADMINS))]
# the same roles as CHECKERS, spelled as the route always spelled them
AdminOrCivilAffairs = Annotated[Principal, Depends(require(*ADMINS, Role.CIVIL_AFFAIRS))]
CivilAffairs = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]
Checker = Annotated[Principal, Depends(require(*CHECKERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
FlowReader = Annotated[Principal, Depends(require(*FLOW_READERS))]
Verifier = Annotated[Principal, Depends(require(Role.AUDITOR, Role.CIVIL_AFFAIRS, *ADMINS))]


@router.post("/funds", status_code=201, response_model=api.Created, summary="设立资金账户 / open a fund")
async def create_fund(body: api.FundIn, who: AdminOrCivilAffairs, pool: DbPool):
    require_jurisdiction(who, body.area_code, hide=False)
    return api.Created(id=await handlers.create_fund(pool, who, body))


@router.put("/funds/{fund_id:uuid}/budgets", summary="登记年度预算 / set a year's budget")
async def set_budget(fund_id: UUID, body: api.BudgetIn, who: CivilAffairs, pool: DbPool) -> dict:
    await handlers.set_budget(pool, who, fund_id, body)
    return {"fund_id": fund_id, "year": body.year, "amount_fen": body.amount_fen}


@router.get("/funds/flows", response_model=api.FundFlows, summary="资金流入流出（按月）/ money in and out, by month")
async def fund_flows(
    who: FlowReader,
    pool: DbPool,
    area: str | None = Query(default=None, description="行政区划代码，默认为令牌辖区 / defaults to your area"),
    months: int = Query(default=12, ge=1, le=36, description="最近几个月（含本月）/ how many months"),
) -> api.FundFlows:
    area = listing_area(who, area)
    return await handlers.flows(pool, area, months)


@router.get("/funds/{fund_id:uuid}", response_model=api.AccountView, summary="资金账户余额与流水 / a fund's balance")
async def get_fund(fund_id: UUID, who: Reader, pool: DbPool) -> api.AccountView:
    fund = await handlers.visible_fund(pool, who, fund_id)
    account = domain.fund_account(fund["id"])
    entries = [dict(r) | {"id": str(r["id"])} for r in await store.statement(pool, account)]
    return api.AccountView(id=account, balance_fen=await store.balance(pool, account), entries=entries)


@router.post("/donations", status_code=201, response_model=api.DonationCreated, summary="接收捐赠 / receive a donation")
async def donate(body: api.DonationIn, who: Admin, pool: DbPool, keyring: Keys):
    return await handlers.receive_donation(pool, keyring, who, body)


@router.post(
    "/donations/{donation_id}/earmarks",
    status_code=201,
    response_model=api.Created,
    summary="定向捐赠 / earmark a donation",
)
async def earmark(donation_id: UUID, body: api.EarmarkIn, who: Admin, pool: DbPool):
    return api.Created(id=await handlers.earmark(pool, who, donation_id, body))


@router.post("/donations/{donation_id}/refund", summary="退还未定向的捐赠 / refund what was not earmarked")
async def refund(donation_id: UUID, who: Admin, pool: DbPool) -> dict:
    return {"id": donation_id, "refunded_fen": await handlers.refund(pool, who, donation_id)}


@router.get(
    "/earmarks/by-need/{need_id}",
    response_model=api.NeedEarmarks,
    summary="定向于需求的捐赠及其拨付 / what was earmarked for a need, and paid",
)
async def earmarks_of_need(need_id: UUID, who: Reader, pool: DbPool) -> api.NeedEarmarks:
    return await handlers.need_earmarks(pool, who, need_id)


@router.get("/commitments/{commitment_id}", response_model=api.CommitmentView, summary="资金承诺 / a funding decision")
async def get_commitment(commitment_id: UUID, who: Reader, pool: DbPool):
    row = visible(who, await store.get_commitment(pool, commitment_id))
    return handlers.commitment_view(row)


@router.get(
    "/commitments/by-request/{request_id}",
    response_model=api.CommitmentView,
    summary="按申请查询资金承诺 / the decision on a funding request",
)
async def commitment_of_request(request_id: UUID, who: Reader, pool: DbPool):
    row = visible(who, await store.commitment_by_request(pool, request_id))
    return handlers.commitment_view(row)


@router.post(
    "/commitments/{commitment_id}/disbursements",
    status_code=201,
    response_model=api.Created,
    summary="申请按里程碑拨付 / ask to pay a milestone",
)
async def ask_disbursement(commitment_id: UUID, body: api.DisbursementIn, who: Admin, pool: DbPool):
    return api.Created(id=await handlers.request_disbursement(pool, who, body, commitment_id=commitment_id))


@router.post(
    "/earmarks/{earmark_id}/disbursements",
    status_code=201,
    response_model=api.Created,
    summary="拨付定向于需求的捐赠 / pay money earmarked for a need",
)
async def ask_need_disbursement(earmark_id: UUID, body: api.DisbursementIn, who: Admin, pool: DbPool):
    return api.Created(id=await handlers.request_disbursement(pool, who, body, earmark_id=earmark_id))


@router.get("/disbursements", response_model=list[api.DisbursementView], summary="拨付申请 / disbursement requests")
async def list_disbursements(
    who: Reader,
    pool: DbPool,
    area: str | None = None,
    status: Literal["requested", "disbursed", "rejected"] | None = None,
):
    area = listing_area(who, area)
    return [handlers.disbursement_view(r, who) for r in await store.list_disbursements(pool, area, status)]


@router.post("/disbursements/{disbursement_id}/approval", summary="复核拨付（须另一人）/ approve, as a second person")
async def approve(disbursement_id: UUID, who: Checker, pool: DbPool) -> dict:
    await handlers.approve_disbursement(pool, who, disbursement_id)
    return {"id": disbursement_id, "status": "disbursed"}


@router.post(
    "/disbursements/{disbursement_id}/rejection",
    summary="驳回拨付申请（须另一人，写明理由）/ reject, as a second person, saying why",
)
async def reject(disbursement_id: UUID, body: api.RejectionIn, who: Checker, pool: DbPool) -> dict:
    await handlers.reject_disbursement(pool, who, disbursement_id, body)
    return {"id": disbursement_id, "status": "rejected"}


@router.get("/ledger/verification", response_model=api.LedgerCheck, summary="校验账本哈希链 / verify the ledger chain")
async def verify(who: Verifier, pool: DbPool):
    return await handlers.verify_ledger(pool)
