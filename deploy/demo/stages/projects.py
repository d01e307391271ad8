"""Stage 7's projects: proposed for the needs of the demand pool, submitted, decided by the party
committee where they touch residents' vital interests, funded, published, bid for, awarded, delivered
milestone by milestone and paid; the one graded 优秀 goes on the public showcase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, DemoError, iso
from deploy.demo.plan import BIDS, project_specs

BID_WINDOW_S = 8.0  # the calls for bids and the venture call close this long after they open


class Projects(Client):
    async def projects(self) -> None:
        """One project graded 优秀 and on the showcase, two in delivery, one open for bids, one waiting
        for the party committee (after the joint meeting), a draft, and a venture-philanthropy call."""
        specs = project_specs(self.sw, self.mz)
        await self.propose_projects(specs)
        await self.tender(specs)
        await self.gather(
            self.deliver_meals(specs["meals"]), self.deliver_care(specs["care"]), self.deliver_village(specs["village"])
        )

    async def propose_projects(self, specs: dict[str, dict]) -> None:
        """Proposed, submitted, decided where the party committee must, until they are funded."""
        await self.gather(*(self.find_project(key, spec) for key, spec in specs.items()))
        await self.gather(*(self.wait_pool(key, spec) for key, spec in specs.items() if spec.get("need_fate")))
        await self.gather(*(self.propose(key, spec) for key, spec in specs.items()))
        for key, spec in specs.items():
            if spec.get("submit", True):
                await self.step(
                    f"project:{key}:submit", f"/projects/{self.need_field(f'project:{key}')}/submission", spec["who"]
                )
        await self.party_decides(specs["meals"])
        await self.gather(
            *(
                self.wait_project(key, specs[key], {"funded", "published", "procured", "delivered", "evaluated"})
                for key in ("meals", "care", "tutor", "village")
            )
        )

    async def tender(self, specs: dict[str, dict]) -> None:
        """The calls for bids and the venture call: published, bid for, awarded once they close."""
        # the calls: meals, care, the village and the venture call close together, a few seconds from now
        closing = datetime.now(UTC) + timedelta(seconds=BID_WINDOW_S)
        deadlines = await self.gather(
            *(self.publish(key, specs[key], closing) for key in ("meals", "care", "village")),
            self.publish("tutor", specs["tutor"], datetime.now(UTC) + timedelta(days=14)),
            self.venture_call(closing),
        )
        await self.gather(
            *(self.bid(key, org, price, specs[key]) for key, org, price in BIDS),
            self.venture_apply(),
        )
        await self.sleep_until(max(d for d in deadlines[:3] + deadlines[4:] if d) + timedelta(seconds=0.5))
        await self.gather(*(self.award(key, specs[key]) for key in ("meals", "care", "village")), self.venture_award())

    def project_body(self, spec: dict) -> dict:
        body = dict(spec["body"])
        body["funding"] = [
            {"source": source, "fund_id": self.need_field(f"fund:{fund}"), "amount_fen": amount}
            for source, fund, amount in body["funding"]
        ]
        if spec.get("need_fate"):
            fate, area = spec["need_fate"]
            body["need_ids"] = [self.need_field(f"need:{n.index}") for n in self.plan.needs_of(fate, area)]
        body["year"] = self.year
        return body

    async def wait_pool(self, key: str, spec: dict) -> None:
        """The needs routed to "project" wait in the demand pool before a project takes them."""
        if self.j.get(f"project:{key}"):
            return
        fate, area = spec["need_fate"]
        wanted = {self.need_field(f"need:{n.index}") for n in self.plan.needs_of(fate, area)}

        async def pooled():
            return wanted <= {d["need_id"] for d in await self.get("/projects/demands", spec["who"], {"area": area})}

        await self.until(f"{area} 的需求进入项目需求池 / needs in the demand pool", pooled)

    async def find_project(self, key: str, spec: dict) -> None:
        """Proposing has no natural key: a project of the same title and area is the one a run before made."""
        if self.j.get(f"project:{key}"):
            return
        title = spec["body"]["title"]
        found = next(
            (
                p
                for p in await self.get("/projects", spec["who"], {"area": spec["body"]["area_code"]})
                if p["title"] == title
            ),
            None,
        )
        if found:
            self.j.put(f"project:{key}", {"id": found["id"]})

    async def propose(self, key: str, spec: dict) -> None:
        await self.create(f"project:{key}", "/projects", spec["who"], self.project_body(spec))

    async def party_decides(self, spec: dict) -> None:
        """The project touches residents' vital interests: the community party committee studies it
        first (先议后决), and its secretary records the committee's vote."""
        project_id, area = self.need_field("project:meals"), spec["body"]["area_code"]
        sj = self.sj(area)

        async def matter():
            return next(
                (m for m in await self.get("/matters", sj, {"area": area}) if m["project_id"] == project_id), None
            )

        found = await self.until("项目送党组织研究 / the project's review by the party committee", matter)
        if found["status"] == "pending":
            await self.decide("decision:project:meals", found["id"], area, "approved")

    async def wait_project(self, key: str, spec: dict, statuses: set[str]) -> dict:
        project_id = self.need_field(f"project:{key}")

        async def check():
            project = await self.get(f"/projects/{project_id}", spec["who"])
            if project["status"] in ("funding_rejected", "closed"):
                raise DemoError(f"项目 {key}: {project['status']} {project['funding']}")
            return project if project["status"] in statuses else None

        return await self.until(f"项目 {key} → {'/'.join(sorted(statuses))}", check)

    async def publish(self, key: str, spec: dict, deadline: datetime) -> datetime | None:
        project_id = self.need_field(f"project:{key}")
        await self.step(
            f"project:{key}:publish",
            f"/projects/{project_id}/publication",
            spec["who"],
            {"bid_deadline": iso(deadline), "criteria": {"plan": 40, "price": 30, "team": 30}},
            lane=False,
        )
        project = await self.get(f"/projects/{project_id}", spec["who"])
        return datetime.fromisoformat(project["bid_deadline"]) if project["bid_deadline"] else None

    def bid_body(self, org: str, price: int, spec: dict) -> dict:
        first = price // 2
        return {
            "organization_uscc": self.uscc(org),
            "price_fen": price,
            "plan": f"由{self.org(org)[1]}组建专业服务团队，按月制定服务计划，社工督导志愿者开展服务并定期回访",
            "team": [
                {"role": "项目主管", "qualification": "中级社会工作师"},
                {"role": "社会工作者", "qualification": "助理社会工作师", "count": 3},
                {"role": "志愿者", "count": 10},
            ],
            "milestones": [
                {
                    "title": "服务启动与需求评估",
                    "due_on": (self.today + timedelta(days=60)).isoformat(),
                    "amount_fen": first,
                },
                {
                    "title": "服务完成与结项评估",
                    "due_on": (self.today + timedelta(days=300)).isoformat(),
                    "amount_fen": price - first,
                },
            ],
        }

    async def bid(self, key: str, org: str, price: int, spec: dict) -> None:
        project_id, uscc = self.need_field(f"project:{key}"), self.uscc(org)
        oa = self.org_admin(org)

        async def lookup():
            project = await self.get(f"/projects/{project_id}", spec["who"])
            return next(({"id": b["id"]} for b in project["bids"] if b["organization_uscc"] == uscc), None)

        await self.flow(
            f"投标 {key} {org}",
            self.create(
                f"bid:{key}:{org}",
                f"/projects/{project_id}/bids",
                oa,
                self.bid_body(org, price, spec),
                lookup=lookup,
                lane=False,
            ),
        )

    async def award(self, key: str, spec: dict) -> None:
        project_id = self.need_field(f"project:{key}")
        for org, scores in spec["scores"].items():
            bid = self.j.get(f"bid:{key}:{org}")
            if not bid:
                continue
            for n, evaluator in enumerate(spec["evaluators"]):
                adjusted = {c: max(0, s - 2 * n) for c, s in scores.items()}
                await self.step(
                    f"bid:{key}:{org}:score:{n}", f"/bids/{bid['id']}/scores", evaluator, {"scores": adjusted}
                )
        await self.step(f"project:{key}:award", f"/projects/{project_id}/award", spec["evaluators"][1])

    # --- delivery -----------------------------------------------------------------------------------------------
    async def approve_payments(self, commitment_id: str, area: str) -> None:
        """The charity's checker approves the milestone payment the acceptance asked for."""
        checker = self.checker(area)

        async def requested():
            return [
                d
                for d in await self.get("/disbursements", checker, {"area": area[:6], "status": "requested"})
                if d["commitment_id"] == commitment_id
            ]

        for payment in await self.until("里程碑拨付申请 / the milestone's payment request", requested):
            await self.step(f"approve:{payment['id']}", f"/disbursements/{payment['id']}/approval", checker)

    async def milestone(self, key: str, spec: dict, org: str, seq: int, *, accept: bool = True) -> None:
        project_id = self.need_field(f"project:{key}")
        project = await self.get(f"/projects/{project_id}", spec["who"])
        milestone = next(m for m in project["milestones"] if m["seq"] == seq)
        evidence = [
            {"kind": "sign_in_sheet", "description": "服务签到表与居民签收单"},
            {"kind": "photo", "description": "服务现场照片 12 张"},
            {"kind": "report", "description": "阶段服务报告"},
        ]
        if milestone["status"] not in ("reported", "accepted"):
            await self.step(
                f"project:{key}:report:{seq}",
                f"/projects/{project_id}/milestones/{milestone['id']}/report",
                self.org_admin(org),
                {"summary": f"{milestone['title']}：按计划完成本阶段服务", "evidence": evidence},
            )
        if not accept:
            return
        await self.step(
            f"project:{key}:accept:{seq}",
            f"/projects/{project_id}/milestones/{milestone['id']}/acceptance",
            spec["who"],
        )
        commitment = project["funding"][0]["commitment_id"]
        if not self.j.get(f"project:{key}:paid:{seq}"):
            await self.approve_payments(commitment, spec["body"]["area_code"])
            self.j.put(f"project:{key}:paid:{seq}", True)

    async def deliver_meals(self, spec: dict) -> None:
        """Delivered, judged by the residents it served, evaluated 优秀, nominated, on the showcase."""
        await self.wait_project("meals", spec, {"procured", "delivered", "evaluated"})
        for n in self.plan.needs_of(*spec["need_fate"]):
            need_id = self.need_field(f"need:{n.index}")
            await self.wait_status(need_id, spec["who"], {"matched", "resolved", "closed"})
            await self.close_need(n, need_id)
        for seq in (1, 2):
            await self.milestone("meals", spec, "leling", seq)
        project_id = self.need_field("project:meals")
        mz = self.mz(D.URBAN_COUNTY)
        await self.step(
            "project:meals:evaluation",
            f"/projects/{project_id}/evaluation",
            mz,
            {
                "indicators_percent": 96,
                "third_party_score": 93,
                "third_party_evaluator": "河北省社会组织评估中心",
                "survey": [5, 5, 5, 4, 5, 5, 5, 5, 4, 5, 5, 5],
            },
        )
        for kind, citation in (
            ("typical_case", "以居民满意度为核心、党建引领五社联动的社区老年助餐服务，送餐上门与探访相结合"),
            ("hebei_charity_award", "社区、社工、志愿者与慈善资源协同，为独居高龄老人解决吃饭难题"),
        ):
            await self.step(
                f"project:meals:nomination:{kind}",
                f"/projects/{project_id}/nominations",
                mz,
                {"kind": kind, "citation": citation},
            )

    async def deliver_care(self, spec: dict) -> None:
        """In delivery: the first milestone reported, accepted and paid; volunteers asked for."""
        await self.wait_project("care", spec, {"procured", "delivered"})
        await self.milestone("care", spec, "leling", 1)
        project_id = self.need_field("project:care")
        need_id = self.need_field(f"need:{self.plan.needs_of(*spec['need_fate'])[0].index}")
        await self.create(
            "project:care:volunteers",
            f"/projects/{project_id}/volunteer-tasks",
            self.org_admin("leling"),
            {
                "title": "协助上门照料失能老人",
                "description": "每周两次协助社工上门照料",
                "required_skills": ["生活照料"],
                "slots": 3,
                "need_id": need_id,
                "place": "青园小区",
            },
        )

    async def deliver_village(self, spec: dict) -> None:
        """The first milestone reported, waiting for the village social worker's acceptance."""
        await self.wait_project("village", spec, {"procured", "delivered"})
        await self.milestone("village", spec, "yangguang", 1, accept=False)
