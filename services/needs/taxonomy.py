"""The configurable need taxonomy: the standard categories plus ones added locally."""

from __future__ import annotations

import time

import asyncpg

from contracts.api.needs import CategoryIn, CategoryView
from contracts.taxonomy import NeedCategory
from kit.auth import Principal
from kit.problems import Problem
from kit.uow import UnitOfWork


class Taxonomy:
    """Categories live in the database; each replica keeps them for `ttl_s` seconds."""

    def __init__(self, pool: asyncpg.Pool, ttl_s: float = 30.0) -> None:
        self.pool, self.ttl_s = pool, ttl_s
        self._cached: dict[str, CategoryView] = {}
        self._loaded_at = float("-inf")

    async def seed(self) -> None:
        await self.pool.executemany(
            "INSERT INTO categories (code, zh, en, added_by) VALUES ($1, $2, $3, 'standard') ON CONFLICT DO NOTHING",
            [(c.value, c.zh, c.en) for c in NeedCategory],
        )

    async def all(self) -> dict[str, CategoryView]:
        if time.monotonic() - self._loaded_at > self.ttl_s:
            rows = await self.pool.fetch("SELECT code, zh, en, active FROM categories ORDER BY added_at, code")
            self._cached = {r["code"]: CategoryView(**dict(r)) for r in rows}
            self._loaded_at = time.monotonic()
        return self._cached

    async def labels(self) -> dict[str, str]:
        return {code: c.zh for code, c in (await self.all()).items()}

    async def require(self, code: str, field: str = "category") -> None:
        """A need's category must be an active one."""
        category = (await self.all()).get(code)
        if category is None or not category.active:
            self._loaded_at = float("-inf")  # maybe added on another replica: look again once
            category = (await self.all()).get(code)
        if category is None or not category.active:
            message = f"未知或已停用的需求类别 / unknown or inactive category: {code}"
            raise Problem(
                422,
                "请求参数无效 / Invalid request",
                message,
                errors=[{"field": field, "message": message, "type": "category"}],
            )

    async def add(self, who: Principal, body: CategoryIn) -> CategoryView:
        async with UnitOfWork(self.pool) as uow:
            added = await uow.conn.fetchval(
                "INSERT INTO categories (code, zh, en, added_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
                body.code,
                body.zh,
                body.en,
                who.sub,
            )
            if not added:
                raise Problem(
                    409,
                    "类别已存在 / Category exists",
                    f"类别代码已存在 / code exists: {body.code}",
                    errors=[{"field": "code", "message": "exists", "type": "duplicate"}],
                )
        self._loaded_at = float("-inf")
        return CategoryView(code=body.code, zh=body.zh, en=body.en, active=True)
