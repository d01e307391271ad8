"""API models of the exchange service (数据交换): partners, the events API and webhooks."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from contracts.api import Strict
from contracts.values import AreaCode


class PartnerView(BaseModel):
    name: str = Field(description="登录名，亦为 NATS 用户名 / the partner's login and NATS user")
    label: str = Field(description="名称 / as people call it")
    area_code: AreaCode
    area_name: str
    events: list[str] = Field(description="可见事件 <领域>.<事件>，* 为任意 / event patterns")
    event_types: list[str] = Field(description="这些模式所含的公开事件类型 / the public event types they cover")
    created_at: AwareDatetime
    revoked_at: AwareDatetime | None = None


class EventPage(BaseModel):
    """One page of public events, oldest first. Pass `next` as `after` for the following page;
    with `has_more` false, ask again later with the same `next`."""

    events: list[dict[str, Any]] = Field(
        description="CloudEvents 1.0 信封，data 为公开事件 / envelopes; `data` as in the AsyncAPI document"
    )
    next: str = Field(description="下一页游标 / the cursor to continue after this page")
    has_more: bool


# --- webhooks (Standard Webhooks) -------------------------------------------------------------------

DeliveryStatus = Literal["pending", "failed", "delivered", "dead"]
EventTypeName = Annotated[
    str, Field(min_length=1, max_length=100, description="needs.need_raised、needs.* 或 CloudEvents 类型 / a type")
]
EndpointUrl = Annotated[str, Field(min_length=1, max_length=2000, description="接收端网址 http(s) / the endpoint URL")]
RateLimit = Annotated[float, Field(gt=0, le=1000, description="每秒至多投递次数 / deliveries a second, at most")]


class WebhookIn(Strict):
    url: EndpointUrl
    types: list[EventTypeName] = Field(
        default_factory=list,
        max_length=50,
        description="订阅的事件；默认为合作方的全部类型 / default: all of the partner's",
    )
    area: AreaCode | None = Field(
        default=None, description="合作方辖区内的区划；默认为合作方辖区 / inside the partner's"
    )
    rate_limit_per_s: RateLimit = 10


class WebhookPatch(Strict):
    url: EndpointUrl | None = None
    types: list[EventTypeName] | None = Field(default=None, min_length=1, max_length=50)
    area: AreaCode | None = None
    rate_limit_per_s: RateLimit | None = None
    enabled: bool | None = Field(default=None, description="true 重新启用已停用的订阅 / true re-enables it")


class WebhookView(BaseModel):
    id: UUID
    url: str
    types: list[str] = Field(description="订阅的公开事件类型 / the public event types it takes")
    area_code: AreaCode
    area_name: str
    rate_limit_per_s: float
    enabled: bool
    disabled_reason: str | None = Field(default=None, description="停用原因 / why it was disabled")
    disabled_at: AwareDatetime | None = None
    last_success_at: AwareDatetime | None = None
    failing_since: AwareDatetime | None = Field(default=None, description="自上次成功后首次失败 / failing since")
    previous_secret_until: AwareDatetime | None = Field(
        default=None, description="轮换前的密钥仍签名至此 / the rotated-out secret signs until then"
    )
    pending: int = Field(description="待投递 / deliveries still to be made")
    created_at: AwareDatetime
    updated_at: AwareDatetime


class WebhookWithSecret(WebhookView):
    secret: str = Field(description="签名密钥 whsec_…，仅此一次显示 / the signing secret, shown only this once")


class DeliveryView(BaseModel):
    id: UUID
    event_id: UUID = Field(description="公开事件 id，即 webhook-id / the public event id, the webhook-id")
    type: str
    type_label: str = Field(default="", description="事件名称 / the event, by name")
    status: DeliveryStatus
    attempts: int
    last_status: int | None = Field(default=None, description="最近一次的 HTTP 状态码 / the last answer's status")
    last_latency_ms: int | None = None
    last_error: str | None = None
    last_attempt_at: AwareDatetime | None = None
    next_attempt_at: AwareDatetime | None = Field(default=None, description="待投递时的下次尝试 / while open")
    delivered_at: AwareDatetime | None = None
    created_at: AwareDatetime


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryView] = Field(description="按公开事件顺序 / in public-event order")
    next: str = Field(description="下一页游标 / the cursor to continue after this page")
    has_more: bool


class ReplayIn(Strict):
    since: AwareDatetime = Field(description="重发此时刻以来的公开事件 / re-send the public events since then")


class ReplayView(BaseModel):
    queued: int = Field(description="重新排队的投递数 / deliveries queued again")


# --- oversight (数据交换管理): partners' and portals' endpoints as the civil-affairs office sees them --


class DeliveryFailure(BaseModel):
    at: AwareDatetime
    status: int | None = Field(default=None, description="HTTP 状态码；无应答时为空 / null: no answer")
    error: str = Field(description="失败原因 / what went wrong")


class DeliveryHealth(BaseModel):
    """An endpoint's deliveries queued in the window (the window's start, up to now)."""

    window_hours: int
    delivered: int = Field(description="已送达 / delivered")
    pending: int = Field(description="待投递（含重试中）/ still to be made, retries included")
    dead: int = Field(description="已放弃 / given up after every retry")
    attempts: int = Field(description="投递尝试次数 / attempts")
    success_rate: float | None = Field(default=None, description="送达次数 ÷ 尝试次数 / delivered ÷ attempts")
    p99_latency_ms: float | None = Field(default=None, description="送达请求耗时的 P99 / p99 of delivered requests")
    last_success_at: AwareDatetime | None = None
    last_failure: DeliveryFailure | None = None


class EndpointHealth(BaseModel):
    """A partner's webhook subscription or a portal's callback, with how its deliveries go."""

    id: UUID
    url: str
    event_labels: list[str] = Field(description="订阅的公开事件（中文名）/ the public events it takes, by name")
    area_code: AreaCode
    area_name: str
    enabled: bool
    disabled_reason: str | None = None
    failing_since: AwareDatetime | None = None
    health: DeliveryHealth


class PartnerOverview(BaseModel):
    partner: PartnerView
    event_labels: list[str] = Field(description="可见事件（中文名）/ the public events it may see, by name")
    subscriptions: list[EndpointHealth]


class PortalCallbackView(BaseModel):
    portal: str = Field(description="门户登录名 / the portal's login")
    label: str = Field(description="门户名称 / as people call it")
    callback: EndpointHealth
