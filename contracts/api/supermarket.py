"""HTTP models of the love supermarket (爱心超市): donated goods priced in points, and the points
residents and volunteers hold (积分互认互通互兑). People appear by pseudonymous ref only; points
are whole numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from contracts.api import Strict
from contracts.api.needs import CommunityCode
from contracts.values import USCC, Money

HolderKind = Literal["resident", "volunteer"]
DonorKind = Literal["person", "anonymous", "enterprise"]
# a pseudonymous ref (no ':' so it fits in a ledger account id)
HolderRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="化名编号 / pseudonymous ref")]
# strict: "5" or 5.0 is refused rather than silently taken as 5
Points = Annotated[int, Field(gt=0, le=10_000_000, strict=True, description="积分 / points")]
Quantity = Annotated[int, Field(gt=0, le=1_000_000, strict=True, description="数量 / quantity")]


class DonorIn(Strict):
    kind: DonorKind
    uscc: USCC | None = Field(default=None, description="企业的统一社会信用代码 / an enterprise's USCC")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="企业名称（个人捐赠者不登记姓名）/ enterprise name; no personal names",
    )

    @model_validator(mode="after")
    def _enterprise_only(self) -> DonorIn:
        if self.kind == "enterprise" and (self.uscc is None or self.name is None):
            raise ValueError("企业捐赠须填写统一社会信用代码和名称 / an enterprise donor needs uscc and name")
        if self.kind != "enterprise" and (self.uscc is not None or self.name is not None):
            raise ValueError("只有企业捐赠者登记代码和名称 / only an enterprise donor has uscc and name")
        return self


class GoodsReceiptIn(Strict):
    area_code: CommunityCode = Field(description="爱心超市所在村（社区）/ the supermarket's community")
    item: str = Field(min_length=1, max_length=100, description="物品名称 / item name")
    unit: str = Field(min_length=1, max_length=20, description="计量单位，如 袋、件 / unit, e.g. bag")
    quantity: Quantity
    estimated_value_fen: Money = Field(description="估值（分），用于公示 / estimated value in fen, for disclosure")
    price_points: Points = Field(
        description="每件兑换所需积分（适用于该物品全部库存）/ points per item, for all its stock"
    )
    donor: DonorIn


class GoodsReceiptView(BaseModel):
    receipt_id: UUID
    item_id: UUID
    area_code: str
    item: str
    unit: str
    quantity_received: int
    stock_quantity: int = Field(description="入库后的库存 / stock after the receipt")
    price_points: int
    estimated_value_fen: int
    donor_kind: DonorKind
    received_at: datetime


class StockItemView(BaseModel):
    item_id: UUID
    item: str
    unit: str
    quantity: int
    price_points: int


class StockView(BaseModel):
    area_code: str
    items: list[StockItemView]


class PointsGrantIn(Strict):
    area_code: CommunityCode = Field(description="发放积分的村（社区）/ the community granting the points")
    holder_kind: HolderKind
    holder_ref: HolderRef
    points: Points
    reason: str = Field(min_length=1, max_length=200, description="活动或事由 / the activity or reason")


class PointsGrantView(BaseModel):
    grant_id: UUID
    area_code: str
    holder_kind: HolderKind
    holder_ref: str
    points: int
    balance: int = Field(description="发放后的余额 / balance after the grant")
    reason: str
    granted_at: datetime


class RedemptionIn(Strict):
    holder_kind: HolderKind
    holder_ref: HolderRef
    item_id: UUID
    quantity: Quantity


class RedemptionView(BaseModel):
    redemption_id: UUID
    area_code: str
    holder_kind: HolderKind
    holder_ref: str
    item_id: UUID
    item: str
    quantity: int
    points: int = Field(description="本次支付的积分 / points paid")
    balance: int = Field(description="兑换后的余额 / balance after the redemption")
    stock_quantity: int = Field(description="兑换后的库存 / stock after the redemption")
    redeemed_at: datetime


class PointsStatementEntry(BaseModel):
    seq: int
    kind: str = Field(description="points_grant | points_redemption")
    memo: str
    at: datetime
    points: int = Field(description="正数为收入，负数为支出 / positive in, negative out")


class PointsAccountView(BaseModel):
    holder_kind: HolderKind
    holder_ref: str
    area_code: str = Field(description="开户的村（社区）/ where the account was opened")
    balance: int
    statement: list[PointsStatementEntry] = Field(description="最近的在前 / newest first")


class HolderPointsLine(BaseModel):
    holder_kind: HolderKind
    holder: str = Field(description="脱敏编号，如 a1b2… / masked ref")
    granted: int
    redeemed: int


class GoodsReceivedLine(BaseModel):
    item: str
    unit: str
    quantity: int
    estimated_value_fen: int
    donor_kind: DonorKind
    donor_name: str | None = Field(description="仅企业公示名称 / enterprises only")


class GoodsGivenLine(BaseModel):
    item: str
    unit: str
    quantity: int
    points: int


class PublicationTotals(BaseModel):
    points_granted: int
    points_redeemed: int
    goods_received_value_fen: int
    receipts: int
    redemptions: int


class PublicationView(BaseModel):
    area_code: str
    month: str = Field(description="YYYY-MM（北京时间）/ Beijing time")
    holders: list[HolderPointsLine]
    goods_received: list[GoodsReceivedLine]
    goods_given_out: list[GoodsGivenLine]
    totals: PublicationTotals
