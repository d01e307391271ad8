"""After the stages: the console's development sign-in personas ($WUSHE_HOME/demo/personas.json),
and the summary line of what the demo loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

from deploy.demo import data as D
from deploy.demo.client import Client
from deploy.demo.plan import PERSONA_IDS, sign_in_personas


class Personas(Client):
    # --- personas for the console's development sign-in -------------------------------------------------
    def personas(self) -> list[dict]:
        plan = self.plan
        volunteer = plan.volunteers[plan.persona_volunteer]
        volunteer_ref = (self.j.get(f"volunteer:{volunteer.index}") or {}).get("volunteer_ref")
        resident_ref = (self.j.get(f"resident:{plan.persona_resident}") or {}).get("resident_ref")
        return sign_in_personas(plan, volunteer_ref, resident_ref)

    def write_personas(self) -> Path:
        path = self.settings.path("demo", "personas.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        personas = self.personas()
        try:  # a persona whose login this run could not learn keeps the one an earlier run wrote
            earlier = {p["id"]: p for p in json.loads(path.read_text(encoding="utf-8"))} if path.exists() else {}
        except (OSError, ValueError, TypeError, KeyError):
            earlier = {}
        known = {p["id"] for p in personas}
        personas += [p for pid, p in earlier.items() if pid not in known and pid in PERSONA_IDS]
        personas.sort(key=lambda p: PERSONA_IDS.index(p["id"]))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(personas, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    async def summary(self) -> str:
        city = self.mz(D.CITY)
        needs = await self.get("/needs/stats", city, {"area": D.CITY})
        volunteers = await self.get("/volunteers/stats", city, {"area": D.CITY})
        organizations = await self.get("/organizations/stats", city, {"area": D.CITY})
        projects = await self.get("/projects", city, {"area": D.CITY})
        showcase = await self.get("/public/showcase", None)
        return (
            f"居民 {len(self.j.keys('resident:'))}，需求 {needs['total']}，志愿者 {volunteers['registered']}"
            f"（社工 {sum(volunteers['social_workers_by_level'].values())}），社会组织 {organizations['organizations']}，"
            f"项目 {len(projects)}，优秀项目展示 {len(showcase)} / residents, needs, volunteers (social workers), "
            f"organizations, projects, showcase"
        )
