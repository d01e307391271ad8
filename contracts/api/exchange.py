"""API models of the exchange service (数据交换): partners and the events API."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

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
