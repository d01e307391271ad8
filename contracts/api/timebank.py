"""HTTP models of the time bank (时间银行). Amounts are integer units: 100 units = 1 credit, and
1 verified hour earns `rate` credits (1 by default)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from contracts.api import Strict
from contracts.api.needs import CommunityCode
from contracts.taxonomy import LabelledEnum
from contracts.values import AreaCode, CitizenId, PersonName

# strict: "5" or 5.0 is refused rather than silently taken as 5 units
Units = Annotated[
    int, Field(gt=0, le=100_000_000, strict=True, description="单位数（100 单位 = 1 积分）/ units, 100 = 1 credit")
]


class Relation(LabelledEnum):
    SPOUSE = "spouse", "配偶", "Spouse"
    PARENT = "parent", "父母", "Parent"
    CHILD = "child", "子女", "Child"
    SIBLING = "sibling", "兄弟姐妹", "Sibling"
    GRANDPARENT = "grandparent", "（外）祖父母", "Grandparent"
    GRANDCHILD = "grandchild", "（外）孙子女", "Grandchild"


class RelativeIn(Strict):
    """A relative as family know them: their name and citizen ID, never an id of ours."""

    name: PersonName
    citizen_id: CitizenId


class FamilyLinkIn(Strict):
    volunteer_id: UUID = Field(description="赠与人 / the giver")
    relative_id: UUID | None = Field(
        default=None, description="受赠亲属（须为注册志愿者）/ the relative, a registered volunteer"
    )
    relative: RelativeIn | None = Field(
        default=None, description="或以姓名与身份证号指明亲属 / or name the relative by name and citizen ID"
    )
    relation: Relation

    @model_validator(mode="after")
    def _two_people(self) -> FamilyLinkIn:
        if (self.relative_id is None) == (self.relative is None):
            raise ValueError("请给出 relative_id 或 relative 之一 / give either relative_id or relative")
        if self.volunteer_id == self.relative_id:
            raise ValueError("亲属不能是本人 / a relative is someone else")
        return self


class FamilyLinkView(BaseModel):
    volunteer_id: UUID
    relative_id: UUID
    relative_name: str = Field(default="", description="脱敏姓名 / masked name")
    relation: Relation
    relation_label: str = Field(default="", description="如 配偶 / Spouse")
    declared_by: str
    declared_at: datetime


class TransferIn(Strict):
    from_volunteer: UUID
    to_volunteer: UUID
    units: Units

    @model_validator(mode="after")
    def _two_people(self) -> TransferIn:
        if self.from_volunteer == self.to_volunteer:
            raise ValueError("不能转给本人 / cannot transfer to oneself")
        return self


class RedemptionIn(Strict):
    volunteer_id: UUID
    units: Units
    service: str = Field(min_length=1, max_length=200, description="兑换的服务 / the service received")
    at_bank_area: CommunityCode = Field(description="提供服务的村（社区）银行 / the bank where the service was given")


class ExchangeIn(Strict):
    volunteer_id: UUID
    units: Units


class ClearingIn(Strict):
    area: AreaCode | None = Field(default=None, description="清算范围，默认为令牌辖区 / defaults to your area")


class TransactionView(BaseModel):
    id: UUID
    kind: Literal["earn", "transfer", "redeem", "exchange", "settle"]
    reference: str
    units: int
    created_at: datetime
    replayed: bool = Field(description="同一引用已记账，本次未重复记账 / already applied; nothing posted again")


class StatementEntry(BaseModel):
    transaction_id: UUID
    kind: str
    kind_label: str = Field(default="", description="如 服务所得 / e.g. earned by service")
    memo: str
    at: datetime
    units: int = Field(description="正数为收入，负数为支出 / positive in, negative out")
    balance_units: int = Field(description="该笔之后的余额 / running balance")


class VolunteerAccountView(BaseModel):
    volunteer_id: UUID
    bank: str = Field(description="志愿者所在社区银行 / the volunteer's home bank")
    balance_units: int
    balance_credits: str = Field(description="如 12.50 / e.g. 12.50")
    statement: list[StatementEntry] = Field(description="最近的在前 / newest first")


class PairNet(BaseModel):
    debtor_bank: str
    creditor_bank: str
    units: int


class ClearingView(BaseModel):
    area: str
    settled: list[PairNet]


class DuePosition(BaseModel):
    counterparty: str
    units: int = Field(description="正数：本行欠对方；负数：对方欠本行 / positive: this bank owes the other")


class BankPosition(BaseModel):
    bank: str
    issuance_units: int = Field(description="负数：已发行未回收的积分 / negative: credits issued")
    volunteer_units: int = Field(description="志愿者持有 / held by volunteers")
    redemption_units: int
    exchange_units: int
    due: list[DuePosition]


class PositionsView(BaseModel):
    area: str
    banks: list[BankPosition]
