"""Stage 3: volunteers and social workers, the community facilities and their stations, the teams."""

from __future__ import annotations

from datetime import timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, iso


class Volunteers(Client):
    # 3 --- volunteers, facilities, stations, teams -------------------------------------------------------------------
    async def volunteers(self) -> None:
        plan = self.plan
        persona = plan.volunteers[plan.persona_volunteer]
        await self.flow("志愿者 / volunteer", self.register_volunteer(persona.index))
        await self.gather(
            *(
                self.flow(f"志愿者 {v.person.name}", self.register_volunteer(v.index))
                for v in plan.volunteers
                if v.index != persona.index
            )
        )
        stations = [c for c in D.COMMUNITIES if c not in ("130102007002", "130125102200")]  # 8 of 10 facilities
        await self.gather(
            *(self.flow(f"{D.area_name(c)}服务设施", self.facility(c, c in stations)) for c in D.COMMUNITIES)
        )
        await self.gather(*(self.flow(f"志愿服务队 {street}", self.team(street)) for street in D.STREETS))

    async def register_volunteer(self, index: int) -> None:
        v = self.plan.volunteers[index]
        p = v.person
        body = {
            "name": p.name,
            "citizen_id": p.citizen_id,
            "phone": p.phone,
            "area_code": v.area,
            "skills": v.skills,
            "service_areas": v.service_areas,
            "availability": v.availability,
            "party_member": v.party_member,
        }
        if v.level:
            body["social_worker"] = {
                "level": v.level,
                "certificate_no": f"{self.year - 3 + index % 3}{13010200 + index:08d}",
            }
        if v.guardian:
            body["guardian_consent"] = {**v.guardian, "given_at": iso(self.anchor - timedelta(days=30))}
        await self.create(f"volunteer:{index}", "/volunteers", self.sw(v.area), body)

    async def facility(self, area: str, with_station: bool) -> None:
        facility = await self.create(
            f"facility:{area}",
            "/facilities",
            self.sw(area),
            {"area_code": area, "name": f"{D.area_name(area)}综合服务中心"},
        )
        if with_station:
            kind = "新时代文明实践站" if area.startswith(D.RURAL_COUNTY) else "学雷锋志愿服务站"
            await self.create(
                f"vstation:{area}",
                "/stations",
                self.sw(area),
                {"facility_id": facility["id"], "name": f"{D.area_name(area)}{kind}"},
            )

    async def team(self, street: str) -> None:
        people = self.plan.volunteers_of(street)
        supervisor = next(v for v in people if v.level)
        members = [v for v in people if v is not supervisor and self.j.get(f"volunteer:{v.index}")]
        station = self.j.get(f"vstation:{D.STREETS[street][0]}")
        sw = self.sw(street)
        team = await self.create(
            f"team:{street}",
            "/teams",
            sw,
            {
                "name": D.TEAMS[street],
                "area_code": street,
                "station_id": station["id"] if station else None,
                "supervisor_id": self.need_field(f"volunteer:{supervisor.index}"),
                "member_ids": [self.need_field(f"volunteer:{v.index}") for v in members],
            },
        )
        course = D.COURSES[list(D.TEAMS).index(street) % len(D.COURSES)]
        await self.create(
            f"training:{street}",
            f"/teams/{team['id']}/trainings",
            sw,
            {
                "course": course,
                "held_on": (self.today - timedelta(days=20)).isoformat(),
                "attendee_ids": [self.need_field(f"volunteer:{v.index}") for v in members[:8]],
            },
        )
        await self.create(
            f"supervision:{street}",
            f"/teams/{team['id']}/supervisions",
            self.volunteer_token(supervisor.index),
            {
                "held_at": iso(self.anchor - timedelta(days=10)),
                "notes": "复盘近期入户服务，讨论独居老人沟通技巧与安全注意事项",
            },
        )
