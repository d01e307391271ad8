"""HTTP model of what the caller's role may do (角色权限表): the console sections it may open and
every operation of the /api/v1 facade it may call. The gateway reads it from the services' own route
rules; nothing here is a second copy of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SectionKey = Literal[
    "home",
    "mine",
    "my-needs",
    "needs",
    "volunteers",
    "projects",
    "charity",
    "party",
    "dashboard",
    "exchange",
    "public",
]
OPERATION = (
    "方法与 /api/v1 下的路径模板，如 `POST /needs/{need_id}/assessment` / method and path template under /api/v1"
)


class ConsoleSection(BaseModel):
    key: SectionKey = Field(description="控制台页面（#/needs …）/ the console page it names")
    label_zh: str
    label_en: str
    open: bool = Field(description="本角色可否打开 / whether the caller's role may open it")
    requires: list[list[str]] = Field(
        description="打开它所需的接口：满足其中任一组（组内全部可调用）即可；空表示总可打开 / "
        "the operations its main content needs: any one group, every operation of it; empty: always open"
    )


class Capabilities(BaseModel):
    role: str = Field(description="令牌中的角色 / the role of the caller's token")
    sections: list[ConsoleSection] = Field(description="按导航顺序 / in navigation order")
    operations: list[str] = Field(
        description=f"本角色可调用的全部接口 / every operation the role may call: {OPERATION}"
    )
    unavailable: list[str] = Field(
        default_factory=list,
        description="暂时读不到其规则的服务：其接口与页面暂未列出 / services whose rules cannot be read "
        "now: their operations and sections are left out until they answer",
    )
