"""Stage 7: the services — volunteers serve the needs routed to them, charity pays for the ones routed
to it, referrals are settled, community activities have their hours entered; the projects and the
whistles run alongside (deploy/demo/stages/projects.py, party_work.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, Unknown, Who, iso
from deploy.demo.plan import CHARITY_MILESTONES, Activity, Need


class Services(Client):
    # 7 --- services: volunteers serve, charity pays, projects are procured and delivered ----------------------
    async def services(self) -> None:
        plan = self.plan
        flows = [
            self.flow(f"需求 {n.index}（志愿服务）", self.serve(n)) for n in plan.needs if n.route == "volunteer_task"
        ]
        flows += [
            self.flow(f"需求 {n.index}（慈善救助）", self.charity_aid(n))
            for n in plan.needs
            if n.route == "charity_aid"
        ]
        flows += [
            self.flow(f"需求 {n.index}（转介）", self.referral(n)) for n in plan.needs if n.fate == "referral_closed"
        ]
        flows += [self.flow(f"志愿活动 {a.title}", self.activity(a)) for a in plan.activities]
        await self.gather(
            self.flow("服务项目 / projects", self.projects()),
            self.flow("吹哨 / whistles", self.blow_whistles()),
            *flows,
        )

    async def serve(self, n: Need) -> None:
        i, sw = n.index, self.sw(n.area)
        need_id = self.need_field(f"need:{i}")
        task = await self.task_of(n, need_id)
        task_id, vid = task["id"], self.need_field(f"volunteer:{n.volunteer}")
        await self.step(f"invite:{i}", f"/tasks/{task_id}/invitations", sw, {"volunteer_ids": [vid]})
        if n.fate == "routed_task":
            return  # the invitation waits for the volunteer's answer
        me = self.volunteer_token(n.volunteer)
        await self.step(f"accept:{i}", f"/tasks/{task_id}/invitations/{vid}/response", me, {"accept": True})
        out = await self.on_site(n, task_id, vid, me)
        log_id = out.get("log_id") or self.need_field(f"checkout:{i}", "log_id")
        if n.fate == "matched":
            return  # hours logged, waiting for the social worker to verify them
        await self.step(f"verify:{i}", f"/hours/{log_id}/verification", sw, {"approve": True})
        await self.wait_status(need_id, sw, {"matched", "resolved", "closed", "reopened", "disputed"})
        await self.close_need(n, need_id)
        if n.fate in ("disputed", "mediated"):
            await self.dispute(n, need_id)

    async def task_of(self, n: Need, need_id: str) -> dict:
        """The volunteer task the need's routing opened."""
        i, sw = n.index, self.sw(n.area)

        async def task_of_need():
            return await self.get(f"/tasks/by-need/{need_id}", sw, missing_ok=True)

        return self.j.get(f"task:{i}") or self.j.put(
            f"task:{i}", await self.until(f"需求 {i} 的志愿服务任务", task_of_need)
        )

    async def on_site(self, n: Need, task_id: str, vid: str, me: Who) -> dict:
        """The volunteer checks in (with the organizer's QR code where there is one) and out: the check-out."""
        i, sw = n.index, self.sw(n.area)
        start, end = n.slot
        check_in = {"at": iso(start)}
        async with self.on_duty.setdefault(n.volunteer, asyncio.Lock()):
            if n.code and not self.j.get(f"checkin:{i}"):  # the organizer's QR code on site, scanned by the volunteer
                status, code = await self.call("POST", f"/tasks/{task_id}/checkin-codes", sw, {})
                if status == 201:
                    check_in["code"] = code["code"]
            await self.step(
                f"checkin:{i}", f"/tasks/{task_id}/volunteers/{vid}/check-in", me, check_in, done=(409, 422)
            )
            return await self.step(
                f"checkout:{i}", f"/tasks/{task_id}/volunteers/{vid}/check-out", me, {"at": iso(end)}
            )

    async def dispute(self, n: Need, need_id: str) -> None:
        i, sw = n.index, self.sw(n.area)
        reason = (
            "居民认为赡养问题未彻底解决，子女与老人意见不一" if n.fate == "mediated" else "居民认为服务时间与约定不符"
        )
        await self.create(f"dispute:{i}", f"/needs/{need_id}/disputes", sw, {"reason": reason})

    async def charity_aid(self, n: Need) -> None:
        """Money earmarked for the need by a donor (DonationEarmarked matches it), paid out by one
        charity administrator and approved by another (maker–checker)."""
        i, sw = n.index, self.sw(n.area)
        need_id = self.need_field(f"need:{i}")
        rural = n.area.startswith(D.RURAL_COUNTY)
        fund = "xt_children" if rural else "foundation"
        maker, checker = self.maker(n.area), self.checker(n.area)
        earmark = {"target_kind": "need", "target_id": need_id, "amount_fen": n.amount_fen}
        if i % 2 == 0 or rural:  # a donor gives for this need
            donor = {"kind": "person", "name": self.plan.donors[i % len(self.plan.donors)], "disclose_name": False}
            gift = await self.create(
                f"donation:need:{i}",
                "/donations",
                maker,
                {
                    "fund_id": self.need_field(f"fund:{fund}"),
                    "amount_fen": n.amount_fen,
                    "donor": donor,
                    "earmark": earmark,
                },
            )
            earmark_id = gift["earmark_id"]
        else:  # part of an enterprise's gift to the foundation is restricted to the need
            enterprise = self.need_field(f"donation:enterprise:{i % 4}")
            earmark_id = (await self.create(f"earmark:{i}", f"/donations/{enterprise}/earmarks", maker, earmark))["id"]
        await self.wait_status(need_id, sw, {"matched", "resolved", "closed"})
        milestone = CHARITY_MILESTONES.get(n.category, "救助款拨付")
        payment = await self.create(
            f"disbursement:{i}",
            f"/earmarks/{earmark_id}/disbursements",
            maker,
            {"milestone": milestone, "amount_fen": n.amount_fen},
        )
        if n.fate == "charity_pending":
            return  # waits for the second charity administrator's approval
        await self.step(f"approve:{i}", f"/disbursements/{payment['id']}/approval", checker)
        await self.close_need(n, need_id)

    async def referral(self, n: Need) -> None:
        """Referred to the civil-affairs office and settled there: the worker records it for the resident."""
        await self.close_need(n, self.need_field(f"need:{n.index}"))

    async def activity(self, a: Activity) -> None:
        """A community activity whose hours the organizer enters afterwards (补录), verified."""
        sw = self.sw(a.area)
        people = [v for v in a.volunteers if self.j.get(f"volunteer:{v}")]
        if not people:
            raise Unknown("volunteers: 编号未知 / ids unknown")
        vids = [self.need_field(f"volunteer:{v}") for v in people]
        task = await self.activity_task(a, vids)
        await self.step(f"activity:{a.index}:invite", f"/tasks/{task['id']}/invitations", sw, {"volunteer_ids": vids})
        for k, (index, vid) in enumerate(zip(people, vids, strict=False)):
            await self.step(
                f"activity:{a.index}:accept:{k}",
                f"/tasks/{task['id']}/invitations/{vid}/response",
                sw,
                {"accept": True},
            )
            async with self.on_duty.setdefault(index, asyncio.Lock()):
                log = await self.step(
                    f"activity:{a.index}:hours:{k}",
                    f"/tasks/{task['id']}/hours",
                    sw,
                    {
                        "volunteer_id": vid,
                        "check_in": iso(a.start),
                        "check_out": iso(a.start + timedelta(minutes=a.minutes)),
                        "backfill": True,
                    },
                    done=(409, 422),
                )
            if log.get("log_id"):
                await self.step(
                    f"activity:{a.index}:verify:{k}", f"/hours/{log['log_id']}/verification", sw, {"approve": True}
                )

    async def activity_task(self, a: Activity, vids: list[str]) -> dict:
        return await self.create(
            f"activity:{a.index}",
            "/tasks",
            self.sw(a.area),
            {
                "area_code": a.area,
                "title": a.title,
                "description": f"{D.area_name(a.area)}{a.title}",
                "required_skills": a.skills,
                "slots": len(vids),
                "place": f"{D.area_name(a.area)}综合服务中心",
            },
        )
