"""The console's routes on the gateway: the page and its files, the code lists, and the development
sign-in, which issues tokens the services accept and exists only with the local dev issuer."""

from __future__ import annotations

import json

import httpx
import pytest
from support.stack import Stack

COMMUNITY = "130102014001"  # a community of 建安街道, 长安区


@pytest.fixture(scope="module")
def gateway(stack) -> str:
    stack.start("needs", "gateway")
    return stack.url("gateway")


@pytest.fixture
async def client(gateway):
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as c:
        yield c


async def test_the_page_and_its_files(client):
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "/console/js/app.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = await client.get("/console/js/app.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/console/css/console.css")).headers["content-type"].startswith("text/css")
    for path in ("/console/../console.py", "/console/%2e%2e/console.py", "/console/nothing.js", "/console/js"):
        missing = await client.get(path)
        assert missing.status_code == 404, path


async def test_code_lists_and_areas_need_no_login(client):
    labels = (await client.get("/console/data/labels")).json()
    assert labels["urgency"]["urgent"] == {"zh": "紧急", "en": "Urgent"}
    assert labels["need_category"]["meal_aid"]["zh"] == "助餐"
    area = (await client.get("/console/data/areas/130102")).json()
    assert area["name"] == "长安区" and [a["code"] for a in area["path"]] == ["130000", "130100", "130102"]
    assert {"code": "130102014", "name": "建安街道", "level": "township"} in area["children"]
    community = (await client.get(f"/console/data/areas/{COMMUNITY}")).json()
    assert community["level"] == "community" and community["children"] == []
    unknown = await client.get("/console/data/areas/999999")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "code"


async def test_each_service_serves_its_own_code_lists(client, stack):
    """The console translates no service code itself: the gateway passes each service's own lists on."""
    stack.start("projects")
    labels = (await client.get("/console/data/labels")).json()
    assert labels["need_status"]["disputed"] == {"zh": "调处中", "en": "In mediation"}  # the needs service's words
    assert labels["project_status"]["published"]["zh"] == "招标中"  # the projects service's
    assert labels["grade"]["basic"]["zh"] == "基本合格" and labels["legal_type"]["foundation"]["zh"] == "基金会"
    assert labels["section_status"]["forbidden"]["zh"] == "无权查看"  # the gateway's own views
    assert list(labels["linkage_actor"]) == ["community", "volunteers", "projects", "charity", "party"]


async def test_built_in_personas_sign_in_with_tokens_the_services_accept(client):
    personas = (await client.get("/api/v1/dev/personas")).json()
    by_id = {p["id"]: p for p in personas}
    assert {"social_worker", "grid_worker", "party_secretary", "charity_admin", "auditor"} <= set(by_id)
    assert by_id["social_worker"]["role"] == "social_worker" and by_id["social_worker"]["area"] == "130102001001"
    assert {p["area"] for p in personas if p["role"] == "civil_affairs"} == {"130102", "130100", "130000"}

    signed = await client.post("/api/v1/dev/sign-in", json={"persona": "social_worker"})
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["persona"] == by_id["social_worker"]
    bearer = {"Authorization": f"Bearer {body['token']}"}
    library = await client.get("/api/v1/needs", headers=bearer)  # verified again by the needs service
    assert library.status_code == 200 and "items" in library.json()
    # the token is the persona's: a community worker may not read another community
    assert (await client.get("/api/v1/needs", params={"area": "130102002001"}, headers=bearer)).status_code == 403

    unknown = await client.post("/api/v1/dev/sign-in", json={"persona": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "persona"
    assert (await client.post("/api/v1/dev/sign-in", json={})).status_code == 422


async def test_personas_come_from_the_demo_loaders_file(client, settings):
    file = settings.path("demo", "personas.json")
    saved = file.read_bytes() if file.exists() else None
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(
        json.dumps(
            [
                {
                    "id": "jianan-sw",
                    "label_zh": "建安社工",
                    "label_en": "Jian'an social worker",
                    "role": "social_worker",
                    "area": COMMUNITY,
                    "sub": "demo-sw-jianan",
                    "description_zh": "建安街道的社工",
                },
                {
                    "id": "broken",
                    "label_zh": "无效",
                    "label_en": "Invalid",
                    "role": "emperor",
                    "area": COMMUNITY,
                    "sub": "x",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    try:
        personas = (await client.get("/api/v1/dev/personas")).json()
        assert [p["id"] for p in personas] == ["jianan-sw"]  # the invalid entry is left out
        signed = (await client.post("/api/v1/dev/sign-in", json={"persona": "jianan-sw"})).json()
        bearer = {"Authorization": f"Bearer {signed['token']}"}
        assert (await client.get("/api/v1/needs", params={"area": COMMUNITY}, headers=bearer)).status_code == 200
        assert (await client.post("/api/v1/dev/sign-in", json={"persona": "social_worker"})).status_code == 422
    finally:
        if saved is None:
            file.unlink()
        else:
            file.write_bytes(saved)


@pytest.mark.parametrize(
    "env",
    [{"WUSHE_JWT_ISSUER": "https://idp.hebei.example/realms/wushe"}, {"WUSHE_DEV_SIGN_IN": "false"}],
    ids=["other-issuer", "switched-off"],
)
async def test_dev_sign_in_is_404_outside_development(settings, env):
    other = Stack(settings, **env)
    try:
        other.start("gateway")
        async with httpx.AsyncClient(base_url=other.url("gateway"), timeout=10) as c:
            assert (await c.get("/api/v1/dev/personas")).status_code == 404
            refused = await c.post("/api/v1/dev/sign-in", json={"persona": "social_worker"})
            assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
            assert (await c.get("/")).status_code == 200  # the console itself is still served
    finally:
        other.stop_all()
