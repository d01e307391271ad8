"""Stage 9: the love supermarket (爱心超市) and the time bank (时间银行), the household survey, the
revisits of closed needs, a volunteer's service certificate."""

from __future__ import annotations

from datetime import timedelta

from deploy.demo import data as D
from deploy.demo.client import Client, iso


class Exchanges(Client):
    # 9 --- time bank, love supermarket, surveys and visits, revisits, certificates ---------------------------
    async def exchanges(self) -> None:
        await self.flow(
            "爱心超市 / supermarket", self.supermarket()
        )  # the goods first: the time bank's points buy them
        await self.gather(
            self.flow("时间银行 / time bank", self.timebank()),
            self.flow("入户调研 / survey", self.survey()),
            self.flow("回访 / revisits", self.revisits()),
            self.flow("服务证明 / certificate", self.certificate()),
        )

    async def supermarket(self) -> None:
        home = D.HOME
        items = await self.donate_goods()
        await self.grant_points()
        persona = self.resident_token(self.plan.persona_resident)
        if persona:
            await self.create(
                "redemption:resident",
                "/supermarket/redemptions",
                persona,
                {"holder_kind": "resident", "holder_ref": persona[2], "item_id": items[(home, 0)], "quantity": 1},
                idem=True,
            )

    async def donate_goods(self) -> dict[tuple[str, int], str]:
        """Goods given to the supermarkets of three communities: (area, k) → the item's id."""
        home = D.HOME
        items = {}
        for area in (home, "130102002001", D.VILLAGE):
            who = self.maker(area)
            for k, (item, unit, quantity, value, price) in enumerate(D.GOODS if area == home else D.GOODS[:3]):
                donor = (
                    {
                        "kind": "enterprise",
                        "name": D.ENTERPRISES[2][0],
                        "uscc": D.enterprise_uscc(*D.ENTERPRISES[2][1:3]),
                    }
                    if k % 2 == 0
                    else {"kind": "anonymous"}
                )
                receipt = await self.create(
                    f"goods:{area}:{k}",
                    "/supermarket/goods",
                    who,
                    {
                        "area_code": area,
                        "item": item,
                        "unit": unit,
                        "quantity": quantity,
                        "estimated_value_fen": value,
                        "price_points": price,
                        "donor": donor,
                    },
                    idem=True,
                )
                items[(area, k)] = receipt["item_id"]
        return items

    async def grant_points(self) -> None:
        """Points for residents who took part in community work (what they buy with them comes next)."""
        home, sw = D.HOME, self.sw(D.HOME)
        home_needs = [n for n in self.plan.needs if n.area == home]
        holders = [self.plan.persona_resident] + [n.resident for n in home_needs[:5]]
        for k, resident in enumerate(dict.fromkeys(holders)):
            known = self.j.get(f"resident:{resident}")
            if not known:
                continue
            await self.create(
                f"points:{resident}",
                "/supermarket/points-grants",
                sw,
                {
                    "area_code": home,
                    "holder_kind": "resident",
                    "holder_ref": known["resident_ref"],
                    "points": 30 + 10 * k,
                    "reason": ("参加社区环境整治志愿活动", "参加垃圾分类宣传", "参加邻里互助结对")[k % 3],
                },
                idem=True,
            )

    async def timebank(self) -> None:
        """The persona's verified hours became time credits: some go to charity points (CreditsExchanged),
        which buy a towel at the love supermarket; another volunteer pays for a haircut with credits."""
        persona = self.plan.persona_volunteer
        vid, me = self.need_field(f"volunteer:{persona}"), self.volunteer_token(persona)
        await self.create(
            "timebank:exchange", "/timebank/exchanges", me, {"volunteer_id": vid, "units": 100}, idem=True
        )
        ref = me[2]

        async def points():
            account = await self.get(f"/supermarket/points/volunteer/{ref}", me, missing_ok=True)
            return account if account and account["balance"] >= 5 else None

        await self.until("时间积分兑换为爱心积分 / credits exchanged for points", points)
        goods = self.j.get(f"goods:{D.HOME}:4")
        if goods:
            await self.create(
                "redemption:volunteer",
                "/supermarket/redemptions",
                me,
                {"holder_kind": "volunteer", "holder_ref": ref, "item_id": goods["item_id"], "quantity": 1},
                idem=True,
            )
        await self.haircut()

    async def haircut(self) -> None:
        """A volunteer of the neighbouring community pays a haircut with credits (通存通兑 between community banks)."""
        closed = [
            n for n in self.plan.needs if n.area == "130102001002" and n.fate == "closed" and n.volunteer is not None
        ]
        if closed:
            index = closed[0].volunteer
            await self.create(
                "timebank:redemption",
                "/timebank/redemptions",
                self.sw("130102001002"),
                {
                    "volunteer_id": self.need_field(f"volunteer:{index}"),
                    "units": 50,
                    "service": "上门理发",
                    "at_bank_area": D.HOME,
                },
                idem=True,
            )

    async def survey(self) -> None:
        """The community's household survey: the grid worker visits, some visits find needs."""
        survey = await self.create(
            "survey",
            "/surveys",
            self.sw(D.HOME),
            {
                "area_code": D.HOME,
                "title": f"{self.year}年入户需求调研",
                "starts_on": (self.today - timedelta(days=10)).isoformat(),
                "ends_on": (self.today + timedelta(days=50)).isoformat(),
            },
        )
        await self.visits(survey)

    async def visits(self, survey: dict) -> None:
        """The grid worker's visits to six empty-nest elderly, two of which find needs."""
        grid = self.grid(D.HOME)
        visited = [
            i for i, p in enumerate(self.plan.residents) if p.area_code == D.HOME and "empty_nest_elderly" in p.tags
        ][:6]
        found = {
            0: {
                "category": "daily_care",
                "description": "冬季取暖需要帮助，家中暖气不热",
                "required_skills": ["家电维修"],
            },
            2: {
                "category": "emotional_comfort",
                "description": "老人独居少言，希望志愿者每周来聊聊天",
                "urgency": "major",
            },
        }
        for k, resident in enumerate(visited):
            known = self.j.get(f"resident:{resident}")
            if not known:
                continue
            await self.create(
                f"visit:{resident}",
                f"/surveys/{survey['id']}/visits",
                grid,
                {
                    "resident_id": known["id"],
                    "visited_at": iso(self.anchor - timedelta(days=3 - k % 3, hours=k)),
                    "notes": ("身体状况良好", "行动不便，需关注", "子女每月探望一次")[k % 3],
                    "needs": [found[k]] if k in found else [],
                },
            )

    async def revisits(self) -> None:
        closed = [n for n in self.plan.needs if n.area == D.HOME and n.fate == "closed"][:4]
        for n in closed:
            if self.j.get(f"feedback:{n.index}"):
                await self.create(
                    f"revisit:{n.index}",
                    f"/needs/{self.need_field(f'need:{n.index}')}/revisits",
                    self.sw(n.area),
                    {"notes": ("老人表示满意，希望继续", "服务效果良好", "家属表示感谢")[n.index % 3]},
                )

    async def certificate(self) -> None:
        persona = self.plan.persona_volunteer
        await self.create(
            "certificate",
            "/certificates",
            self.sw(D.HOME),
            {
                "volunteer_id": self.need_field(f"volunteer:{persona}"),
                "period_start": f"{self.year}-01-01",
                "period_end": self.today.isoformat(),
            },
        )
