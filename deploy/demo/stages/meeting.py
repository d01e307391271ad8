"""Stage 8's joint meeting (党建联席会议) of the community's five actors: its agenda, the meeting
held, its resolutions and what they set going."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, iso
from deploy.demo.plan import Need


class JointMeeting(Client):
    async def joint_meeting(self) -> None:
        """A dispute mediation goes up to the joint meeting (调处 → 党建联席会议); its resolutions send
        volunteers out, have the social worker follow up, and propose a project — which then waits for the
        party committee (先议后决)."""
        home = D.HOME
        need = self.plan.needs_of("mediated", home)[0]
        case_id = self.need_field(f"dispute:{need.index}", "case_id")
        manual = await self.meeting_agenda(need, case_id)
        meeting = await self.convene()
        dispute_item, elevator_item = await self.hold(meeting, case_id, manual)
        first = await self.resolve_dispute(meeting, dispute_item, need)
        second = await self.resolve_elevator(meeting, elevator_item)
        await self.meeting_actions(first, need, case_id)
        await self.elevator_project(second)

    async def meeting_agenda(self, need: Need, case_id: str) -> dict:
        """The dispute escalated onto the agenda, and an item the social worker puts there: the latter."""
        home, sw, sj = D.HOME, self.sw(D.HOME), self.sj(D.HOME)
        await self.step(
            f"escalate:{need.index}",
            f"/mediations/{case_id}/escalation",
            sw,
            {"reason": "涉及老人子女多方，社区调解未果，提交党建联席会议"},
        )
        manual = await self.create(
            "agenda:elevator",
            "/agenda-items",
            sw,
            {"area_code": home, "summary": "光华里老旧小区加装电梯，低层与高层住户意见分歧"},
        )

        async def dispute_on_agenda():
            items = await self.get("/agenda-items", sj, {"area": home})
            return next((i for i in items if i["kind"] == "dispute" and i["ref_id"] == case_id), None)

        if not self.j.get("meeting"):
            await self.until("调处进入联席会议议程 / the dispute on the agenda", dispute_on_agenda)
        return manual

    async def convene(self) -> dict:
        """The quarter's joint meeting of the five actors, a few seconds from now."""
        home, sj = D.HOME, self.sj(D.HOME)
        secretary = self.plan.committees[home][0][0].name
        title = f"{self.year}年第{'一二三四'[(self.today.month - 1) // 3]}季度党建联席会议"

        async def find_meeting():
            return next((m for m in await self.get("/joint-meetings", sj, {"area": home}) if m["title"] == title), None)

        return await self.create(
            "meeting",
            "/joint-meetings",
            sj,
            {
                "area_code": home,
                "title": title,
                "scheduled_at": iso(datetime.now(UTC) + timedelta(seconds=3)),
                "place": "建北社区党群服务中心",
                "participants": [
                    {"actor": "party", "name": secretary, "unit": "建北街道001号社区党委"},
                    {"actor": "community", "name": "刘娜", "unit": "建北街道001号社区居委会"},
                    {"actor": "social_org", "name": "周敏", "unit": "长安区乐龄社会工作服务中心"},
                    {"actor": "social_worker", "name": "孙丽", "unit": "建北街道社会工作服务站"},
                    {
                        "actor": "volunteer",
                        "name": self.plan.volunteers[self.plan.persona_volunteer].person.name,
                        "unit": "建北助老志愿服务队",
                    },
                    {"actor": "charity", "name": "钱芳", "unit": "长安区慈善协会"},
                ],
            },
            lookup=find_meeting,
        )

    async def hold(self, meeting: dict, case_id: str, manual: dict) -> tuple[str | None, str | None]:
        """The meeting is held at its time: its agenda's dispute item and elevator item."""
        sj = self.sj(D.HOME)
        view = await self.get(f"/joint-meetings/{meeting['id']}", sj)
        if view["status"] == "scheduled":
            await self.sleep_until(datetime.fromisoformat(view["scheduled_at"]))  # the meeting is held at its time
        dispute_item = next(
            (i["id"] for i in view["agenda"] if i["kind"] == "dispute" and i["ref_id"] == case_id), None
        )
        elevator_item = next((i["id"] for i in view["agenda"] if i["id"] == manual["id"]), None)
        return dispute_item, elevator_item

    async def resolve_dispute(self, meeting: dict, dispute_item: str | None, need: Need) -> dict:
        sj = self.sj(D.HOME)
        due = self.anchor
        return await self.create(
            "resolution:dispute",
            f"/joint-meetings/{meeting['id']}/resolutions",
            sj,
            {
                "agenda_item_id": dispute_item,
                "text": "由社工牵头、志愿者入户，协调老人子女签订赡养协议",
                "actions": [
                    {
                        "kind": "volunteer_task",
                        "title": "入户回访调解对象",
                        "details": "了解老人近况，协助社工沟通",
                        "need_id": self.need_field(f"need:{need.index}"),
                        "required_skills": ["入户走访"],
                        "owner": "志愿者:建北助老志愿服务队",
                        "due_at": iso(due + timedelta(days=7)),
                    },
                    {
                        "kind": "other",
                        "title": "社工跟进调解并报告结果",
                        "owner": "社工:刘娜",
                        "due_at": iso(due + timedelta(days=14)),
                    },
                ],
            },
            idem=True,
        )

    async def resolve_elevator(self, meeting: dict, elevator_item: str | None) -> dict:
        sj = self.sj(D.HOME)
        due = self.anchor
        return await self.create(
            "resolution:elevator",
            f"/joint-meetings/{meeting['id']}/resolutions",
            sj,
            {
                "agenda_item_id": elevator_item,
                "text": "就加装电梯组织住户议事协商，提出社区议事协商服务项目",
                "actions": [
                    {
                        "kind": "propose_project",
                        "title": "光华里加装电梯议事协商",
                        "owner": "社区:建北街道001号社区居委会",
                        "due_at": iso(due + timedelta(days=30)),
                    }
                ],
            },
            idem=True,
        )

    async def meeting_actions(self, first: dict, need: Need, case_id: str) -> None:
        """The dispute resolution's actions carried out, and the mediation settled."""
        sw = self.sw(D.HOME)
        # the volunteers service opened a task for the action (its id is the action's): the persona takes it
        volunteer_action, follow_up = first["action_ids"]
        persona = self.plan.persona_volunteer
        vid, me = self.need_field(f"volunteer:{persona}"), self.volunteer_token(persona)
        await self.until(
            "联席会议派发的志愿服务任务 / the meeting's volunteer task",
            lambda: self.get(f"/tasks/{volunteer_action}", sw, missing_ok=True),
        )
        await self.step("meeting:task:invite", f"/tasks/{volunteer_action}/invitations", sw, {"volunteer_ids": [vid]})
        await self.step(
            "meeting:task:accept", f"/tasks/{volunteer_action}/invitations/{vid}/response", me, {"accept": True}
        )
        await self.step(
            "meeting:follow-up",
            f"/meeting-actions/{follow_up}/progress",
            sw,
            {"status": "done", "note": "子女与老人签订赡养协议，每周轮流探望"},
        )
        await self.step(
            f"settle:{need.index}",
            f"/mediations/{case_id}/settlement",
            sw,
            {"outcome": "联席会议协调后，子女与老人签订赡养协议，调处办结"},
        )

    async def elevator_project(self, second: dict) -> None:
        """The project the meeting proposed: out of the demand pool, then waiting for the party committee."""
        home, sw = D.HOME, self.sw(D.HOME)
        project_action = second["action_ids"][0]

        async def pooled():
            return any(d["ref_id"] == project_action for d in await self.get("/projects/demands", sw, {"area": home}))

        if not self.j.get("project:elevator"):
            await self.until("联席会议提出的项目需求 / the meeting's project in the demand pool", pooled)
        project = await self.create("project:elevator", "/projects", sw, self.elevator_body(project_action))
        await self.step("project:elevator:submit", f"/projects/{project['id']}/submission", sw)

    def elevator_body(self, project_action: str) -> dict:
        return {
            "area_code": D.HOME,
            "title": "光华里老旧小区加装电梯议事协商项目",
            "service_content": "由专业社工组织低层、高层住户议事协商，形成加装电梯共识方案并跟进实施",
            "indicators": [
                {"name": "议事协商会", "target": "不少于 6 次"},
                {"name": "住户参与率", "target": "不低于 90%"},
            ],
            "budget_fen": 6_000_000,
            "funding": [
                {
                    "source": "government_purchase",
                    "fund_id": self.need_field("fund:purchase"),
                    "amount_fen": 6_000_000,
                }
            ],
            "purchase_item": "consult",
            "year": self.year,
            "duration_months": 6,
            "vital_interests": True,
            "action_id": project_action,
        }
