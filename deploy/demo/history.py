"""The demo's past (演示数据的一年历史): the ended needs and the donations of the twelve months
before the demo's first run, as an earlier system would hand them over — migrated through
POST /needs/history and POST /donations/history, each with the times it states. Deterministic for a given anchor, and drawn with its own random source,
so that the present-day plan (deploy/demo/plan.py) stays as it is.

The story: winter (heating, the Spring Festival, old people alone) and the summer holidays
(children left behind) bring more needs; urgent ones are answered within hours, routine ones in a
day or three; the communities grow quicker over the year; most residents are satisfied. Donations come in every month, most around the Spring Festival and
China Charity Day (5 September, 99公益日); the children's fund before the summer holidays."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from deploy.demo import data as D
from deploy.demo.data import Person
from deploy.demo.plan import LOCAL

MONTHS = 12
HISTORY_BATCH = 60  # records a request carries: within the 64 KiB a request body may have
PER_MONTH = {"urban": 7, "rural": 4}  # ended needs of one community in an ordinary month
SEASON = {1: 1.45, 2: 1.35, 3: 1.0, 4: 0.9, 5: 0.85, 6: 1.0, 7: 1.25, 8: 1.3, 9: 0.95, 10: 0.9, 11: 1.1, 12: 1.4}
WINTER = {"meal_aid": 3, "daily_care": 3, "health_care": 2, "other": 2, "emotional_comfort": 2, "bath_aid": 1}
SUMMER = {"tutoring": 4, "recreation": 2, "counselling": 1, "health_care": 1, "meal_aid": 1}
ORDINARY = {c: 1 for c in D.NEED_TEXTS} | {"daily_care": 2, "mobility_aid": 2, "meal_aid": 2}
ROUTES = {"volunteer_task": 6, "project": 2, "charity_aid": 1, "government_referral": 1}
# median hours to the first response, by urgency, at the start of the year (the end: 60 % of it)
RESPONSE_H = {"urgent": 2.0, "major": 9.0, "routine": 30.0}


def categories_of(month: int) -> dict[str, int]:
    return WINTER if month in (11, 12, 1, 2) else SUMMER if month in (7, 8) else ORDINARY


def month_starts(today: datetime) -> list[datetime]:
    """The first moments of the `MONTHS` months before today's, oldest first."""
    starts = []
    for back in range(MONTHS, 0, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        starts.append(datetime(year, month + 1, 1, tzinfo=LOCAL))
    return starts


def history(residents: list[Person], anchor: datetime) -> list[dict]:
    """Every ended need of the year before `anchor`, as POST /needs/history takes them."""
    rng = random.Random(f"{D.SEED}-history")
    now = anchor.astimezone(LOCAL)
    by_area: dict[str, list[Person]] = {}
    for person in residents:
        by_area.setdefault(person.area_code, []).append(person)
    records = []
    for m, start in enumerate(month_starts(now)):
        for area in D.COMMUNITIES:
            kind = "rural" if area.startswith(D.RURAL_COUNTY) else "urban"
            for _ in range(round(PER_MONTH[kind] * SEASON[start.month] * rng.uniform(0.8, 1.2))):
                record = _need(rng, by_area[area], area, start, m / (MONTHS - 1), now, len(records))
                if record:
                    records.append(record)
    return records


def _need(
    rng: random.Random, people: list[Person], area: str, month: datetime, progress: float, now: datetime, n: int
) -> dict | None:
    person = rng.choice(people)
    category = rng.choices(*zip(*categories_of(month.month).items(), strict=True))[0]
    urgency = rng.choices(("routine", "major", "urgent"), (6, 3, 1))[0]
    day = rng.randrange(28 if month.month == 2 else 30)
    raised = datetime.combine((month + timedelta(days=day)).date(), time(rng.randint(8, 17), rng.randrange(60)), LOCAL)
    hours = RESPONSE_H[urgency] * (1.0 - 0.4 * progress) * rng.lognormvariate(0, 0.6)
    first = raised + timedelta(hours=max(hours, 0.25))
    record = {
        "legacy_ref": f"HIS-{area}-{raised:%Y%m}-{n:04d}",
        "area_code": area,
        "category": category,
        "urgency": urgency,
        "channel": rng.choices(("social_worker_visit", "grid_survey", "self_report"), (5, 3, 1))[0],
        "description": rng.choice(D.NEED_TEXTS[category]),
        "target_groups": list(person.tags),
        "resident": {"name": person.name, "phone": person.phone, "citizen_id": person.citizen_id},
        "raised_at": raised.isoformat(),
        "first_response_at": first.isoformat(),
    }
    if rng.random() < 0.06:  # 退回: not the community's to take on (e.g. a private dispute)
        return record | {"outcome": "returned"}
    resolved = first + timedelta(days=min(rng.lognormvariate(1.5, 0.7), 40))
    feedback = resolved + timedelta(hours=rng.uniform(4, 72))
    route = rng.choices(*zip(*ROUTES.items(), strict=True))[0]
    if resolved > now - timedelta(hours=1):
        return None  # still open when the earlier system stopped: such needs are raised anew
    if feedback > now - timedelta(hours=1) or rng.random() < 0.03:
        return record | {"outcome": "resolved", "route": route, "resolved_at": resolved.isoformat()}
    satisfaction = rng.choices((3, 4, 5), (1, 4, 7))[0]
    return record | {
        "outcome": "closed",
        "route": route,
        "resolved_at": resolved.isoformat(),
        "satisfaction": satisfaction,
        "feedback_at": feedback.isoformat(),
    }


# fund → (donations in an ordinary month, month → factor)
GIVING = {
    "foundation": (6, {1: 1.6, 2: 1.8, 9: 2.5, 12: 1.3}),
    "xt_children": (2, {5: 1.8, 6: 2.0, 9: 1.5}),
}


def donations(residents: list[Person], anchor: datetime) -> list[tuple[str, dict]]:
    """(fund key, donation as POST /donations/history takes it, without its fund_id) of the year
    before `anchor`: people giving ¥50–2,000, now and then an enterprise, some anonymously."""
    rng = random.Random(f"{D.SEED}-giving")
    gifts = []
    for start in month_starts(anchor.astimezone(LOCAL)):
        for fund, (ordinary, season) in GIVING.items():
            for _ in range(round(ordinary * season.get(start.month, 1.0) * rng.uniform(0.7, 1.3))):
                day = rng.randrange(28)
                at = datetime.combine(
                    (start + timedelta(days=day)).date(), time(rng.randint(8, 21), rng.randrange(60)), LOCAL
                )
                gift = {"legacy_ref": f"HIS-{fund}-{at:%Y%m%d%H%M}-{len(gifts):04d}", "received_at": at.isoformat()}
                gifts.append((fund, gift | _gift(rng, residents, fund)))
    return gifts


def _gift(rng: random.Random, residents: list[Person], fund: str) -> dict:
    kind = rng.choices(("person", "anonymous", "enterprise"), (6, 3, 1))[0]
    if kind == "enterprise":
        name, county, code, *_ = rng.choice([e for e in D.ENTERPRISES if e[3] == fund] or D.ENTERPRISES)
        donor = {"kind": kind, "name": name, "uscc": D.enterprise_uscc(county, code), "disclose_name": True}
        return {"donor": donor, "amount_fen": rng.choice((500_000, 1_000_000, 2_000_000))}
    amount = rng.choice((5_000, 10_000, 20_000, 50_000, 100_000, 200_000))
    if kind == "anonymous":
        return {"donor": {"kind": kind}, "amount_fen": amount}
    donor = {"kind": kind, "name": rng.choice(residents).name, "disclose_name": rng.random() < 0.3}
    return {"donor": donor, "amount_fen": amount}
