"""The 数据看板 in headless Chromium (Debian's, driven by Playwright): the province's civil-affairs office
sees Hebei by city on an ECharts map, clicks 承德市 and gets its counties, changes the period, and
exports the figures as CSV and XLSX that equal what the page shows; a county office sees its place and
its townships; on a phone every chart text is at least 12 px; without the npm libraries the page shows
tables. No script error, no failed request, no raw area code on the page.

Needs are raised in 承德市 and 邢台市, which no other test writes to. Screenshots are kept under
test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from support.browser import needs_chromium, new_tab, personas_installed
from support.waiting import eventually, run_in_thread

from contracts.values import citizen_id_check_char
from services.gateway.console.console import VENDOR_FILES, vendor_root

pytestmark = needs_chromium

CHENGDE, XINGTAI = "130800", "130500"
SHUANGQIAO = "130802"  # 双桥区, 承德市
XIDAJIE = "130802001001"  # 西大街街道001号社区, 双桥区
SHUANGLUAN = "130803001001"  # a community of 双滦区, 承德市
NANCHANGJIE = "130502001001"  # a community of 南长街街道, 邢台市
PERSONAS = [
    {
        "id": "hebei-mz",
        "label_zh": "河北省民政厅 · 看板",
        "label_en": "Hebei civil affairs",
        "role": "civil_affairs",
        "area": "130000",
        "sub": "e2e-mz-hebei",
        "description_zh": "河北省民政厅：全省数据看板",
    },
    {
        "id": "shuangqiao-mz",
        "label_zh": "双桥区民政局",
        "label_en": "Shuangqiao civil affairs",
        "role": "civil_affairs",
        "area": SHUANGQIAO,
        "sub": "e2e-mz-shuangqiao",
        "description_zh": "承德市双桥区民政局：辖区数据看板",
    },
]
RAW_CODE = re.compile(r"(?<![0-9])13[0-9]{4}(?:[0-9]{3}){0,2}(?![0-9])")
MAP_READY = "[data-chart-box='map'][data-rendered='true']"


@pytest.fixture(scope="module")
def console(stack, settings) -> str:
    assert (vendor_root() / VENDOR_FILES["echarts.esm.min.js"]).is_file(), "先运行 / run first: make console-vendor"
    with personas_installed(settings, PERSONAS):
        stack.start("needs", "volunteers", "projects", "charity", "party", "exchange", "gateway")
        yield stack.url("gateway")


@pytest.fixture(scope="module")
def needs_raised(console, token):
    """Three needs in 双桥区 (one resolved), one in 双滦区, one in 邢台市."""
    return run_in_thread(_raise_needs(console, token))


async def _raise_needs(console, token):
    async with httpx.AsyncClient(base_url=f"{console}/api/v1", timeout=15) as api:
        ids = []
        for serial, community in enumerate([XIDAJIE, XIDAJIE, XIDAJIE, SHUANGLUAN, NANCHANGJIE]):
            worker = {"Authorization": f"Bearer {token('social_worker', community, f'e2e-sw-{community}')}"}
            base = f"{community[:6]}19520304{serial:03d}"
            need = {
                "area_code": community,
                "category": "meal_aid" if serial % 2 else "daily_care",
                "description": "老人行动不便，需要帮助",
                "resident": {
                    "name": "张大爷",
                    "phone": f"1390013{serial:04d}",
                    "citizen_id": base + citizen_id_check_char(base),
                },
            }
            created = await api.post("/needs", json=need, headers=worker)
            assert created.status_code == 201, created.text
            ids.append((created.json()["id"], worker))
        need_id, worker = ids[0]
        assessment = {
            "category": "daily_care",
            "urgency": "major",
            "service_plan": "转介民政救助",
            "route": "government_referral",
        }
        assert (await api.post(f"/needs/{need_id}/assessment", json=assessment, headers=worker)).status_code == 200
        resolved = await api.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": True}, headers=worker)
        assert resolved.status_code == 200, resolved.text
    return ids


def watch(c):
    """Every failed request the page makes (downloads of blob: URLs aside)."""
    failed: list[str] = []
    c.page.on("requestfailed", lambda r: not r.url.startswith("blob:") and failed.append(f"{r.url} {r.failure}"))
    c.page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    return failed


async def map_series(c) -> dict[str, float | None]:
    """The map's figures by region, as ECharts holds them (region names are area codes)."""
    return await c.page.evaluate(
        """async () => {
        const echarts = await import('/console/vendor/echarts.esm.min.js');
        const chart = echarts.getInstanceByDom(document.querySelector("[data-chart-box='map']"));
        // ECharts adds the regions without figures to the series: left out here
        const known = chart.getOption().series[0].data.filter((d) => d.value != null && !Number.isNaN(d.value));
        return Object.fromEntries(known.map((d) => [d.name, d.value]));
    }"""
    )


async def no_raw_codes(c) -> None:
    shown = await c.page.evaluate(
        """() => document.querySelector('#view').innerText + '\\n' +
        [...document.querySelectorAll('#view svg text')].map((t) => t.textContent).join('\\n')"""
    )
    assert not RAW_CODE.findall(shown), f"raw area codes on the page: {RAW_CODE.findall(shown)}"


async def table_rows(c, chart: str) -> list[list[str]]:
    return await c.page.evaluate(
        """(chart) => [...document.querySelectorAll(`[data-chart='${chart}'] details.chart-data tbody tr`)]
        .map((tr) => [...tr.children].map((td) => td.textContent.trim()))""",
        chart,
    )


async def downloaded(download, suffix: str) -> bytes:
    done = await download.value
    assert done.suggested_filename.endswith(suffix) and "承德市" in done.suggested_filename
    return Path(await done.path()).read_bytes()


def same(shown: str, exported) -> bool:
    """A cell as the page shows it ('1,234', '—') against the exported value."""
    shown = "" if shown == "—" else shown.replace(",", "")
    exported = "" if exported is None else str(exported)
    try:
        return float(shown) == float(exported)
    except ValueError:
        return shown == exported


def xlsx_sheets(blob: bytes) -> dict[str, list[list[str]]]:
    """The sheets of an XLSX (a zip of SpreadsheetML) by name, cells as text: read with the standard library."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.testzip() is None and "[Content_Types].xml" in z.namelist()
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
        rels = {
            r.get("Id"): r.get("Target")
            for r in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            if r.get("Target", "").startswith(("worksheets/", "/xl/worksheets/"))
        }
        out = {}
        for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns):
            target = rels[sheet.get(rel_ns)].removeprefix("/xl/")
            rows = []
            for row in ElementTree.fromstring(z.read(f"xl/{target}")).iter(f"{{{ns['m']}}}row"):
                cells: list[str] = []
                for cell in row.findall("m:c", ns):
                    kind, v = cell.get("t"), cell.find("m:v", ns)
                    column = 0
                    for letter in re.match(r"[A-Z]+", cell.get("r")).group():
                        column = column * 26 + ord(letter) - 64
                    cells += [""] * (column - 1 - len(cells))  # empty cells are left out of the file
                    if kind == "s":
                        cells.append(shared[int(v.text)])
                    elif kind == "inlineStr":
                        cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
                    else:
                        cells.append(v.text if v is not None else "")
                rows.append(cells)
            out[sheet.get("name")] = rows
        return out


async def test_the_province_drills_down_the_map_changes_the_period_and_exports(console, needs_raised, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    failed = watch(c)
    await c.sign_in("hebei-mz")
    await c.open("dashboard")
    await c.page.wait_for_selector(MAP_READY)
    await c.settled()
    regions = await c.page.locator("[data-chart-box='map'] svg path").count()
    assert regions >= 11, f"the map drew {regions} shapes"
    figures = await map_series(c)
    assert len(figures) == 11 and figures[CHENGDE] == 4 and figures[XINGTAI] == 1
    assert "承德市" in await c.text("[data-chart='child-ranking']")
    await no_raw_codes(c)

    # a click on 承德市 opens its dashboard with the map of its counties
    centroid = await c.page.evaluate(
        """async (code) => {
        const geo = await (await fetch('/console/vendor/maps/130000.json')).json();
        const f = geo.features.find((x) => String(x.properties.adcode) === code);
        const echarts = await import('/console/vendor/echarts.esm.min.js');
        const chart = echarts.getInstanceByDom(document.querySelector("[data-chart-box='map']"));
        return chart.convertToPixel({ seriesIndex: 0 }, f.properties.centroid);
    }""",
        CHENGDE,
    )
    box = await c.page.locator("[data-chart-box='map']").bounding_box()
    await c.page.mouse.move(box["x"] + centroid[0], box["y"] + centroid[1])
    tooltip = await c.text(".chart-tip:has-text('承德市')")  # drawn from elements: the CSP allows no inline styles
    assert "需求总数" in tooltip and "4" in tooltip
    await c.shot("dashboard-01-province")
    await c.page.mouse.click(box["x"] + centroid[0], box["y"] + centroid[1])
    await c.page.wait_for_selector(f"#dashboard[data-area='{CHENGDE}']")
    await c.page.wait_for_selector(MAP_READY)
    await c.settled()
    assert "承德市" in await c.text("h1")
    figures = await map_series(c)
    assert figures[SHUANGQIAO] == 3 and figures["130803"] == 1
    assert await c.page.locator("[data-chart-box='map'] svg path").count() >= 11
    assert "承德高新技术产业开发区" in await c.text("#map-unshaped")  # a functional zone: no shape, still counted

    # 季: the trends go by quarter, the map by this quarter's new needs
    await c.page.click("[data-period='quarter']")
    await c.page.wait_for_selector("#dashboard-body[data-period='quarter']")
    trend = await table_rows(c, "needs-trend")
    assert trend and all("季度" in row[0] for row in trend)
    await c.page.select_option("#map-indicator", "raised")
    await c.page.wait_for_selector("#dashboard-body[data-indicator='raised'] " + MAP_READY)
    assert (await map_series(c))[SHUANGQIAO] == 3
    assert "period=quarter" in c.page.url
    await c.settled()
    await no_raw_codes(c)
    await c.shot("dashboard-02-chengde-quarter")

    # the map's figures as CSV (a BOM, Chinese heads) and XLSX: the numbers the page shows
    shown = await table_rows(c, "map")
    async with c.page.expect_download() as download:
        await c.page.click("[data-chart='map'] [data-export='csv']")
    raw = await downloaded(download, ".csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[0] == "区域" and all(re.search(r"[\u4e00-\u9fff]", h) for h in header)
    assert "新登记需求（2" in "".join(header) and "季度" in "".join(header)
    assert len(rows) == len(shown) == 12
    for page_row, file_row in zip(shown, rows, strict=True):
        assert all(same(a, b) for a, b in zip(page_row, file_row, strict=True)), (page_row, file_row)
    async with c.page.expect_download() as download:
        await c.page.click("[data-chart='map'] [data-export='xlsx']")
    sheets = xlsx_sheets(await downloaded(download, ".xlsx"))
    (sheet,) = sheets.values()
    assert sheet[0] == header
    for file_row, sheet_row in zip(rows, sheet[1:], strict=True):
        assert all(
            same(a, b) for a, b in zip(file_row, sheet_row + [""] * (len(file_row) - len(sheet_row)), strict=True)
        )

    # every chart at once: one sheet each
    charts = await c.page.locator("[data-chart] .chart-actions").count()
    async with c.page.expect_download() as download:
        await c.page.click("#export-all")
    assert len(xlsx_sheets(await downloaded(download, ".xlsx"))) == charts >= 8
    c.check()
    assert failed == []


async def test_a_phone_shows_every_chart_text_at_12px_or_more(console, needs_raised, browser):
    c = await new_tab(
        browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    failed = watch(c)
    await c.sign_in("hebei-mz")
    await c.open("dashboard")
    await c.page.wait_for_selector(MAP_READY)
    await c.settled()

    async def all_drawn():  # polled from here: the page's CSP refuses Playwright's string predicates
        return await c.page.evaluate(
            "() => [...document.querySelectorAll('[data-chart-box]')].every((b) => b.dataset.rendered === 'true')"
        )

    await eventually(all_drawn, "every chart drawn")
    sizes = await c.page.evaluate(
        """async () => {
        const echarts = await import('/console/vendor/echarts.esm.min.js');
        const found = [];
        const walk = (o, path) => {
            if (Array.isArray(o)) o.forEach((x, i) => walk(x, `${path}[${i}]`));
            else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) {
                if (k === 'fontSize') found.push([path, v]); else walk(v, `${path}.${k}`);
            }
        };
        const boxes = [...document.querySelectorAll('[data-chart-box]')];
        for (const b of boxes) walk(echarts.getInstanceByDom(b).getOption(), b.dataset.chartBox);
        const drawn = [...document.querySelectorAll('#view svg text')].map((t) => parseFloat(getComputedStyle(t).fontSize));
        const html = [...document.querySelectorAll('#view *')].filter((el) => el.offsetParent !== null
            && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
            .map((el) => [el.tagName + '.' + el.className, parseFloat(getComputedStyle(el).fontSize)]);
        return { boxes: boxes.length, options: found, drawn, html };
    }"""
    )
    assert sizes["boxes"] >= 8 and sizes["options"] and sizes["drawn"]
    small = [o for o in sizes["options"] if isinstance(o[1], (int, float)) and o[1] < 12]
    assert small == [], f"chart options below 12 px: {small[:10]}"
    assert min(sizes["drawn"]) >= 12, f"drawn chart text below 12 px: {sorted(sizes['drawn'])[:5]}"
    tiny = [h for h in sizes["html"] if h[1] < 12]
    assert tiny == [], f"page text below 12 px: {tiny[:10]}"
    overflow = await c.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the dashboard is wider than the phone by {overflow}px"
    await no_raw_codes(c)
    await c.shot("dashboard-03-phone")
    c.check()
    assert failed == []


async def test_a_county_sees_its_place_its_townships_and_communities(console, needs_raised, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    failed = watch(c)
    await c.sign_in("shuangqiao-mz")
    await c.open("dashboard")
    await c.page.wait_for_selector(MAP_READY)
    await c.settled()
    assert "双桥区" in await c.text("h1")
    assert (await map_series(c)) == {SHUANGQIAO: 3}  # its own place among 承德市's counties, no one else's figures
    townships = {row[0]: row for row in await table_rows(c, "children")}
    assert townships["西大街街道"][1] == "3"
    assert "西大街街道001号社区" in await c.text("[data-chart='community-ranking']")
    assert "西大街街道" in await c.text("[data-chart='child-ranking']")
    await c.page.select_option("#area-child", label="西大街街道")
    await c.page.wait_for_selector("#dashboard[data-area='130802001']")
    await c.settled()
    await no_raw_codes(c)
    await c.open("dashboard")
    await c.page.wait_for_selector(MAP_READY)
    await c.settled()
    await c.shot("dashboard-04-county")
    c.check()
    assert failed == []


async def test_without_the_npm_libraries_the_figures_are_tables(console, needs_raised, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.page.route("**/console/vendor/**", lambda route: route.fulfill(status=404, body="not installed"))
    await c.sign_in("hebei-mz")
    await c.open("dashboard")
    await c.page.wait_for_selector("#charts-missing")
    await c.settled()
    assert await c.page.locator("[data-chart-box]").count() == 0
    rows = {row[0]: row for row in await table_rows(c, "map")}
    assert rows["承德市"][1] == "4"
    assert await c.page.locator("[data-chart='needs-by-category'] details.chart-data[open] tbody tr").count() >= 1
    await no_raw_codes(c)
    await c.shot("dashboard-05-tables-only")
    c.check()


async def test_the_figures_below_stay_within_the_callers_area(console, needs_raised, token):
    """GET /views/dashboard/children: each area directly under the one asked, by name, with its sections."""
    province = {"Authorization": f"Bearer {token('civil_affairs', '130000', 'e2e-mz-hebei')}"}
    county = {"Authorization": f"Bearer {token('civil_affairs', SHUANGQIAO, 'e2e-mz-shuangqiao')}"}
    async with httpx.AsyncClient(base_url=f"{console}/api/v1/views", timeout=15) as gw:
        chengde = (await gw.get("/dashboard/children", headers=province, params={"area": CHENGDE})).json()
        below = {c["area_code"]: c for c in chengde["children"]}
        assert chengde["area_name"] == "承德市" and len(below) == 12 and below[SHUANGQIAO]["area_name"] == "双桥区"
        assert below[SHUANGQIAO]["needs"]["data"]["total"] == 3
        assert sum(m["raised"] for m in below[SHUANGQIAO]["needs_trend"]["data"]) == 3
        assert below[SHUANGQIAO]["linkage"]["status"] == "available"
        assert "communities" not in below[SHUANGQIAO]["linkage"]["data"]  # the parent's linkage view lists them
        assert (await gw.get("/dashboard/children", headers=county, params={"area": CHENGDE})).status_code == 403
        mine = (await gw.get("/dashboard/children", headers=county)).json()
        assert mine["area_code"] == SHUANGQIAO and {c["level"] for c in mine["children"]} == {"township"}
        street = (await gw.get("/dashboard/children", headers=county, params={"area": "130802001"})).json()
        assert street["children"] == []
        refused = await gw.get("/dashboard/children", headers=province, params={"area": CHENGDE, "months": 37})
        assert refused.status_code == 422
