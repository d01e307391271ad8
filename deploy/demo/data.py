"""The demo's data: places, people, organizations, money and texts of a Hebei county and a rural
county. Pure data and deterministic generators (random.Random(seed)); no I/O. The loader that
sends it through the public APIs is deploy/demo/."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from contracts.areas import lookup
from contracts.values import citizen_id_check_char, uscc_check_char

SEED = 79  # 冀民〔2021〕79号

# --- geography ---------------------------------------------------------------------------------------
URBAN_COUNTY, RURAL_COUNTY, CITY, PROVINCE = "130102", "130125", "130100", "130000"  # 长安区, 行唐县, 石家庄市, 河北省
STREETS = {  # 街道 / 乡镇 → its villages and communities (12-digit codes: 001–199 社区, 200–399 村)
    "130102001": ["130102001001", "130102001002", "130102001003"],  # 建北街道
    "130102002": ["130102002001", "130102002002"],  # 青园街道
    "130102007": ["130102007001", "130102007002"],  # 河东街道
    "130125100": ["130125100200", "130125100201"],  # 龙州镇
    "130125102": ["130125102200"],  # 上碑镇
}
COMMUNITIES = [c for cs in STREETS.values() for c in cs]
URBAN = [c for c in COMMUNITIES if c.startswith(URBAN_COUNTY)]
RURAL = [c for c in COMMUNITIES if c.startswith(RURAL_COUNTY)]
HOME = "130102001001"  # the community the personas work in
VILLAGE = "130125100200"  # the rural village of the rural social worker
# residential compounds (urban) or village groups (rural), for addresses
PLACES = {
    "130102001001": ["建北小区", "光华里", "中华北大街18号院"],
    "130102001002": ["北焦小区", "建设北大街64号院"],
    "130102001003": ["和平东路小区", "建明里"],
    "130102002001": ["青园小区", "体育北大街9号院"],
    "130102002002": ["青园东里", "联盟路小区"],
    "130102007001": ["河东小区", "谈固南大街21号院"],
    "130102007002": ["东三教小区", "河东新村"],
    "130125100200": ["一组", "二组", "三组"],
    "130125100201": ["东街", "西街"],
    "130125102200": ["前街", "后街", "南坡"],
}


def area_name(code: str) -> str:
    return lookup(code).name


def county_of(code: str) -> str:
    return code[:6]


# --- accounts (token subjects) -----------------------------------------------------------------------
# civil affairs and charity of each county, the city and the province
MZ = {URBAN_COUNTY: "mz-changan-li", RURAL_COUNTY: "mz-xingtang-wu", CITY: "mz-sjz-chen", PROVINCE: "mzt-hebei-sun"}
CHARITY_MAKER = {URBAN_COUNTY: "cs-changan-wang", RURAL_COUNTY: "cs-xingtang-li"}
CHARITY_CHECKER = {URBAN_COUNTY: "cs-changan-zhao", RURAL_COUNTY: "cs-xingtang-ma"}
COUNTY_SOCIAL_WORKER = {URBAN_COUNTY: "sg-changan-zhang", RURAL_COUNTY: "sg-xingtang-feng"}
AUDITOR = "sj-changan-he"
# community workers: the personas' community and the rural village have named ones
SOCIAL_WORKER = {HOME: "sg-liuna", VILLAGE: "sg-longzhou-guo"}
GRID_WORKER = {HOME: "wg-zhaolei"}
PARTY_SECRETARY = {HOME: "sj-wanghong"}


def social_worker(code: str) -> str:
    return SOCIAL_WORKER.get(code, f"sg-{code}")


def grid_worker(code: str) -> str:
    return GRID_WORKER.get(code, f"wg-{code}")


def party_secretary(code: str) -> str:
    return PARTY_SECRETARY.get(code, f"sj-{code}")


# --- people ----------------------------------------------------------------------------------------------
# common surnames, the frequent ones of Hebei weighted up
SURNAMES = (
    "王" * 9
    + "李" * 8
    + "张" * 8
    + "刘" * 7
    + "赵" * 5
    + "杨" * 4
    + "高" * 3
    + "孙" * 3
    + "马" * 3
    + "陈" * 3
    + "郭" * 2
    + "周" * 2
    + "吴" * 2
    + "徐" * 2
    + "胡" * 2
    + "朱" * 2
    + "田" * 2
    + "韩" * 2
    + "冯" * 2
    + "董" * 2
    + "梁"
    + "宋"
    + "郑"
    + "谢"
    + "唐"
    + "于"
    + "曹"
    + "袁"
    + "邓"
    + "许"
    + "程"
    + "魏"
    + "贾"
    + "崔"
    + "石"
    + "安"
    + "靳"
    + "庞"
    + "阎"
    + "耿"
    + "谷"
    + "苏"
    + "卢"
    + "蔡"
    + "薛"
)
GIVEN = {  # (generation, sex) → given names
    ("old", "m"): [
        "建国",
        "国庆",
        "福生",
        "德明",
        "振华",
        "广才",
        "玉山",
        "树林",
        "宝山",
        "文斌",
        "富贵",
        "长海",
        "学文",
        "占元",
        "金锁",
        "洪恩",
        "志远",
        "凤岐",
    ],
    ("old", "f"): [
        "秀英",
        "桂兰",
        "玉兰",
        "淑珍",
        "凤英",
        "秀兰",
        "桂英",
        "淑兰",
        "玉珍",
        "翠花",
        "素芬",
        "玉梅",
        "兰英",
        "秀珍",
        "桂芝",
        "淑芬",
        "凤琴",
        "月娥",
    ],
    ("mid", "m"): [
        "建军",
        "志强",
        "卫东",
        "晓东",
        "海军",
        "立新",
        "红军",
        "建华",
        "永刚",
        "志刚",
        "国栋",
        "海涛",
        "春生",
        "振江",
        "学军",
        "向东",
    ],
    ("mid", "f"): [
        "海燕",
        "丽娟",
        "红梅",
        "春梅",
        "丽萍",
        "秀芳",
        "晓红",
        "艳玲",
        "彩霞",
        "慧敏",
        "丽华",
        "玉霞",
        "红霞",
        "雪梅",
        "桂香",
        "淑敏",
    ],
    ("young", "m"): ["浩然", "梓轩", "宇航", "博文", "子墨", "明轩", "一鸣", "俊杰", "天佑", "嘉豪", "思远", "子豪"],
    ("young", "f"): ["子涵", "欣怡", "雨桐", "一诺", "思雨", "佳琪", "梦瑶", "诗涵", "可欣", "语嫣", "若曦", "雨萱"],
}
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "178",
    "180",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
)


@dataclass
class Person:
    name: str
    sex: str  # m | f
    born: date
    citizen_id: str
    phone: str
    area_code: str
    address: str = ""
    tags: list[str] = field(default_factory=list)
    disability_grade: int | None = None
    guardian: int | None = None  # index of the guardian among the residents (minors)

    def age_on(self, day: date) -> int:
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))


class People:
    """Names, citizen IDs (GB 11643 check digit) and phones, deterministic and never repeated."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()
        self.phones: set[str] = set()

    def name(self, generation: str, sex: str) -> str:
        for _ in range(50):
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN[(generation, sex)])
            if name not in self.names:
                break
        self.names.add(name)
        return name

    def citizen_id(self, county: str, born: date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != (sex == "m"):  # the 17th digit: odd for men, even for women
                seq = (seq + 1) % 1000
            body = f"{county}{born:%Y%m%d}{seq:03d}"
            cid = body + citizen_id_check_char(body)
            if cid not in self.ids:
                self.ids.add(cid)
                return cid

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def person(self, area: str, age: int, today: date, sex: str | None = None) -> Person:
        sex = sex or self.rng.choice("mf")
        generation = "old" if age >= 55 else "mid" if age >= 25 else "young"
        born = date(today.year - age, self.rng.randrange(1, 13), self.rng.randrange(1, 29))
        if (born.month, born.day) > (today.month, today.day):  # keep the age exact (also on 29 February)
            born = born.replace(year=born.year - 1)
        return Person(
            self.name(generation, sex), sex, born, self.citizen_id(county_of(area), born, sex), self.phone(), area
        )

    def address(self, area: str) -> str:
        place = self.rng.choice(PLACES[area])
        if area.startswith(RURAL_COUNTY):
            return f"{area_name(area)}{place}{self.rng.randrange(1, 60)}号"
        return f"{place}{self.rng.randrange(1, 25)}号楼{self.rng.randrange(1, 5)}单元{self.rng.randrange(1, 7)}0{self.rng.randrange(1, 4)}室"


# residents per community: (urban, rural)
RESIDENTS_PER_COMMUNITY = {"urban": 36, "rural": 18}
# the vulnerable groups of the policy, as (tags, age range, share); the rest are ordinary residents
URBAN_GROUPS = [
    (["empty_nest_elderly"], (68, 92), 0.30),
    (["empty_nest_elderly", "disabled"], (70, 88), 0.06),
    (["subsistence"], (40, 75), 0.12),
    (["extreme_poverty"], (60, 85), 0.05),
    (["disabled"], (30, 65), 0.07),
    (["child_in_difficulty"], (6, 15), 0.06),
]
RURAL_GROUPS = [
    (["left_behind_elderly"], (65, 88), 0.25),
    (["left_behind_child"], (5, 14), 0.20),
    (["left_behind_woman"], (28, 50), 0.10),
    (["subsistence"], (45, 75), 0.10),
    (["extreme_poverty"], (60, 85), 0.05),
    (["disabled"], (35, 70), 0.05),
]


def residents(rng: random.Random, people: People, today: date) -> list[Person]:
    """A few hundred residents: adults first (every minor's guardian is an adult registered before them)."""
    adults: list[Person] = []
    minors: list[Person] = []
    for area in COMMUNITIES:
        rural = area.startswith(RURAL_COUNTY)
        groups = RURAL_GROUPS if rural else URBAN_GROUPS
        count = RESIDENTS_PER_COMMUNITY["rural" if rural else "urban"]
        for _i in range(count):
            roll, tags, ages = rng.random(), [], (25, 70)
            for group_tags, group_ages, share in groups:
                if roll < share:
                    tags, ages = list(group_tags), group_ages
                    break
                roll -= share
            person = people.person(area, rng.randint(*ages), today)
            person.tags, person.address = tags, people.address(area)
            if "disabled" in tags:
                person.disability_grade = rng.randint(1, 4)
            (minors if person.age_on(today) < 18 else adults).append(person)
    for minor in minors:  # a guardian: a grandparent in the village, a parent in town, registered beforehand
        rural = minor.area_code.startswith(RURAL_COUNTY)
        guardian = people.person(minor.area_code, rng.randint(62, 75) if rural else rng.randint(32, 48), today)
        guardian.address = minor.address
        guardian.tags = ["left_behind_elderly"] if rural else []
        guardian.name = minor.name[0] + guardian.name[1:] if not rural else guardian.name
        adults.append(guardian)
        minor.guardian, minor.phone = len(adults) - 1, guardian.phone  # a child is reached through the guardian
    return adults + minors


# --- volunteers and social workers -----------------------------------------------------------------------
VOLUNTEERS_PER_COMMUNITY = {"urban": 12, "rural": 6}
SKILLS = [
    "送餐",
    "陪伴",
    "助浴",
    "理发",
    "家电维修",
    "法律咨询",
    "心理疏导",
    "课业辅导",
    "医疗护理",
    "文艺表演",
    "入户走访",
    "陪同就医",
    "生活照料",
    "保洁",
    "驾驶",
    "手机教学",
]
SOCIAL_WORK_SKILLS = ["心理疏导", "入户走访", "个案管理", "小组工作", "社区活动策划"]
SOCIAL_WORKER_LEVELS = ["assistant", "assistant", "social_worker", "assistant", "social_worker", "senior"]
EMPLOYERS = [
    "石家庄市第二医院",
    "长安区实验小学",
    "河北某电力公司",
    "石家庄市某局",
    "长安区税务局",
    "中国银行石家庄分行",
    "河北师范大学",
    "石家庄市公交总公司",
    "长安区人民法院",
    "河北某律师事务所",
    "长安区卫健局",
    "石家庄市某中学",
]
RURAL_EMPLOYERS = ["行唐县人民医院", "龙州镇中心小学", "行唐县农商银行", "行唐县农业农村局", "上碑镇卫生院"]
TEAMS = {  # 志愿服务队 of each street or township
    "130102001": "建北助老志愿服务队",
    "130102002": "青园邻里守望志愿服务队",
    "130102007": "河东青年志愿服务队",
    "130125100": "龙州镇巾帼志愿服务队",
    "130125102": "上碑镇乡村振兴志愿服务队",
}
COURSES = ["老年人沟通技巧", "志愿服务礼仪与安全", "困境儿童关爱服务技巧", "急救知识与心肺复苏"]  # the teams' trainings

# --- need texts ----------------------------------------------------------------------------------------------
CATEGORY_SKILL = {
    "meal_aid": "送餐",
    "daily_care": "生活照料",
    "bath_aid": "助浴",
    "mobility_aid": "陪同就医",
    "health_care": "医疗护理",
    "emotional_comfort": "陪伴",
    "counselling": "心理疏导",
    "recreation": "文艺表演",
    "legal_aid": "法律咨询",
    "tutoring": "课业辅导",
    "other": "家电维修",
}
NEED_TEXTS = {
    "meal_aid": [
        "独居老人行动不便，需要每日送午餐",
        "老两口年事已高，做饭困难，希望社区助餐点送餐上门",
        "老人术后恢复期，需要一段时间的送餐服务",
    ],
    "daily_care": ["老人卧床，需要每周上门协助清洁和生活照料", "高龄老人独居，需要定期上门整理家务、代购生活用品"],
    "bath_aid": ["失能老人需要每周上门助浴一次", "老人腿脚不便，洗澡时需要有人协助"],
    "mobility_aid": [
        "下肢残疾，需要轮椅和陪同就医",
        "每月需到医院复查，需要志愿者陪同就医",
        "行动不便，需要借用助行器并陪同外出",
    ],
    "health_care": ["患高血压、糖尿病，需要定期测量血压血糖、送药上门", "慢性病老人需要家庭医生定期上门随访"],
    "emotional_comfort": ["子女在外地工作，老人独居，希望有人定期陪伴聊天", "老伴去世后很少出门，希望有人常来看看"],
    "counselling": ["丧偶后情绪低落，需要心理疏导", "孩子厌学、情绪不稳定，家长希望得到专业心理支持"],
    "recreation": ["希望参加社区文艺活动，学习太极拳和合唱", "想学用智能手机和家人视频"],
    "legal_aid": ["赡养纠纷，需要法律咨询", "房屋租赁合同纠纷，希望得到法律援助"],
    "tutoring": ["父母外出务工，孩子课业跟不上，需要课业辅导", "困境儿童放学后无人看护，需要课后托管和作业辅导"],
    "other": ["家中电路老化，需要检修", "冬季取暖设备故障，需要上门维修"],
}
# what a vulnerable group typically needs
GROUP_CATEGORIES = {
    "empty_nest_elderly": ["meal_aid", "daily_care", "emotional_comfort", "health_care", "bath_aid", "other"],
    "left_behind_elderly": ["meal_aid", "emotional_comfort", "health_care", "daily_care"],
    "subsistence": ["health_care", "legal_aid", "daily_care", "other"],
    "extreme_poverty": ["daily_care", "meal_aid", "health_care"],
    "disabled": ["mobility_aid", "bath_aid", "daily_care"],
    "child_in_difficulty": ["tutoring", "counselling"],
    "left_behind_child": ["tutoring", "counselling"],
    "left_behind_woman": ["legal_aid", "counselling", "recreation"],
    "": ["recreation", "legal_aid", "other", "counselling"],
}
SERVICE_PLANS = {
    "volunteer_task": "派志愿者上门服务，社工跟进回访",
    "project": "纳入社区服务项目统一承接",
    "charity_aid": "申请慈善救助，定向捐赠解决",
    "government_referral": "转介民政部门办理救助",
}
FEEDBACK = {
    5: ["很及时，服务很周到", "志愿者很耐心，非常满意", "解决了大问题，谢谢社区", "服务热情，老人很高兴"],
    4: ["总体满意，时间上还可以再灵活些", "服务不错"],
    2: ["只来了一次，问题没有解决", "上门时间一再推迟"],
    1: ["没有解决问题"],
}

# --- organizations (统一社会信用代码: 5 = 民政, 1/2/3 = 社会团体/社会服务机构/基金会) ---------------------------------
LEGAL_TYPE_DIGIT = {"social_group": "1", "social_service_agency": "2", "foundation": "3"}


def org_uscc(legal_type: str, area: str, serial: int) -> str:
    body = f"5{LEGAL_TYPE_DIGIT[legal_type]}{area[:6]}MJ{serial:07d}"
    return body + uscc_check_char(body)


def enterprise_uscc(area: str, code: str) -> str:
    body = f"91{area[:6]}MA0{code}"
    return body + uscc_check_char(body)


# key, name, legal type, category, registration area, flags, full-time staff, administrators
ORGANIZATIONS = [
    ("hub_changan", "长安区社区社会组织联合会", "social_group", "other", URBAN_COUNTY, {"hub": True}, 6, ["oa-lianhe"]),
    (
        "hub_xingtang",
        "行唐县社区社会组织联合会",
        "social_group",
        "other",
        RURAL_COUNTY,
        {"hub": True},
        4,
        ["oa-xtlianhe"],
    ),
    (
        "leling",
        "长安区乐龄社会工作服务中心",
        "social_service_agency",
        "life_service",
        URBAN_COUNTY,
        {"social_work_agency": True},
        18,
        ["oa-leling-zhou"],
    ),
    (
        "renhe",
        "长安区仁和社会工作服务中心",
        "social_service_agency",
        "professional",
        URBAN_COUNTY,
        {"social_work_agency": True},
        12,
        ["oa-renhe"],
    ),
    (
        "yangguang",
        "行唐县阳光社会工作服务中心",
        "social_service_agency",
        "professional",
        RURAL_COUNTY,
        {"social_work_agency": True},
        9,
        ["oa-yangguang"],
    ),
    (
        "cishan",
        "长安区慈善协会",
        "social_group",
        "charity",
        URBAN_COUNTY,
        {"charity_certified": True},
        5,
        ["oa-cishan"],
    ),
    (
        "jijinhui",
        "石家庄市长安区社区公益基金会",
        "foundation",
        "charity",
        URBAN_COUNTY,
        {"charity_certified": True},
        4,
        [],
    ),
    ("linli", "长安区邻里互助协会", "social_group", "mutual_aid", URBAN_COUNTY, {}, 3, ["oa-linli"]),
    (
        "xiyanghong",
        "建北社区夕阳红文体队",
        "social_group",
        "culture_sports",
        "130102001001",
        {"incubated": True},
        0,
        ["oa-xiyanghong"],
    ),
    ("guanai", "龙州镇留守儿童关爱协会", "social_group", "charity", "130125100", {}, 2, ["oa-guanai"]),
]
ORG_ADMIN = "oa-leling-zhou"  # the persona: 乐龄's administrator
STATIONS = [  # 乡镇（街道）社会工作服务站 and its operator
    ("130102001", "建北街道社会工作服务站", "leling", 5),
    ("130102002", "青园街道社会工作服务站", "renhe", 4),
    ("130102007", "河东街道社会工作服务站", "leling", 3),
    ("130125100", "龙州镇社会工作服务站", "yangguang", 3),
    ("130125102", "上碑镇社会工作服务站", "yangguang", 2),
]
STATIONS_BY_TOWNSHIP = {township: name for township, name, _, _ in STATIONS}
ROOMS = ["130102001001", "130102001002", "130102002001", "130102007001", "130125100200"]  # 村（社区）社会工作室
PURCHASE_LISTS = {
    URBAN_COUNTY: [
        ("meal", "老年助餐服务", "meal_aid", 20_000_000),
        ("care", "居家养老照料", "daily_care", None),
        ("counsel", "心理疏导与精神慰藉", "counselling", 10_000_000),
        ("tutor", "困境儿童课业辅导", "tutoring", 5_000_000),
        ("legal", "法律援助进社区", "legal_aid", None),
        ("consult", "社区议事协商", "other", 8_000_000),
    ],
    RURAL_COUNTY: [
        ("leftchild", "农村留守儿童关爱", "tutoring", 10_000_000),
        ("leftold", "农村留守老人探访", "emotional_comfort", 10_000_000),
    ],
}

# --- money (fen) -------------------------------------------------------------------------------------------
FUNDS = [  # key, name, kind, area, opening money (anonymous transfer in), budget of the year
    ("foundation", "长安区社区基金会", "community_foundation", URBAN_COUNTY, 0, None),
    ("purchase", "长安区政府购买服务资金", "government_purchase", URBAN_COUNTY, 100_000_000, None),
    ("assistance", "长安区社会救助专项经费", "social_assistance", URBAN_COUNTY, 30_000_000, 500_000_000),
    ("xt_purchase", "行唐县政府购买服务资金", "government_purchase", RURAL_COUNTY, 40_000_000, None),
    ("xt_children", "行唐县留守儿童关爱专项基金", "special_fund", RURAL_COUNTY, 0, None),
]
ENTERPRISES = [  # name, county, USCC organization code (6 chars), fund, amount, disclose
    ("石家庄市恒信商贸有限公司", URBAN_COUNTY, "C8K2N1", "foundation", 5_000_000, True),
    ("河北华建建设集团有限公司", URBAN_COUNTY, "D2F7H3", "foundation", 10_000_000, True),
    ("石家庄市惠民超市连锁有限公司", URBAN_COUNTY, "B6P3Q8", "foundation", 2_000_000, True),
    ("石家庄仁济医药连锁有限公司", URBAN_COUNTY, "E1R5T7", "foundation", 3_000_000, False),
    ("行唐县丰禾农业开发有限公司", RURAL_COUNTY, "G3K9M2", "xt_children", 3_000_000, True),
]
PERSON_DONATIONS = [  # fund, amount (fen), disclose the name
    ("foundation", 20_000, True),
    ("foundation", 50_000, False),
    ("foundation", 100_000, True),
    ("foundation", 500_000, True),
    ("foundation", 30_000, False),
    ("foundation", 200_000, True),
    ("foundation", 80_000, False),
    ("xt_children", 50_000, True),
    ("xt_children", 100_000, False),
]
ANONYMOUS_DONATIONS = [("foundation", 300_000), ("foundation", 60_000), ("xt_children", 200_000)]
# 爱心超市: item, unit, quantity, value (fen), price (points)
GOODS = [
    ("大米（5kg）", "袋", 40, 3500, 15),
    ("食用油（5L）", "桶", 20, 6900, 25),
    ("洗衣液（2kg）", "瓶", 30, 2500, 10),
    ("挂面（1kg）", "包", 50, 800, 4),
    ("毛巾", "条", 60, 1200, 5),
    ("保温杯", "个", 15, 4500, 20),
]

# --- party --------------------------------------------------------------------------------------------------
UNITS = {  # 责任单位 per community: name, categories
    "130102001001": [
        ("建北街道社区卫生服务中心", ["health_care"]),
        ("石家庄恒安物业服务有限公司", ["daily_care", "other"]),
        ("长安区建北司法所", ["legal_aid"]),
    ],
    "130102002001": [("青园街道社区卫生服务站", ["health_care"])],
    "130102007001": [("石家庄嘉和物业服务有限公司", ["daily_care", "other"])],
    "130125100200": [("龙州镇卫生院", ["health_care"])],
}
PART_TIME = [
    ("social_org", "长安区乐龄社会工作服务中心"),
    ("social_worker", "建北街道社会工作服务站"),
    ("volunteer", "建北助老志愿服务队"),
    ("charity", "长安区慈善协会"),
]

# --- projects: what each proposes (deploy/demo/plan.py says who, for which needs, scored how) --------------------
PROJECTS = {
    "meals": {
        "area_code": HOME,
        "title": "建北社区老年助餐服务项目",
        "service_content": "为辖区高龄、独居、失能老人提供午餐配送上门与定期探访，建立助餐台账",
        "indicators": [
            {"name": "送餐人次", "target": "不少于 6000 人次"},
            {"name": "服务老人", "target": "不少于 40 人"},
        ],
        "budget_fen": 8_000_000,
        "funding": [("government_purchase", "purchase", 8_000_000)],
        "purchase_item": "meal",
        "duration_months": 12,
        "vital_interests": True,
    },
    "care": {
        "area_code": "130102002001",
        "title": "青园社区居家养老照料服务项目",
        "service_content": "为失能、半失能及独居老人提供上门生活照料、助浴和精神慰藉服务",
        "indicators": [
            {"name": "上门服务", "target": "不少于 1500 人次"},
            {"name": "居民满意度", "target": "不低于 90%"},
        ],
        "budget_fen": 4_500_000,
        "funding": [("government_purchase", "purchase", 4_500_000)],
        "purchase_item": "care",
        "duration_months": 12,
        "vital_interests": False,
    },
    "tutor": {
        "area_code": "130102007001",
        "title": "河东社区困境儿童“四点半课堂”",
        "service_content": "为困境儿童和双职工家庭儿童提供课后托管、作业辅导和心理关爱",
        "indicators": [
            {"name": "服务儿童", "target": "不少于 30 人"},
            {"name": "辅导人次", "target": "不少于 500 人次"},
        ],
        "budget_fen": 2_000_000,
        "funding": [("social_assistance", "assistance", 2_000_000)],
        "purchase_item": "tutor",
        "duration_months": 6,
        "vital_interests": False,
    },
    "village": {
        "area_code": VILLAGE,
        "title": "龙州镇农村留守儿童关爱服务项目",
        "service_content": "为留守儿童提供周末课业辅导、亲情视频连线和安全教育",
        "indicators": [
            {"name": "服务留守儿童", "target": "不少于 25 人"},
            {"name": "亲情连线", "target": "每月 2 次"},
        ],
        "budget_fen": 3_000_000,
        "funding": [("government_purchase", "xt_purchase", 3_000_000)],
        "purchase_item": "leftchild",
        "duration_months": 10,
        "vital_interests": False,
    },
    "phones": {
        "area_code": "130102002002",
        "title": "青园社区老年人智能手机培训",
        "service_content": "分批开设智能手机使用课堂：视频通话、健康码、网上缴费与防诈骗",
        "indicators": [{"name": "培训老人", "target": "不少于 120 人"}],
        "budget_fen": 800_000,
        "funding": [("government_purchase", "purchase", 800_000)],
        "duration_months": 4,
        "vital_interests": False,
    },
}
# the venture-philanthropy call's applications: organization, area, title, summary, amount (fen), scores
VENTURE_APPS = [
    (
        "renhe",
        "130102007002",
        "青少年心理健康护航计划",
        "面向辖区中小学生开展心理健康讲座、团体辅导和个案跟进",
        7_000_000,
        {"innovation": 90, "feasibility": 88, "benefit": 92},
    ),
    (
        "linli",
        "130102002002",
        "邻里守望互助计划",
        "组织低龄老人结对帮扶高龄独居老人，建立邻里互助时间账户",
        6_000_000,
        {"innovation": 86, "feasibility": 90, "benefit": 88},
    ),
    (
        "xiyanghong",
        "130102001001",
        "银龄文艺进社区",
        "组织老年文艺队走进各小区开展文艺演出和健康宣传",
        4_000_000,
        {"innovation": 78, "feasibility": 85, "benefit": 80},
    ),
]

# --- the console's development sign-in personas: id → label_zh, label_en, role, area, sub, description_zh ------
# (the plan's people — the party secretary, the volunteer, the resident — are added by deploy/demo/plan.py)
PERSONAS = {
    "social_worker": (
        "社区社工 刘娜",
        "Community social worker",
        "social_worker",
        HOME,
        social_worker(HOME),
        "建北街道001号社区社工：登记和评估需求、派单给志愿者、核实服务时长、回访居民",
    ),
    "grid_worker": (
        "网格员 赵磊",
        "Grid worker",
        "grid_worker",
        HOME,
        grid_worker(HOME),
        "建北街道001号社区网格员：入户走访、需求调研、登记需求",
    ),
    "civil_affairs_county": (
        "长安区民政局",
        "Chang'an District civil affairs",
        "civil_affairs",
        URBAN_COUNTY,
        MZ[URBAN_COUNTY],
        "登记社会组织、设立社工站、评估项目、区县统计",
    ),
    "civil_affairs_city": (
        "石家庄市民政局",
        "Shijiazhuang civil affairs",
        "civil_affairs",
        CITY,
        MZ[CITY],
        "全市五社联动指标：需求、志愿服务、社会组织",
    ),
    "civil_affairs_province": (
        "河北省民政厅",
        "Hebei civil affairs department",
        "civil_affairs",
        PROVINCE,
        MZ[PROVINCE],
        "全省指标与需求类别管理",
    ),
    "charity_admin": (
        "长安区慈善复核员 赵",
        "Charity administrator (checker)",
        "charity_admin",
        URBAN_COUNTY,
        CHARITY_CHECKER[URBAN_COUNTY],
        "长安区慈善资金：复核拨付（有待复核的拨付申请）、爱心超市、公开账目",
    ),
    "org_admin": (
        "乐龄社工服务中心管理员",
        "Social-work agency administrator",
        "org_admin",
        URBAN_COUNTY,
        ORG_ADMIN,
        "长安区乐龄社会工作服务中心：投标、报告项目里程碑、申请志愿者",
    ),
    "auditor": ("长安区审计", "Auditor", "auditor", URBAN_COUNTY, AUDITOR, "只读：账本校验、需求库、统计"),
    "social_worker_rural": (
        "龙州镇村社工 郭",
        "Village social worker",
        "social_worker",
        VILLAGE,
        social_worker(VILLAGE),
        "行唐县龙州镇200号村社工：留守儿童和留守老人的需求、项目验收",
    ),
}
