"""Stage 4: the party organizations of the communities and of a social organization, their committees,
the party members who report to their community, and the responsible units."""

from __future__ import annotations

from deploy.demo import data as D
from deploy.demo.client import Client


class Party(Client):
    # 4 --- party organizations, committees, members, responsible units ---------------------------------------
    async def party(self) -> None:
        await self.gather(
            *(self.flow(f"{D.area_name(c)}党组织", self.party_community(c)) for c in D.COMMUNITIES),
            self.flow("社会组织党支部", self.party_in_social_org()),
        )

    async def party_community(self, area: str) -> None:
        org = await self.party_org(area)
        await self.committee(area, org)
        await self.members_report(area, org)
        await self.responsible_units(area)

    async def party_org(self, area: str) -> dict:
        sj, rural = self.sj(area), area.startswith(D.RURAL_COUNTY)
        name = f"{D.area_name(area)}{'党支部' if rural else '党委'}"

        async def lookup():
            return next(
                (o for o in await self.get("/party-organizations", sj, {"area": area}) if o["name"] == name), None
            )

        return await self.create(
            f"party-org:{area}",
            "/party-organizations",
            sj,
            {"name": name, "kind": "branch" if rural else "committee", "area_code": area},
            lookup=lookup,
        )

    async def committee(self, area: str, org: dict) -> None:
        """The committee's members, each in their seat (part-time seats for the other actors)."""
        sj = self.sj(area)
        for k, (person, position, actor) in enumerate(self.plan.committees[area]):
            member = await self.create(
                f"party-member:{area}:{k}",
                "/party-members",
                sj,
                {
                    "org_id": org["id"],
                    "name": person.name,
                    "phone": person.phone,
                    "citizen_id": person.citizen_id,
                    "area_code": area,
                    "in_service": actor is not None,
                    "skills": ["矛盾调解", "政策宣传"],
                    "employer": dict(D.PART_TIME).get(actor, "") if actor else "",
                    "account": D.party_secretary(area) if position == "secretary" else None,
                },
            )
            await self.step(
                f"seat:{area}:{k}",
                f"/party-organizations/{org['id']}/committee",
                sj,
                {
                    "member_id": member["id"],
                    "position": position,
                    "part_time": actor is not None,
                    "from_actor": actor,
                    "since": f"{self.year - 1}-01-01",
                },
            )

    async def members_report(self, area: str, org: dict) -> None:
        """In-service party members who volunteer register with their community (在职党员到社区报到)."""
        sj = self.sj(area)
        posts = ["助老服务岗", "矛盾调解岗", "政策宣传岗", "环境整治岗", "应急处置岗"]
        for v in self.plan.volunteers_of(area):
            if not v.party_member or not self.j.get(f"volunteer:{v.index}"):
                continue
            await self.create(
                f"party-member:volunteer:{v.index}",
                "/party-members",
                sj,
                {
                    "org_id": org["id"],
                    "name": v.person.name,
                    "phone": v.person.phone,
                    "citizen_id": v.person.citizen_id,
                    "area_code": area,
                    "in_service": bool(v.employer),
                    "employer": v.employer,
                    "skills": v.skills,
                    "preferred_posts": posts[v.index % len(posts) :][:2],
                    "volunteer_id": self.need_field(f"volunteer:{v.index}"),
                    "account": self.need_field(f"volunteer:{v.index}", "volunteer_ref"),
                },
            )

    async def responsible_units(self, area: str) -> None:
        sj = self.sj(area)
        for k, (unit, categories) in enumerate(D.UNITS.get(area, [])):

            async def find(unit=unit):
                return next(
                    (u for u in await self.get("/responsible-units", sj, {"area": area}) if u["name"] == unit), None
                )

            await self.create(
                f"unit:{area}:{k}",
                "/responsible-units",
                self.sw(area),
                {
                    "area_code": area,
                    "name": unit,
                    "categories": categories,
                    "contact": f"0311-8{6012345 + k * 1111:07d}",
                    "account": f"unit-{area}-{k}",
                },
                lookup=find,
            )

    async def party_in_social_org(self) -> None:
        sj = ("party_secretary", D.URBAN_COUNTY, "sj-changan-liangxin")  # 区委社会工作部 for the 两新 organizations
        uscc = self.uscc("leling")

        async def lookup():
            return next(
                (
                    o
                    for o in await self.get("/party-organizations", sj, {"area": D.URBAN_COUNTY})
                    if o["host_uscc"] == uscc
                ),
                None,
            )

        await self.create(
            "party-org:leling",
            "/party-organizations",
            sj,
            {
                "name": "长安区乐龄社会工作服务中心党支部",
                "kind": "branch",
                "area_code": D.URBAN_COUNTY,
                "host_kind": "social_org",
                "host_uscc": uscc,
            },
            lookup=lookup,
        )
