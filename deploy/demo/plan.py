"""The demo's story, decided before a single request is sent: who lives where, who volunteers,
which need goes which way (raised only, routed, matched, resolved, judged, reopened, disputed …),
which volunteer serves it and when. Deterministic: the same anchor date gives the same plan, so
a second run sends the same requests (and the services recognise them)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from deploy.demo import data as D
from deploy.demo.data import Person

LOCAL = ZoneInfo("Asia/Shanghai")

# what happens to each need of a community
HOME_FATES = (
    ["raised"] * 3
    + ["raised_urgent", "routed_task", "routed_task", "routed_task", "referral"]
    + ["matched"] * 3
    + ["resolved"] * 2
    + ["closed"] * 8
    + ["reopened", "charity_pending", "charity_closed"]
    + ["project"] * 3
    + ["pool", "disputed", "mediated", "whistle", "referral_closed"]
)
URBAN_FATES = (
    ["raised"] * 3
    + ["routed_task"] * 2
    + ["referral"]
    + ["matched"] * 2
    + ["resolved"] * 2
    + ["closed"] * 9
    + ["reopened", "charity_closed"]
)
VILLAGE_FATES = (
    ["raised"] * 2
    + ["routed_task", "matched", "resolved"]
    + ["closed"] * 4
    + ["reopened", "charity_closed", "project", "project"]
)
RURAL_FATES = ["raised"] * 2 + ["routed_task", "matched", "resolved"] + ["closed"] * 4
EXTRA_FATES = {
    "130102002001": ["project", "project"],
    "130102007001": ["charity_pending", "referral_closed"],
    "130102001002": ["disputed"],
}
VOLUNTEER_FATES = {"routed_task", "matched", "resolved", "closed", "reopened", "disputed", "mediated"}
CHARITY_FATES = {"charity_pending", "charity_closed"}
ROUTE_OF = {
    **dict.fromkeys(VOLUNTEER_FATES, "volunteer_task"),
    **dict.fromkeys(CHARITY_FATES, "charity_aid"),
    "referral": "government_referral",
    "referral_closed": "government_referral",
    "project": "project",
    "pool": "project",
}
# the projects' needs: category and the residents they are for
PROJECT_NEEDS = {
    "130102001001": ("meal_aid", "empty_nest_elderly"),
    "130102002001": ("daily_care", "empty_nest_elderly"),
    "130125100200": ("tutoring", "left_behind_child"),
}
CHARITY_CATEGORIES = ["mobility_aid", "health_care", "daily_care"]
CHARITY_MILESTONES = {
    "mobility_aid": "购置轮椅一台并送达",
    "health_care": "支付住院自付医疗费用",
    "daily_care": "购置护理床及生活用品",
}
# the year's round of community activities (community, title, skills, month, day, hours, volunteers),
# each on its latest date at least a week before the demo's first run: hours in every month
ACTIVITIES = [
    ("130102001001", "重阳节敬老慰问活动", ["陪伴", "文艺表演"], 10, 18, 3, 7),
    ("130102001002", "老年人智能手机培训", ["手机教学"], 9, 3, 2, 5),
    ("130102001003", "春节送福进万家", ["文艺表演", "入户走访"], 2, 10, 3, 6),
    ("130102002001", "社区环境卫生整治", ["保洁"], 10, 23, 2, 6),
    ("130102002002", "义诊进社区", ["医疗护理"], 8, 9, 3, 5),
    ("130102007001", "反诈宣传进社区", ["入户走访"], 10, 30, 2, 6),
    ("130102007002", "学雷锋志愿服务日", ["保洁", "理发"], 3, 5, 3, 6),
    ("130125100200", "留守儿童暑期陪伴", ["课业辅导", "陪伴"], 7, 20, 3, 4),
    ("130125102200", "麦收时节留守老人帮扶", ["生活照料"], 6, 10, 4, 4),
    ("130102001001", "寒冬送温暖入户走访", ["入户走访", "陪伴"], 1, 10, 3, 5),
    ("130102002001", "元宵节包汤圆慰问空巢老人", ["陪伴"], 2, 12, 2, 5),
    ("130102001002", "清明文明祭扫引导", ["入户走访"], 4, 4, 3, 4),
    ("130125100200", "助残日上门服务", ["生活照料", "陪同就医"], 5, 18, 3, 4),
    ("130102007001", "端午节包粽子敬老", ["陪伴", "文艺表演"], 6, 8, 2, 5),
    ("130102001003", "暑期“四点半课堂”", ["课业辅导"], 7, 15, 3, 5),
    ("130125102200", "暑期留守儿童安全教育", ["课业辅导", "陪伴"], 8, 12, 2, 4),
    ("130102002002", "中秋月饼送邻里", ["入户走访", "陪伴"], 9, 20, 2, 5),
    ("130102007002", "冬季消防安全入户检查", ["入户走访", "家电维修"], 11, 15, 3, 5),
    ("130102001001", "冬季取暖设施检修", ["家电维修"], 12, 1, 3, 4),
]


def latest_date(today: date, month: int, day: int, gap: int = 7) -> date:
    """The latest date with this month and day at least `gap` days before `today`."""
    for year in (today.year, today.year - 1):
        candidate = date(year, month, day)
        if candidate <= today - timedelta(days=gap):
            return candidate
    return date(today.year - 2, month, day)


@dataclass
class Volunteer:
    index: int
    person: Person
    skills: list[str]
    party_member: bool
    level: str | None = None  # social-worker level
    employer: str = ""
    availability: list[dict] = field(default_factory=list)
    service_areas: list[str] = field(default_factory=list)
    guardian: dict | None = None
    used: int = 0  # tasks planned for them: each gets its own time slot

    @property
    def area(self) -> str:
        return self.person.area_code


@dataclass
class Need:
    index: int
    area: str
    resident: int
    fate: str
    category: str
    urgency: str
    groups: list[str]
    description: str
    channel: str
    window: dict | None = None
    volunteer: int | None = None
    slot: tuple[datetime, datetime] | None = None
    satisfaction: int | None = None
    by_resident: bool = False  # the resident confirms and judges with their own login
    code: bool = False  # checked in with the one-time code of the QR code on site
    amount_fen: int = 0  # charity aid

    @property
    def route(self) -> str | None:
        return ROUTE_OF.get(self.fate)


@dataclass
class Activity:
    index: int
    area: str
    title: str
    skills: list[str]
    start: datetime
    minutes: int
    volunteers: list[int]


class Plan:
    def __init__(self, today: date) -> None:
        self.today = today
        rng = random.Random(D.SEED)
        self.rng = rng
        people = D.People(rng)
        self.residents: list[Person] = D.residents(rng, people, today)
        self.volunteers: list[Volunteer] = []
        for area in D.COMMUNITIES:
            self._volunteers(rng, people, area)
        self.persona_volunteer = next(v.index for v in self.volunteers if v.area == D.HOME)
        self.committees: dict[str, list[tuple[Person, str, str | None]]] = {
            area: self._committee(rng, people, area) for area in D.COMMUNITIES
        }
        self.donors = [people.name("mid", rng.choice("mf")) for _ in D.PERSON_DONATIONS]
        self.needs: list[Need] = []
        by_area: dict[str, list[int]] = {}
        for i, person in enumerate(self.residents):
            by_area.setdefault(person.area_code, []).append(i)
        for queue in by_area.values():
            rng.shuffle(queue)
        self.by_area = by_area
        for area in D.COMMUNITIES:
            fates = (
                HOME_FATES
                if area == D.HOME
                else VILLAGE_FATES
                if area == D.VILLAGE
                else RURAL_FATES
                if area.startswith(D.RURAL_COUNTY)
                else URBAN_FATES
            ) + EXTRA_FATES.get(area, [])
            for fate in fates:
                self._need(rng, area, fate)
        home = [n for n in self.needs if n.area == D.HOME]
        self.persona_resident = next(n.resident for n in home if n.fate == "matched")
        self.activities = [self._activity(i, *a) for i, a in enumerate(ACTIVITIES)]

    # --- people ------------------------------------------------------------------------------------------
    def _volunteers(self, rng: random.Random, people: D.People, area: str) -> None:
        rural = area.startswith(D.RURAL_COUNTY)
        count = D.VOLUNTEERS_PER_COMMUNITY["rural" if rural else "urban"]
        workers = 1 if rural else 2
        for k in range(count):
            index = len(self.volunteers)
            if area == D.HOME and k == 0:  # the persona: an in-service party member who volunteers
                person = people.person(area, 42, self.today, "m")
                volunteer = Volunteer(
                    index, person, ["送餐", "陪伴", "入户走访", "陪同就医"], True, employer="石家庄市长安区税务局"
                )
            elif k <= workers:  # social workers: the professional support
                volunteer = self._social_worker(rng, people, area, index)
            elif area == "130102002001" and k == count - 1:  # a high-school student, with the guardian's consent
                volunteer = self._student(people, area, index)
            else:
                person = people.person(area, rng.randint(20, 68), self.today)
                skills = rng.sample(D.SKILLS, rng.randint(2, 4))
                party = rng.random() < 0.28
                employers = D.RURAL_EMPLOYERS if rural else D.EMPLOYERS
                employer = rng.choice(employers) if party and person.age_on(self.today) < 60 else ""
                volunteer = Volunteer(index, person, skills, party, employer=employer)
            volunteer.availability = self._availability(rng)
            if rng.random() < 0.3:
                volunteer.service_areas = [area[:9]]
            self.volunteers.append(volunteer)

    def _social_worker(self, rng: random.Random, people: D.People, area: str, index: int) -> Volunteer:
        person = people.person(area, rng.randint(24, 46), self.today)
        level = D.SOCIAL_WORKER_LEVELS[sum(1 for v in self.volunteers if v.level) % len(D.SOCIAL_WORKER_LEVELS)]
        skills = rng.sample(D.SOCIAL_WORK_SKILLS, 2) + rng.sample(D.SKILLS, 1)
        return Volunteer(
            index,
            person,
            list(dict.fromkeys(skills)),
            rng.random() < 0.5,
            level=level,
            employer=D.STATIONS_BY_TOWNSHIP[area[:9]],
        )

    def _student(self, people: D.People, area: str, index: int) -> Volunteer:
        person = people.person(area, 16, self.today)
        guardian = people.person(area, 44, self.today)
        return Volunteer(
            index,
            person,
            ["文艺表演", "手机教学"],
            False,
            guardian={"guardian_name": person.name[0] + guardian.name[1:], "guardian_phone": guardian.phone},
        )

    @staticmethod
    def _availability(rng: random.Random) -> list[dict]:
        slots = []
        for weekday in sorted(rng.sample(range(7), rng.randint(1, 3))):
            start = rng.choice((8, 9, 14, 15))
            slots.append(
                {"weekday": weekday, "start": f"{start:02d}:00", "end": f"{start + rng.choice((2, 3, 4)):02d}:00"}
            )
        return slots

    def _committee(self, rng: random.Random, people: D.People, area: str) -> list[tuple[Person, str, str | None]]:
        """The secretary, a deputy, a member, and part-time members from the other four actors (兼职委员)."""
        secretary = people.person(area, 48, self.today, "f")
        if area == D.HOME:
            secretary.name = "王红"  # the persona sj-wanghong
        seats = [
            (secretary, "secretary", None),
            (people.person(area, rng.randint(38, 55), self.today), "deputy_secretary", None),
            (people.person(area, rng.randint(30, 50), self.today), "member", None),
        ]
        actors = D.PART_TIME if area == D.HOME else D.PART_TIME[:2]
        seats += [(people.person(area, rng.randint(30, 58), self.today), "member", actor) for actor, _ in actors]
        return seats

    # --- needs ---------------------------------------------------------------------------------------------
    def _resident(self, area: str, tags: tuple[str, ...] = ()) -> int:
        queue = self.by_area[area]
        for i in queue:
            if not tags or set(tags) & set(self.residents[i].tags):
                queue.remove(i)
                return i
        return queue.pop(0)

    def _need(self, rng: random.Random, area: str, fate: str) -> None:
        urgency = rng.choices(("routine", "major", "urgent"), (6, 3, 1))[0]
        resident, category, urgency = self._subject(rng, area, fate, urgency)
        person = self.residents[resident]
        text = D.NEED_TEXTS[category][0] if fate == "mediated" else rng.choice(D.NEED_TEXTS[category])
        need = Need(
            len(self.needs),
            area,
            resident,
            fate,
            category,
            urgency,
            list(person.tags),
            text,
            rng.choices(("social_worker_visit", "grid_survey"), (3, 1))[0],
        )
        self._play_out(rng, need)
        self.needs.append(need)

    def _subject(self, rng: random.Random, area: str, fate: str, urgency: str) -> tuple[int, str, str]:
        """Whose need it is, and its category (and urgency): (resident, category, urgency)."""
        if fate == "project":
            category, tag = PROJECT_NEEDS[area]
            resident = self._resident(area, (tag,))
        elif fate in CHARITY_FATES:
            resident = self._resident(area, ("subsistence", "extreme_poverty", "disabled"))
            category = (
                "mobility_aid" if "disabled" in self.residents[resident].tags else rng.choice(CHARITY_CATEGORIES[1:])
            )
        elif fate in ("whistle", "raised_urgent"):
            resident = self._resident(area, ("empty_nest_elderly", "left_behind_elderly"))
            category, urgency = ("meal_aid" if fate == "whistle" else "health_care"), "urgent"
        else:
            resident = self._resident(
                area,
                (
                    "empty_nest_elderly",
                    "left_behind_elderly",
                    "disabled",
                    "child_in_difficulty",
                    "left_behind_child",
                    "subsistence",
                )
                if rng.random() < 0.75
                else (),
            )
            tags = self.residents[resident].tags
            category = rng.choice(D.GROUP_CATEGORIES[tags[0] if tags else ""])
            if fate == "pool":
                category = "meal_aid"
            elif fate == "mediated":  # a family quarrel over the care of an old parent
                category = "legal_aid"
        return resident, category, urgency

    def _play_out(self, rng: random.Random, need: Need) -> None:
        """Who serves the need and when, how the resident judges it, what charity pays."""
        fate = need.fate
        wanted = None  # the day the resident asked for (drawn here: the plan's random sequence stays the same)
        if fate in VOLUNTEER_FATES and rng.random() < 0.5:
            wanted = self.today + timedelta(days=rng.randint(3, 12))
        if fate in VOLUNTEER_FATES:
            self._assign(rng, need)
        if wanted is not None:
            need.window = self._window(need, wanted)
        if fate in ("closed", "mediated", "disputed"):
            need.satisfaction = rng.choices((5, 4), (7, 3))[0]
        elif fate == "reopened":
            need.satisfaction = rng.choice((1, 2))
        elif fate in ("charity_closed", "referral_closed", "project"):
            need.satisfaction = 5
        need.by_resident = fate in ("closed", "resolved", "reopened") and rng.random() < 0.3
        if fate in CHARITY_FATES:
            need.amount_fen = rng.choice((200_000, 350_000, 500_000, 800_000))

    def _assign(self, rng: random.Random, need: Need) -> None:
        """The volunteer who serves the need, and when: each of their services gets its own day."""
        home_persona = need.area == D.HOME and (
            need.fate in ("routed_task", "resolved", "matched", "closed")
            and not any(n.volunteer == self.persona_volunteer and n.fate == need.fate for n in self.needs)
        )
        if home_persona:
            volunteer = self.volunteers[self.persona_volunteer]
            need.code = True
        else:
            skill = D.CATEGORY_SKILL[need.category]
            pool = [
                v
                for v in self.volunteers
                if v.area == need.area and v.guardian is None and v.index != self.persona_volunteer
            ]
            volunteer = min(pool, key=lambda v: (skill not in v.skills, v.used, v.index))
            need.code = rng.random() < 0.2
        need.volunteer = volunteer.index
        if need.fate == "routed_task":
            return  # invited, not answered yet
        n, i = volunteer.used, volunteer.index
        volunteer.used += 1
        day = self.today - timedelta(days=1 + 3 * n + i % 3)
        start = datetime.combine(day, time(9 if (n + i) % 2 == 0 else 14, 30 if i % 2 else 0), LOCAL)
        need.slot = (start, start + timedelta(minutes=(60, 90, 120, 150)[(i + n) % 4]))

    @staticmethod
    def _window(need: Need, wanted: date) -> dict:
        """A need already served asked for the time it was served (its hours must lie in the task's
        window); one still waiting asks for a morning of the coming days."""
        start, end = need.slot or (datetime.combine(wanted, time(9), LOCAL), None)
        return {"start": start.isoformat(), "end": (end or start + timedelta(hours=2)).isoformat()}

    def _activity(
        self, index: int, area: str, title: str, skills: list[str], month: int, day: int, hours: int, size: int
    ) -> Activity:
        pool = [v for v in self.volunteers if v.area == area]
        pool.sort(key=lambda v: (not set(skills) & set(v.skills), v.index))
        start = datetime.combine(latest_date(self.today, month, day), time(9), LOCAL)
        return Activity(index, area, title, skills, start, hours * 60, [v.index for v in pool[:size]])

    # --- lookups ---------------------------------------------------------------------------------------------
    def volunteers_of(self, area: str) -> list[Volunteer]:
        return [v for v in self.volunteers if v.area.startswith(area)]

    def needs_of(self, fate: str, area: str | None = None) -> list[Need]:
        return [n for n in self.needs if n.fate == fate and (area is None or n.area == area)]


# --- the projects: who proposes each (the texts are deploy/demo/data.py's), for which needs, the bids -----------
BIDS = (  # project, organization, price (fen)
    ("meals", "leling", 7_500_000),
    ("meals", "renhe", 7_800_000),
    ("meals", "linli", 7_900_000),
    ("care", "leling", 4_200_000),
    ("care", "renhe", 4_400_000),
    ("village", "yangguang", 2_800_000),
    ("village", "guanai", 2_900_000),
    ("tutor", "renhe", 1_900_000),
)
BID_SCORES = {  # what the evaluators give each bid
    "meals": {
        "leling": {"plan": 93, "price": 86, "team": 91},
        "renhe": {"plan": 86, "price": 83, "team": 84},
        "linli": {"plan": 78, "price": 80, "team": 72},
    },
    "care": {
        "leling": {"plan": 90, "price": 88, "team": 89},
        "renhe": {"plan": 84, "price": 85, "team": 80},
    },
    "village": {
        "yangguang": {"plan": 90, "price": 88, "team": 87},
        "guanai": {"plan": 82, "price": 85, "team": 76},
    },
}
Role = Callable[[str], tuple[str, str, str]]  # area → (role, area, sub): the demo's social worker, civil affairs


def project_specs(sw: Role, mz: Role) -> dict[str, dict]:
    """One project graded 优秀 (meals), two in delivery (care, village), one open for bids (tutor), a draft
    (phones): who proposes it, the needs of the demand pool it takes, its evaluators and their scores."""
    home, care_area, village = D.HOME, "130102002001", D.VILLAGE
    return {
        "meals": {
            "who": sw(home),
            "need_fate": ("project", home),
            "body": D.PROJECTS["meals"],
            "evaluators": (sw(D.URBAN_COUNTY), mz(D.URBAN_COUNTY)),
            "scores": BID_SCORES["meals"],
        },
        "care": {
            "who": sw(care_area),
            "need_fate": ("project", care_area),
            "body": D.PROJECTS["care"],
            "evaluators": (sw(D.URBAN_COUNTY), mz(D.URBAN_COUNTY)),
            "scores": BID_SCORES["care"],
        },
        "tutor": {"who": sw("130102007001"), "body": D.PROJECTS["tutor"]},
        "village": {
            "who": sw(village),
            "need_fate": ("project", village),
            "body": D.PROJECTS["village"],
            "evaluators": (sw(D.RURAL_COUNTY), mz(D.RURAL_COUNTY)),
            "scores": BID_SCORES["village"],
        },
        "phones": {"who": sw("130102002002"), "submit": False, "body": D.PROJECTS["phones"]},
    }


# --- the console's development sign-in personas ------------------------------------------------------------------
PERSONA_IDS = [
    "social_worker",
    "grid_worker",
    "party_secretary",
    "civil_affairs_county",
    "civil_affairs_city",
    "civil_affairs_province",
    "charity_admin",
    "org_admin",
    "volunteer",
    "resident",
    "auditor",
    "social_worker_rural",
]


def sign_in_personas(plan: Plan, volunteer_ref: str | None, resident_ref: str | None) -> list[dict]:
    """deploy/demo/data.py's personas and the plan's people, in PERSONA_IDS's order; one whose login
    (sub) is not known is left out."""
    people = {**D.PERSONAS, **plan_personas(plan, volunteer_ref, resident_ref)}
    return [
        {
            "id": pid,
            "label_zh": zh,
            "label_en": en,
            "role": role,
            "area": area,
            "sub": sub,
            "description_zh": description,
        }
        for pid, zh, en, role, area, sub, description in [(pid, *people[pid]) for pid in PERSONA_IDS]
        if sub
    ]


def plan_personas(plan: Plan, volunteer_ref: str | None, resident_ref: str | None) -> dict[str, tuple]:
    """The personas who are people of the plan: the party secretary, the volunteer, the resident."""
    home = D.HOME
    volunteer = plan.volunteers[plan.persona_volunteer]
    resident = plan.residents[plan.persona_resident]
    secretary = plan.committees[home][0][0].name
    return {
        "party_secretary": (
            f"社区党委书记 {secretary}",
            "Community party secretary",
            "party_secretary",
            home,
            D.party_secretary(home),
            "建北街道001号社区党委书记（党委委员席位）：先议后决、吹哨报到、联席会议",
        ),
        "volunteer": (
            f"志愿者 {volunteer.person.name}",
            "Volunteer (party member)",
            "volunteer",
            home,
            volunteer_ref,
            "建北街道001号社区志愿者、在职党员：接受任务邀请、签到签退、时间银行、爱心积分、吹哨报到",
        ),
        "resident": (
            f"居民 {resident.name}",
            "Resident",
            "resident",
            home,
            resident_ref,
            "建北街道001号社区空巢老人：自主上报需求、确认需求已解决并评价服务",
        ),
    }
