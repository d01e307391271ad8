"""Shared by the browser tests: Debian's chromium driven by Playwright (no browser downloads),
one tab per test that fails on any script error, screenshots kept as test artifacts. Playwright is
imported only by the `browser` fixture, so the tests beside a browser test run without it."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("WUSHE_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="没有 Chromium / no Chromium executable: install Debian's package with "
    "`apt install chromium` (or set WUSHE_CHROMIUM); Playwright downloads no browser here",
)

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class Console:
    """One browser tab on the console, failing the test on any script error."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base, self.errors = page, base, []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: msg.type == "error" and not expected_failure(msg.text) and self.errors.append(msg.text),
        )
        page.set_default_timeout(15_000)

    async def open(self, hash_: str) -> None:
        await self.page.goto(f"{self.base}/#/{hash_}")

    async def sign_in(self, persona: str = "jianan-sw") -> None:
        await self.open("sign-in")
        await self.page.click(f"button[data-persona='{persona}']")
        await self.page.wait_for_selector("#sign-out")

    async def settled(self) -> None:
        """Every card that loads on its own has answered."""
        await self.page.wait_for_selector("#view .loading", state="detached")

    async def shot(self, name: str) -> None:
        await self.settled()
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    async def text(self, selector: str) -> str:
        return (await self.page.inner_text(selector)).strip()

    def check(self) -> None:
        assert self.errors == [], f"the console's scripts failed: {self.errors}"


def expected_failure(text: str) -> bool:
    # the browser logs every 4xx answer as a failed resource load: the console shows those itself
    return bool(re.search(r"status of (401|403|404|409|422)", text))


async def new_tab(browser, base: str, **options) -> Console:
    context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    return Console(await context.new_page(), base)


@contextmanager
def personas_installed(settings, personas: list[dict]) -> Iterator[None]:
    """The dev sign-in offers these personas (the demo's personas.json) while the block runs, and
    the file is put back as it was after; screenshots have their folder."""
    file = settings.path("demo", "personas.json")
    saved = file.read_bytes() if file.exists() else None
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(personas, ensure_ascii=False), encoding="utf-8")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        if saved is None:
            file.unlink(missing_ok=True)
        else:
            file.write_bytes(saved)
