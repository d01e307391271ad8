"""Demo data (演示数据): a realistic Hebei demo — 长安区 and the rural 行唐县 — loaded through the
public API (the gateway, with development tokens), so that every event really flows between the
services and every console page has something true to show.

`wushe up` loads it once, after the services are ready (WUSHE_DEMO=false skips it); `wushe demo`
loads it into a running stack. Completion is recorded in $WUSHE_HOME/demo/loaded. Every object
created is written to $WUSHE_HOME/demo/journal.json as it is created, so a run that was
interrupted starts again from the top and only sends what is missing; objects the journal does not
know are recognised by the services (409, or the same Idempotency-Key) and looked up where a later
step needs their id. The story itself (who, where, which need goes which way) is deploy/demo/plan.py,
the names, places and texts deploy/demo/data.py.

The requests and the journal are deploy/demo/client.py; the stages, one mixin class each, are
deploy/demo/stages/, composed here into Demo."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from deploy.demo import data as D
from deploy.demo.client import CONCURRENCY, AlreadyThere, Interrupted, Journal, loaded_marker
from deploy.demo.stages.exchanges import Exchanges
from deploy.demo.stages.meeting import JointMeeting
from deploy.demo.stages.needs import Needs
from deploy.demo.stages.party import Party
from deploy.demo.stages.party_work import PartyWork
from deploy.demo.stages.personas import Personas
from deploy.demo.stages.projects import Projects
from deploy.demo.stages.registry import Registry
from deploy.demo.stages.services import Services
from deploy.demo.stages.venture import Venture
from deploy.demo.stages.volunteers import Volunteers
from kit.settings import Settings

__all__ = ["STAGES", "Demo", "Journal", "load", "load_demo", "loaded_marker"]

STAGES = (
    ("登记机关", "registry"),
    ("资金与捐赠", "funds and donations"),
    ("志愿者与社工", "volunteers"),
    ("党组织与党员", "party"),
    ("居民", "residents"),
    ("居民需求", "needs"),
    ("服务与项目", "services and projects"),
    ("吹哨、心愿与联席会议", "whistles, wishes, joint meeting"),
    ("时间银行与爱心超市", "time bank and love supermarket"),
)


class Demo(
    Registry, Volunteers, Party, Needs, Services, Projects, Venture, PartyWork, JointMeeting, Exchanges, Personas
):
    """The whole demo: the client (deploy/demo/client.py) and every stage's mixin."""

    async def run(self, force: bool = False) -> None:
        if self.j.fresh and not force:
            uscc = self.uscc("hub_changan")
            if await self.get(f"/organizations/{uscc}", self.mz(D.URBAN_COUNTY), missing_ok=True):
                raise AlreadyThere()
        stages = (
            self.registry,
            self.funds,
            self.volunteers,
            self.party,
            self.residents,
            self.needs,
            self.services,
            self.party_work,
            self.exchanges,
        )
        for n, ((zh, en), stage) in enumerate(zip(STAGES, stages, strict=False), 1):
            self.say(f"正在载入演示数据 / loading demo data: {n}/{len(STAGES)} {zh} / {en} …")
            await stage()
            self.j.save(force=True)


async def load(
    settings: Settings,
    should_stop: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = lambda s: print(s, flush=True),
    force: bool = False,
) -> Demo:
    journal = Journal(settings.path("demo", "journal.json"))
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=CONCURRENCY + 8)) as session:
        demo = Demo(settings, session, journal, should_stop, say)
        try:
            await demo.run(force)
        finally:
            journal.save(force=True)
        demo.write_personas()
        demo.summary_text = await demo.summary()
    return demo


def load_demo(settings: Settings, should_stop: Callable[[], bool] = lambda: False, *, force: bool = False) -> bool:
    """Load the demo unless it is loaded already. True when the demo is there (loaded now or before);
    False when it was interrupted or failed (the next start tries again)."""
    marker = loaded_marker(settings)
    if marker.exists() and not force:
        print(f"演示数据已载入 / demo data already loaded ({marker}; WUSHE_DEMO=false 关闭 / turns it off)", flush=True)
        return True
    started = time.monotonic()
    try:
        demo = asyncio.run(load(settings, should_stop, force=force))
    except AlreadyThere:
        print(
            f"演示数据已在数据库中，但其记录 {settings.path('demo', 'journal.json')} 已不在：不再重复载入；"
            f"`wushe demo --force` 可强制再载一遍（没有自然键的对象如资金账户、捐赠会重复）/ the demo data is in the "
            f"database but its journal is gone: not loading it again (`wushe demo --force` would, duplicating objects "
            f"without a natural key such as funds and donations)",
            flush=True,
        )
        return True
    except Interrupted:
        print(
            "演示数据载入已中断，下次启动时继续 / demo loading interrupted; the next start goes on with it", flush=True
        )
        return False
    except Exception as exc:  # noqa: BLE001 - the stack keeps running without the demo; the log has the details
        _failed(settings, exc)
        return False
    _loaded(settings, marker, demo, started)
    return True


def _failed(settings: Settings, exc: Exception) -> None:
    """The traceback to $WUSHE_HOME/log/demo.log (called while `exc` is being handled), a line to the console."""
    log = settings.path("log", "demo.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"--- {datetime.now(UTC).isoformat()}\n{traceback.format_exc()}\n")
    print(
        f"演示数据未能载入 / demo data could not be loaded: {exc!r} (see {log}); "
        f"下次启动或 `wushe demo` 时重试 / retried at the next start or by `wushe demo`",
        flush=True,
    )


def _loaded(settings: Settings, marker: Path, demo: Demo, started: float) -> None:
    """Record completion in the marker, and say what was loaded and where the personas are."""
    elapsed = time.monotonic() - started
    if demo.warnings:
        print(f"演示数据有 {len(demo.warnings)} 处跳过 / {len(demo.warnings)} parts skipped (see above)", flush=True)
    marker.write_text(f"{datetime.now(UTC).isoformat()} {demo.requests} requests {elapsed:.1f}s\n", encoding="utf-8")
    print(
        f"演示数据已载入 / demo data loaded in {elapsed:.0f} s ({demo.requests} 个请求 / requests): {demo.summary_text}",
        flush=True,
    )
    print(f"开发登录身份 / sign-in personas: {settings.path('demo', 'personas.json')}", flush=True)
