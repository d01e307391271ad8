"""Stage 7's venture-philanthropy call (公益创投): opened with the projects' calls for bids, applied
to by three organizations, scored by two judges, awarded."""

from __future__ import annotations

from datetime import datetime, timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, iso


class Venture(Client):
    async def venture_call(self, closing: datetime) -> datetime:
        mz = self.mz(D.URBAN_COUNTY)
        call = await self.create(
            "venture:call",
            "/venture-calls",
            mz,
            {
                "kind": "venture",
                "title": f"长安区{self.year}年度社区公益创投大赛",
                "area_code": D.URBAN_COUNTY,
                "fund_id": self.need_field("fund:purchase"),
                "pool_fen": 15_000_000,
                "max_grant_fen": 8_000_000,
                "apply_deadline": iso(closing),
            },
            lane=False,
        )
        return datetime.fromisoformat((await self.get(f"/venture-calls/{call['id']}", mz))["apply_deadline"])

    async def venture_apply(self) -> None:
        call_id = self.need_field("venture:call")
        for org, area, title, summary, amount, _ in D.VENTURE_APPS:
            first = amount * 6 // 10
            await self.flow(
                f"公益创投 {org}",
                self.create(
                    f"venture:app:{org}",
                    f"/venture-calls/{call_id}/applications",
                    self.org_admin(org),
                    {
                        "organization_uscc": self.uscc(org),
                        "area_code": area,
                        "title": title,
                        "summary": summary,
                        "indicators": [{"name": "受益人数", "target": "不少于 200 人"}],
                        "requested_fen": amount,
                        "milestones": [
                            {
                                "title": "项目启动",
                                "due_on": (self.today + timedelta(days=30)).isoformat(),
                                "amount_fen": first,
                            },
                            {
                                "title": "项目结项",
                                "due_on": (self.today + timedelta(days=180)).isoformat(),
                                "amount_fen": amount - first,
                            },
                        ],
                    },
                    lane=False,
                ),
            )

    async def venture_award(self) -> None:
        call_id = self.need_field("venture:call")
        judges = (self.mz(D.URBAN_COUNTY), self.sw(D.URBAN_COUNTY))
        for org, *_, scores in D.VENTURE_APPS:
            app = self.j.get(f"venture:app:{org}")
            if not app:
                continue
            for n, judge in enumerate(judges):
                await self.step(
                    f"venture:app:{org}:score:{n}",
                    f"/venture-calls/{call_id}/applications/{app['id']}/scores",
                    judge,
                    {"scores": {c: s - n for c, s in scores.items()}},
                )
        await self.step("venture:award", f"/venture-calls/{call_id}/award", judges[0])
