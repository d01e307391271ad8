"""HTTP models of the platform's status (系统状态): is each service ready, and has the supervisor of
`wushe up` had to restart any of it. Nothing here names a person, a token or a process id."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Overall = Literal["ok", "restarting", "degraded"]


class ServiceStatus(BaseModel):
    service: Literal["gateway", "needs", "volunteers", "projects", "charity", "party", "exchange"]
    ready: bool = Field(description="其 /readyz 是否就绪 / whether its /readyz answers ready")
    detail: str | None = Field(default=None, description="未就绪的原因，如 NATS disconnected / what is down")
    processes: int | None = Field(
        default=None, ge=0, description="监督的进程数（副本）/ supervised processes (replicas)"
    )
    restarting: int | None = Field(default=None, ge=0, description="等待重启的进程数 / processes waiting to restart")
    restarts: int | None = Field(default=None, ge=0, description="自启动以来的重启次数 / restarts since `wushe up`")
    last_exit: str | None = Field(default=None, description="最近一次意外退出，如 signal 9 (SIGKILL) / the last crash")


class SystemStatus(BaseModel):
    status: Overall = Field(
        description="ok 正常；restarting 部分服务重启中；degraded 部分服务不可用 / "
        "ok; restarting: some process is being restarted; degraded: some service is not ready"
    )
    supervised: bool = Field(
        description="是否由 `wushe up` 的监督进程运行 / whether `wushe up`'s supervisor runs the stack"
    )
    checked_at: datetime
    services: list[ServiceStatus]
