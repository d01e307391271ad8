"""Stages 1 and 2: the registry (communities, purchase lists, organizations, service platforms), and
funds and donations."""

from __future__ import annotations

from deploy.demo import data as D
from deploy.demo.client import Client
from deploy.demo.history import HISTORY_BATCH, donations


class Registry(Client):
    # 1 --- registry: communities, purchase lists, organizations, service platforms ------------------------------
    async def registry(self) -> None:
        for county in (D.URBAN_COUNTY, D.RURAL_COUNTY):
            await self.county_lists(county)
        hubs = [o for o in D.ORGANIZATIONS if o[5].get("hub")]
        await self.gather(*(self.flow(o[1], self.organization(o)) for o in hubs))
        base = await self.incubation_base()
        await self.gather(
            *(self.flow(o[1], self.organization(o, base["id"])) for o in D.ORGANIZATIONS if o not in hubs)
        )
        await self.gather(
            *(
                self.flow(name, self.station(township, name, operator, staff))
                for township, name, operator, staff in D.STATIONS
            ),
            *(self.flow(f"{D.area_name(c)}社会工作室", self.room(c)) for c in D.ROOMS),
        )

    async def county_lists(self, county: str) -> None:
        """The county's communities and its purchase list of the year."""
        await self.put(
            "/communities",
            self.mz(county),
            {"area_code": county, "codes": [c for c in D.COMMUNITIES if c.startswith(county)]},
        )
        await self.put(
            f"/purchase-list/{county}/{self.year}",
            self.mz(county),
            {
                "items": [
                    {"code": code, "name": name, "category": category, "max_budget_fen": ceiling}
                    for code, name, category, ceiling in D.PURCHASE_LISTS[county]
                ]
            },
        )

    async def incubation_base(self) -> dict:
        mz = self.mz(D.URBAN_COUNTY)
        return await self.create(
            "platform:incubation_base",
            "/platforms",
            mz,
            {
                "kind": "incubation_base",
                "name": "长安区社区社会组织孵化基地",
                "area_code": D.URBAN_COUNTY,
                "operator_uscc": self.uscc("hub_changan"),
                "contract_until": f"{self.year + 1}-12-31",
                "staff": 3,
                "opened_on": "2024-06-01",
            },
            idem=True,
        )

    async def organization(self, org: tuple, base_id: str | None = None) -> None:
        key, name, legal_type, category, area, flags, staff, admins = org
        uscc, mz = self.uscc(key), self.mz(area)
        body = {
            "name": name,
            "uscc": uscc,
            "legal_type": legal_type,
            "category": category,
            "area_code": area,
            "hub": bool(flags.get("hub")),
            "social_work_agency": bool(flags.get("social_work_agency")),
            "charity_certified": bool(flags.get("charity_certified")),
            "full_time_staff": staff,
            "admin_accounts": admins,
        }
        if flags.get("incubated") and base_id:
            body["incubation"] = {"base_id": base_id, "since": "2025-03-01"}
        await self.create(
            f"org:{key}",
            "/organizations",
            mz,
            body,
            lookup=lambda: self.get(f"/organizations/{uscc}", mz, missing_ok=True),
        )

    async def station(self, township: str, name: str, operator: str, staff: int) -> None:
        mz = self.mz(township)

        async def lookup():
            found = await self.get("/platforms", mz, {"area": township, "kind": "station"})
            return found[0] if found else None

        await self.create(
            f"platform:station:{township}",
            "/platforms",
            mz,
            {
                "kind": "station",
                "name": name,
                "area_code": township,
                "operator_uscc": self.uscc(operator),
                "contract_until": f"{self.year + 1}-12-31",
                "staff": staff,
                "opened_on": "2024-03-01",
            },
            idem=True,
            lookup=lookup,
        )

    async def room(self, area: str) -> None:
        await self.create(
            f"platform:room:{area}",
            "/platforms",
            self.mz(area),
            {
                "kind": "room",
                "name": f"{D.area_name(area)}社会工作室",
                "area_code": area,
                "staff": 1,
                "opened_on": "2025-01-15",
            },
            idem=True,
        )

    # 2 --- funds and donations ------------------------------------------------------------------------------------
    async def funds(self) -> None:
        for key, name, kind, area, opening, budget in D.FUNDS:
            fund = await self.create(
                f"fund:{key}", "/funds", self.mz(area), {"name": name, "kind": kind, "area_code": area}
            )
            if budget:
                await self.put(f"/funds/{fund['id']}/budgets", self.mz(area), {"year": self.year, "amount_fen": budget})
            if opening:  # the year's appropriation
                await self.create(
                    f"donation:{key}:opening",
                    "/donations",
                    self.maker(area),
                    {"fund_id": fund["id"], "amount_fen": opening, "donor": {"kind": "anonymous"}},
                )
        await self.gather(*(self.flow(gift[0], self.give(*gift)) for gift in self.gifts()))
        await self.flow("历史捐赠 / a year of donations", self.migrate_donations())

    async def migrate_donations(self) -> None:
        """The donations of the year before, each county's by its records migrator, in batches."""
        gifts = donations(self.plan.residents, self.anchor)
        areas = {key: area for key, _, _, area, *_ in D.FUNDS}
        for county in (D.URBAN_COUNTY, D.RURAL_COUNTY):
            theirs = [g | {"fund_id": self.need_field(f"fund:{f}")} for f, g in gifts if areas[f] == county]
            who = ("migrator", county, f"migration-{county}")
            for start in range(0, len(theirs), HISTORY_BATCH):
                batch = {"donations": theirs[start : start + HISTORY_BATCH]}
                await self.step(f"donation-history:{county}:{start}", "/donations/history", who, batch)
        self.say(f"  已迁移此前一年的捐赠 {len(gifts)} 笔 / {len(gifts)} donations of the year before")

    def gifts(self) -> list[tuple]:
        """The enterprises', the people's and the anonymous donations: (key, fund, amount, donor)."""
        gifts = []
        for i, (name, county, code, fund, amount, disclose) in enumerate(D.ENTERPRISES):
            gifts.append(
                (
                    f"donation:enterprise:{i}",
                    fund,
                    amount,
                    {
                        "kind": "enterprise",
                        "name": name,
                        "uscc": D.enterprise_uscc(county, code),
                        "disclose_name": disclose,
                    },
                )
            )
        for i, ((fund, amount, disclose), name) in enumerate(zip(D.PERSON_DONATIONS, self.plan.donors, strict=False)):
            gifts.append(
                (f"donation:person:{i}", fund, amount, {"kind": "person", "name": name, "disclose_name": disclose})
            )
        for i, (fund, amount) in enumerate(D.ANONYMOUS_DONATIONS):
            gifts.append((f"donation:anonymous:{i}", fund, amount, {"kind": "anonymous"}))
        return gifts

    async def give(self, key: str, fund: str, amount: int, donor: dict) -> None:
        area = next(f[3] for f in D.FUNDS if f[0] == fund)
        await self.create(
            key,
            "/donations",
            self.maker(area),
            {"fund_id": self.need_field(f"fund:{fund}"), "amount_fen": amount, "donor": donor},
        )
