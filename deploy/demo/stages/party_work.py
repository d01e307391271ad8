"""Stage 8: the party leads — a major matter decided by the community party committee (先议后决),
whistles blown (in stage 7) and answered by party members and responsible units (吹哨报到), small
wishes claimed and fulfilled (微心愿); the joint meeting is deploy/demo/stages/meeting.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, iso


class PartyWork(Client):
    # 8 --- the party leads: a major matter, whistles, small wishes, the joint meeting --------------------------
    async def party_work(self) -> None:
        await self.gather(
            self.flow("重大事项 / major matter", self.matter()),
            self.flow("吹哨报到 / whistles", self.answer_whistles()),
            self.flow("微心愿 / wishes", self.wishes()),
            self.flow("联席会议 / joint meeting", self.joint_meeting()),
        )

    async def matter(self) -> None:
        matter = await self.create(
            "matter:foundation",
            "/matters",
            self.sw(D.HOME),
            {
                "kind": "foundation_use",
                "area_code": D.HOME,
                "title": "动用社区基金修缮社区老年活动室",
                "summary": "活动室屋顶漏雨、地面破损，拟动用社区基金 6 万元修缮，供老年合唱团和助餐点使用",
                "amount_fen": 6_000_000,
                "vital_interests": True,
            },
        )
        await self.decide("decision:matter:foundation", matter["id"], D.HOME, "approved")

    async def decide(self, key: str, matter_id: str, area: str, outcome: str, reasons: str = "") -> None:
        """The committee's vote on a matter (a project's, or the community's own), recorded by its secretary."""
        sj = self.sj(area)
        org = await self.get(f"/party-organizations/{self.need_field(f'party-org:{area}')}", sj)
        votes = [{"seat_id": seat["id"], "vote": "for"} for seat in org["committee"]]
        await self.step(
            key,
            f"/matters/{matter_id}/decision",
            sj,
            {
                "meeting_held_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
                "votes": votes,
                "outcome": outcome,
                "reasons": reasons,
            },
        )

    # --- whistles ---------------------------------------------------------------------------------------------
    async def blow_whistles(self) -> None:
        """社区吹哨: blown while the services run, answered in the next stage (党员报到)."""
        home, sw = D.HOME, self.sw(D.HOME)
        await self.blow_meal_whistle()
        await self.create(
            "whistle:corridor",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "楼道堆放杂物存在消防隐患",
                "description": "光华里3号楼楼道堆放纸箱和电动车，需清理",
                "urgency": "major",
                "category": "other",
            },
            idem=True,
        )
        await self.create(
            "whistle:village",
            "/whistles",
            self.sw(D.VILLAGE),
            {
                "area_code": D.VILLAGE,
                "title": "留守老人家中房屋漏雨",
                "description": "连续降雨，独居老人家中房顶漏雨，需要帮忙修补",
                "urgency": "major",
                "category": "daily_care",
            },
            idem=True,
        )

    async def blow_meal_whistle(self) -> None:
        """A need nobody could wait for: an old man who fell and cannot cook."""
        home, sw = D.HOME, self.sw(D.HOME)
        need_id = self.need_field(f"need:{self.plan.needs_of('whistle', home)[0].index}")
        await self.create(
            "whistle:meal",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "独居老人突发断餐",
                "description": "老人摔伤后无法做饭，请就近党员送餐并联系助餐点",
                "urgency": "urgent",
                "category": "meal_aid",
                "required_skills": ["送餐"],
                "need_id": need_id,
            },
            idem=True,
        )

    async def answer_whistles(self) -> None:
        await self.answer_meal_whistle()
        await self.answer_corridor_whistle()
        await self.blow_flood_whistle()
        await self.answer_village_whistle()

    async def answer_meal_whistle(self) -> None:
        """1: a need nobody could wait for: the persona (a party member) takes the whistle on himself."""
        home, sw = D.HOME, self.sw(D.HOME)
        persona = self.plan.persona_volunteer
        member = self.need_field(f"party-member:volunteer:{persona}")
        me = self.volunteer_token(persona)
        need = self.plan.needs_of("whistle", home)[0]
        need_id = self.need_field(f"need:{need.index}")
        w1 = {"id": self.need_field("whistle:meal")}
        await self.step(
            "whistle:meal:report",
            f"/whistles/{w1['id']}/reports",
            me,
            {"responder_kind": "member", "responder_id": member},
        )
        await self.step(
            "whistle:meal:handled",
            f"/whistles/{w1['id']}/reports/{member}/handled",
            me,
            {"note": "已送餐上门，并联系社区助餐点每日配送"},
        )
        await self.step(
            "whistle:meal:close",
            f"/whistles/{w1['id']}/close",
            sw,
            {"satisfaction": 5, "evaluated_by": "resident", "comment": "党员半小时就到了，很及时"},
        )
        await self.step(
            f"assess:{need.index}",
            f"/needs/{need_id}/assessment",
            sw,
            {
                "category": "meal_aid",
                "urgency": "urgent",
                "service_plan": "吹哨应急送餐后，纳入志愿者每日送餐",
                "route": "volunteer_task",
            },
        )

    async def answer_corridor_whistle(self) -> None:
        """2: taken on by the property company, not closed yet."""
        home, sj = D.HOME, self.sj(D.HOME)
        w2 = self.j.get("whistle:corridor") or {"id": self.need_field("whistle:corridor")}
        unit = self.need_field(f"unit:{home}:1")
        await self.step(
            "whistle:corridor:report",
            f"/whistles/{w2['id']}/reports",
            sj,
            {"responder_kind": "unit", "responder_id": unit},
        )

    async def blow_flood_whistle(self) -> None:
        """3: just blown: every registered member of the community is called on."""
        home, sw = D.HOME, self.sw(D.HOME)
        await self.create(
            "whistle:flood",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "暴雨后地下室进水",
                "description": "建北小区5号楼地下室进水，需要人手协助排水和转移物品",
                "urgency": "urgent",
            },
            idem=True,
        )

    async def answer_village_whistle(self) -> None:
        """4: in the village, answered by a member the social worker records, closed by the community."""
        vsw = self.sw(D.VILLAGE)
        w4 = {"id": self.need_field("whistle:village")}
        whistle = await self.get(f"/whistles/{w4['id']}", vsw)
        responder = next((d["responder_id"] for d in whistle["dispatches"] if d["responder_kind"] == "member"), None)
        if responder:
            await self.step(
                "whistle:village:report",
                f"/whistles/{w4['id']}/reports",
                vsw,
                {"responder_kind": "member", "responder_id": responder},
            )
            await self.step(
                "whistle:village:handled",
                f"/whistles/{w4['id']}/reports/{responder}/handled",
                vsw,
                {"note": "已组织党员修补房顶"},
            )
            await self.step(
                "whistle:village:close",
                f"/whistles/{w4['id']}/close",
                vsw,
                {"satisfaction": 4, "evaluated_by": "community", "comment": "处置及时"},
            )

    # --- small wishes -------------------------------------------------------------------------------------------
    async def wishes(self) -> None:
        home, sw, sj = D.HOME, self.sw(D.HOME), self.sj(D.HOME)
        claimer = self.need_field(f"party-member:{home}:1")
        for key, title, beneficiary, state in (
            ("radio", "一台收音机", "王**（独居老人）", "fulfilled"),
            ("quilt", "冬季棉被两床", "李**（低保户）", "claimed"),
            ("glasses", "一副老花镜", "张**（空巢老人）", "open"),
        ):
            wish = await self.create(
                f"wish:{key}", "/wishes", sw, {"area_code": home, "title": title, "beneficiary": beneficiary}, idem=True
            )
            if state in ("claimed", "fulfilled"):
                await self.step(f"wish:{key}:claim", f"/wishes/{wish['id']}/claim", sj, {"member_id": claimer})
            if state == "fulfilled":
                await self.step(f"wish:{key}:fulfil", f"/wishes/{wish['id']}/fulfil", sj, {"note": "已送到老人家中"})
        vsw = self.sw(D.VILLAGE)
        wish = await self.create(
            "wish:schoolbag",
            "/wishes",
            vsw,
            {"area_code": D.VILLAGE, "title": "新书包和文具", "beneficiary": "李*（留守儿童）"},
            idem=True,
        )
        await self.step(
            "wish:schoolbag:claim",
            f"/wishes/{wish['id']}/claim",
            vsw,
            {"member_id": self.need_field(f"party-member:{D.VILLAGE}:0")},
        )
        await self.step("wish:schoolbag:fulfil", f"/wishes/{wish['id']}/fulfil", vsw, {"note": "开学前送到"})
