"""Stages 5 and 6: the residents, with their consent, and their needs — a year of ended ones
migrated from an earlier system (deploy/demo/history.py), today's raised, assessed, routed; and the
need's end that every service shares (the resident confirms it is met, then judges it)."""

from __future__ import annotations

from datetime import timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, Unknown, Who, iso
from deploy.demo.history import HISTORY_BATCH, history
from deploy.demo.plan import Need


class Needs(Client):
    # 5 --- residents, with their consent ---------------------------------------------------------------------------
    async def residents(self) -> None:
        plan = self.plan
        adults = [i for i, p in enumerate(plan.residents) if p.guardian is None]
        minors = [i for i, p in enumerate(plan.residents) if p.guardian is not None]
        await self.gather(*(self.flow(f"居民 {plan.residents[i].name}", self.register_resident(i)) for i in adults))
        await self.gather(*(self.flow(f"居民 {plan.residents[i].name}", self.register_resident(i)) for i in minors))

    async def register_resident(self, index: int) -> None:
        p = self.plan.residents[index]
        consent = {"purpose": "需求服务与回访", "given_at": iso(self.anchor - timedelta(days=40 + index % 200))}
        body = {
            "name": p.name,
            "citizen_id": p.citizen_id,
            "phone": p.phone,
            "area_code": p.area_code,
            "address": p.address,
            "tags": p.tags,
            "disability_grade": p.disability_grade,
        }
        if p.guardian is not None:
            body["guardian_id"] = self.need_field(f"resident:{p.guardian}")
            consent["given_by_guardian"] = True
        body["consent"] = consent
        await self.create(f"resident:{index}", "/residents", self.sw(p.area_code), body)

    # 6 --- needs: raised, assessed, routed ------------------------------------------------------------------------
    async def needs(self) -> None:
        needs = self.plan.needs
        await self.flow("历史需求 / a year of history", self.migrate_history())
        await self.gather(*(self.flow(f"需求 {n.index}", self.raise_need(n)) for n in needs))
        await self.flow("居民自主上报 / self-report", self.self_report())
        await self.gather(*(self.flow(f"需求 {n.index}", self.assess(n)) for n in needs if n.route))

    async def migrate_history(self) -> None:
        """The ended needs of the year before, each county's by its records migrator, in batches."""
        records = history(self.plan.residents, self.anchor)
        for county in (D.URBAN_COUNTY, D.RURAL_COUNTY):
            theirs = [r for r in records if r["area_code"].startswith(county)]
            who = ("migrator", county, f"migration-{county}")
            for start in range(0, len(theirs), HISTORY_BATCH):
                batch = {"needs": theirs[start : start + HISTORY_BATCH]}
                await self.step(f"history:{county}:{start}", "/needs/history", who, batch)
        self.say(f"  已迁移此前一年已结束的需求 {len(records)} 条 / {len(records)} ended needs of the year before")

    def need_body(self, n: Need) -> dict:
        p = self.plan.residents[n.resident]
        body = {
            "area_code": n.area,
            "category": n.category,
            "urgency": n.urgency,
            "channel": n.channel,
            "description": n.description,
            "required_skills": [D.CATEGORY_SKILL[n.category]],
            "target_groups": n.groups,
            "resident": {"name": p.name, "phone": p.phone, "citizen_id": p.citizen_id},
        }
        if n.window:
            body["time_window"] = n.window
        return body

    async def raise_need(self, n: Need) -> None:
        who = self.grid(n.area) if n.channel == "grid_survey" else self.sw(n.area)
        await self.create(f"need:{n.index}", "/needs", who, self.need_body(n), idem=True)

    async def self_report(self) -> None:
        """The resident of the persona raises a need of their own (居民自主上报)."""
        resident = self.plan.persona_resident
        who = self.resident_token(resident)
        if who is None:
            raise Unknown("persona resident")
        p = self.plan.residents[resident]
        await self.create(
            "need:self_report",
            "/needs",
            who,
            {
                "area_code": p.area_code,
                "category": "recreation",
                "channel": "self_report",
                "description": "想参加社区老年合唱团，希望社区组织活动",
                "required_skills": ["文艺表演"],
                "target_groups": p.tags,
                "resident": {"name": p.name, "phone": p.phone, "citizen_id": p.citizen_id},
            },
            idem=True,
        )

    async def assess(self, n: Need) -> None:
        await self.step(
            f"assess:{n.index}",
            f"/needs/{self.need_field(f'need:{n.index}')}/assessment",
            self.sw(n.area),
            {"category": n.category, "urgency": n.urgency, "service_plan": D.SERVICE_PLANS[n.route], "route": n.route},
        )

    # --- the need's status, and its end ----------------------------------------------------------------------
    async def need_status(self, need_id: str, who: Who) -> str:
        return (await self.get(f"/needs/{need_id}", who))["need"]["status"]

    async def wait_status(self, need_id: str, who: Who, statuses: set[str]) -> None:
        async def check():
            return await self.need_status(need_id, who) in statuses

        await self.until(f"需求 {need_id} → {'/'.join(sorted(statuses))}", check)

    async def close_need(self, n: Need, need_id: str) -> None:
        """The resident (or a worker for them) confirms the need is met, then judges the service."""
        i, resident = n.index, (self.resident_token(n.resident) if n.by_resident else None)
        who = resident or self.sw(n.area)
        await self.step(
            f"resolve:{i}",
            f"/needs/{need_id}/resolution",
            who,
            {"on_behalf_of_resident": resident is None, "note": "" if resident else "电话回访，居民确认已解决"},
        )
        if n.satisfaction is None or n.fate == "resolved":
            return
        comments = D.FEEDBACK[n.satisfaction]
        comment = comments[i % len(comments)]
        await self.step(
            f"feedback:{i}", f"/needs/{need_id}/feedback", who, {"satisfaction": n.satisfaction, "comment": comment}
        )
