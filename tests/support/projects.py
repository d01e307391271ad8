"""Test helpers for flows through the project library (through the gateway)."""

from __future__ import annotations

from support.waiting import eventually


def project_body(
    fund_id: str,
    community: str,
    budget: int,
    *,
    need_ids=(),
    vital: bool = False,
    title: str = "社区居家养老服务项目",
    months: int = 12,
) -> dict:
    """A project of `budget` fen for `community`, funded whole from one fund by government purchase."""
    return {
        "area_code": community,
        "title": title,
        "service_content": "为辖区高龄、独居老人提供助餐、助浴、探访服务",
        "indicators": [{"name": "服务老人人次", "target": "不少于 300 人次"}],
        "budget_fen": budget,
        "funding": [{"source": "government_purchase", "fund_id": fund_id, "amount_fen": budget}],
        "need_ids": list(need_ids),
        "duration_months": months,
        "vital_interests": vital,
    }


async def status_becomes(client, headers: dict, project_id: str, status: str) -> dict:
    """The project, once it has reached `status`."""

    async def check():
        project = (await client.get(f"/projects/{project_id}", headers=headers)).json()
        return project if project.get("status") == status else None

    return await eventually(check, f"project {project_id} to become {status}")
