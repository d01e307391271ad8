"""HTTP models of the social-organization registry (社会组织登记), its service platforms (服务平台载体),
the communities the coverage targets are counted over, and the purchase list (购买社区公共服务项目清单)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, cast
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, ValidationInfo, field_validator, model_validator

from contracts.api import Strict, TrendPoint
from contracts.api.needs import CommunityCode
from contracts.areas import Area, contains, lookup
from contracts.taxonomy import CategoryCode, LabelledEnum
from contracts.values import USCC, AreaCode, Money

PlatformKind = Literal["station", "room", "incubation_base"]
AccountSub = Annotated[str, Field(min_length=1, max_length=100)]


class LegalType(LabelledEnum):
    SOCIAL_GROUP = "social_group", "社会团体", "Social group"
    SOCIAL_SERVICE_AGENCY = "social_service_agency", "社会服务机构", "Social service agency"
    FOUNDATION = "foundation", "基金会", "Foundation"


class OrganizationStatus(LabelledEnum):
    REGISTERED = "registered", "已登记", "Registered"
    DEREGISTERED = "deregistered", "已注销", "Deregistered"


class Grade(LabelledEnum):
    """评估等级 / evaluation grades, best first."""

    EXCELLENT = "excellent", "优秀", "Excellent"
    GOOD = "good", "良好", "Good"
    BASIC = "basic", "基本合格", "Basic"
    UNQUALIFIED = "unqualified", "不合格", "Unqualified"


class OrganizationCategory(LabelledEnum):
    """社区社会组织类别 / categories of community social organizations."""

    LIFE_SERVICE = "life_service", "生活服务类", "Life services"
    CHARITY = "charity", "公益慈善类", "Public welfare and charity"
    MUTUAL_AID = "mutual_aid", "居民互助类", "Residents' mutual aid"
    CULTURE_SPORTS = "culture_sports", "文体活动类", "Culture and sports"
    PROFESSIONAL = "professional", "专业服务类", "Professional services"
    OTHER = "other", "其他", "Other"


# where each kind of platform stands: a station in a township (街道/乡镇), a room in a village or
# community; an incubation base at any level
PLATFORM_LEVELS: dict[str, tuple[str, ...] | None] = {
    "station": ("township",),
    "room": ("community", "village"),
    "incubation_base": None,
}


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("不得重复 / duplicates are not allowed")
    return values


AdminAccounts = Annotated[list[AccountSub], AfterValidator(_distinct)]


# --- organizations ---------------------------------------------------------------------------------------


class IncubationIn(Strict):
    base_id: UUID = Field(description="孵化基地（服务平台，kind = incubation_base）")
    since: date
    graduated_on: date | None = Field(default=None, description="出壳日期 / left the incubator on")

    @model_validator(mode="after")
    def _ordered(self) -> IncubationIn:
        if self.graduated_on is not None and self.graduated_on < self.since:
            raise ValueError("出壳日期不得早于入驻日期 / graduated_on is before since")
        return self


class OrganizationIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    uscc: USCC
    legal_type: LegalType
    category: OrganizationCategory
    area_code: AreaCode = Field(description="登记管理机关所在区域：省、市、区县，或乡镇（街道）、村（社区）备案")
    hub: bool = Field(default=False, description="枢纽型社会组织")
    social_work_agency: bool = Field(default=False, description="社会工作服务机构")
    charity_certified: bool = Field(default=False, description="认定为慈善组织")
    incubation: IncubationIn | None = None
    full_time_staff: int = Field(default=0, ge=0, le=1_000_000, description="专职工作人员数")
    admin_accounts: AdminAccounts = Field(
        default_factory=list, max_length=20, description="本组织管理员的登录账号（令牌 sub，角色 org_admin）"
    )


class OrganizationPatch(Strict):
    """Only the fields sent change; `incubation: null` clears the incubation record."""

    full_time_staff: int | None = Field(default=None, ge=0, le=1_000_000)
    hub: bool | None = None
    social_work_agency: bool | None = None
    charity_certified: bool | None = None
    incubation: IncubationIn | None = None
    admin_accounts: AdminAccounts | None = Field(default=None, max_length=20)
    status: OrganizationStatus | None = Field(default=None, description="deregistered：注销（不可恢复）")

    @model_validator(mode="after")
    def _something(self) -> OrganizationPatch:
        if not self.model_fields_set:
            raise ValueError("没有要修改的字段 / nothing to change")
        nulls = [f for f in self.model_fields_set if f != "incubation" and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"只有 incubation 可以置空 / only incubation may be null: {', '.join(sorted(nulls))}")
        return self


class IncubationView(BaseModel):
    base_id: UUID
    since: date
    graduated_on: date | None


class GradeView(BaseModel):
    year: int
    grade: Grade
    project_id: UUID
    score: float
    recorded_at: AwareDatetime


class OrganizationSummary(BaseModel):
    uscc: str
    name: str
    legal_type: LegalType
    category: OrganizationCategory
    area_code: str
    hub: bool
    social_work_agency: bool
    charity_certified: bool
    incubation: IncubationView | None
    full_time_staff: int
    status: OrganizationStatus
    registered_at: AwareDatetime
    updated_at: AwareDatetime
    version: int


class OrganizationView(OrganizationSummary):
    grades: list[GradeView] = Field(description="评估等级记录，新的在前 / evaluation grades, newest first")
    admin_accounts: list[str] | None = Field(
        description="仅登记机关与本组织管理员可见 / shown to the registering authority and the org's own administrators"
    )


# --- service platforms -------------------------------------------------------------------------------------


class PlatformIn(Strict):
    kind: PlatformKind = Field(
        description="station 乡镇（街道）社会工作服务站；room 村（社区）社会工作室；"
        "incubation_base 社区社会组织孵化基地"
    )
    name: str = Field(min_length=1, max_length=200)
    area_code: AreaCode
    operator_uscc: USCC | None = Field(default=None, description="承接运营的社会组织（已登记）")
    contract_until: date | None = Field(default=None, description="运营合同截止日期")
    staff: int = Field(default=0, ge=0, le=10_000, description="专职社工人数")
    opened_on: date

    @field_validator("area_code")
    @classmethod
    def _level_of_kind(cls, code: str, info: ValidationInfo) -> str:
        levels = PLATFORM_LEVELS.get(info.data.get("kind", ""))
        if levels and cast(Area, lookup(code)).level not in levels:
            raise ValueError(
                "社工站须设在乡镇（街道）（9 位代码）/ a station stands in a township (9 digits)"
                if "township" in levels
                else "社会工作室须设在村（社区）（12 位代码）/ a room stands in a village or community (12 digits)"
            )
        return code

    @field_validator("contract_until")
    @classmethod
    def _contract_needs_operator(cls, until: date | None, info: ValidationInfo) -> date | None:
        if until is not None and info.data.get("operator_uscc") is None:
            raise ValueError("有运营合同须填写 operator_uscc / a contract needs its operator")
        return until


class PlatformView(BaseModel):
    id: UUID
    kind: PlatformKind
    name: str
    area_code: str
    operator_uscc: str | None
    operator_name: str | None
    contract_until: date | None
    staff: int
    opened_on: date
    created_at: AwareDatetime


class Created(BaseModel):
    id: UUID


# --- communities: what the coverage targets are counted over ---------------------------------------------


class CommunitiesIn(Strict):
    """The villages and communities that exist under `area_code`; replaces the list registered before."""

    area_code: AreaCode = Field(description="名录所属区域：其下的村（社区）名录以本次提交为准")
    codes: Annotated[list[CommunityCode], AfterValidator(_distinct)] = Field(max_length=20_000)

    @field_validator("codes")
    @classmethod
    def _under_area(cls, codes: list[str], info: ValidationInfo) -> list[str]:
        area = info.data.get("area_code")
        outside = [c for c in codes if area and not contains(area, c)]
        if outside:
            raise ValueError(f"不在 area_code 之内 / not under area_code: {', '.join(outside[:5])}")
        return codes


class CommunitiesSet(BaseModel):
    area_code: str
    communities: int
    urban: int = Field(description="其中社区（代码 001–199）/ of which urban communities")


class CommunityView(BaseModel):
    area_code: str
    name: str
    urban: bool


# --- statistics ----------------------------------------------------------------------------------------------


class StaffTarget(BaseModel):
    total: int = Field(description="专职工作人员合计 / full-time staff of registered organizations")
    target: int = Field(description="全省目标（≥ 40 万）/ the province target")
    share: float = Field(description="total / target")


class CommunityCount(BaseModel):
    area_code: str
    name: str
    count: int


class HubCoverage(BaseModel):
    urban_communities: int | None = Field(
        description="已登记的城市社区数 / urban communities registered under the area"
    )
    covered: int | None = Field(description="有枢纽型社会组织覆盖的社区数 / covered by a hub organization")
    share: float | None
    target: float = Field(description="政策目标：覆盖全部城市社区 / the policy target")
    met: bool
    note: str | None = None


class OrganizationStats(BaseModel):
    area: str
    organizations: int = Field(description="已登记（未注销）的社会组织 / registered organizations")
    by_category: dict[str, int]
    by_legal_type: dict[str, int]
    full_time_staff: StaffTarget
    by_community: list[CommunityCount] = Field(description="登记在村（社区）的组织数 / organizations per community")
    hub_coverage: HubCoverage
    trend: list[TrendPoint] = Field(
        default_factory=list,
        description=(
            "近 12 个月每月末已登记（未注销）的社会组织数 / registered organizations at each of the last 12 months' end"
        ),
    )


class StationCoverage(BaseModel):
    townships: int
    with_station: int
    share: float | None
    target: float = Field(description="政策目标：每个乡镇（街道）一个社工站 / one station per township")
    met: bool
    without_station: list[str] = Field(description="尚无社工站的乡镇（街道）/ townships without a station")


class RoomCoverage(BaseModel):
    rooms: int
    by_community: list[CommunityCount]
    registered_communities: int | None = Field(description="已登记的村（社区）数；未登记名录时为空")
    with_room: int | None
    share: float | None


class PlatformCoverage(BaseModel):
    area: str
    stations: StationCoverage
    rooms: RoomCoverage
    trend: list[TrendPoint] = Field(
        default_factory=list,
        description=(
            "近 12 个月每月末的社工站乡镇（街道）覆盖率（按开站日期）/ station coverage of townships at each of the "
            "last 12 months' end, by opening date"
        ),
    )


# --- the purchase list ------------------------------------------------------------------------------------


class PurchaseItemIn(Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")] = Field(description="清单内的事项编码")
    name: str = Field(min_length=1, max_length=200)
    category: CategoryCode = Field(description="服务类别编码 / service category code")
    max_budget_fen: Money | None = Field(default=None, description="单个项目预算上限（分）")


class PurchaseListIn(Strict):
    items: list[PurchaseItemIn] = Field(max_length=500)

    @field_validator("items")
    @classmethod
    def _distinct_codes(cls, items: list[PurchaseItemIn]) -> list[PurchaseItemIn]:
        _distinct([i.code for i in items])
        return items


class PurchaseItemView(BaseModel):
    code: str
    name: str
    category: str
    max_budget_fen: int | None
    listed_by: str = Field(description="列入此事项的区域（上级区域的清单同样适用）/ the area whose list holds it")


class PurchaseListView(BaseModel):
    area_code: str
    year: int
    items: list[PurchaseItemView] = Field(description="本区域及上级区域清单中的事项，近者优先 / own and inherited")
    updated_at: AwareDatetime | None = Field(description="本区域清单的更新时间；未设清单时为空")
    updated_by: str | None
