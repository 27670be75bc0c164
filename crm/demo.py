"""Deterministic demo data (演示数据) for Xigang District: buildings, units, tenants, lease history,
monthly tax, confirmed snapshots and the demo logins.

``generate(scale, as_of)`` is a pure function of its arguments: every random draw comes from a
``random.Random`` seeded with a string naming the scale and the part being drawn (string seeds are
hashed with SHA-512, so PYTHONHASHSEED plays no part), and every date is counted from ``as_of``,
never from the wall clock. ``load_demo`` writes what it generated with bulk inserts (a scale-10
load is ~900,000 tax rows) and flushes; the caller commits.

The figures are calibrated at scale 1 to the district plan (seed/…): 35 buildings, about 1.23
million m² of leasable office space, 70–76 % occupancy at the last month end, about 150
headquarters-type companies, two 亿元楼 in the last complete year and a handful of 准亿元楼 in the
year in progress. Every building's tax is scaled per year to a target so that the tiers land where
the story needs them regardless of how the random tenants fall.
"""
from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain, count, islice

from sqlalchemy import insert, select

from crm.models import Building, Company, Lease, TaxRecord, Unit, UnitSelfUse, User, lease_units, user_buildings
from crm.models.choices import INDUSTRY_GROUPS, MOVE_OUT_REASONS, ROLES, STREETS, ZONES
from crm.demo_leads import load_demo_leads
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.snapshots import record_snapshots
from crm.models.version import OCCUPANCY, TAX, bump
from crm.services.tax import refresh_rollup
from crm.services.uscc import CHARSET, check_character

HISTORY_MONTHS = 36
LEASABLE_TARGET_M2 = 1_234_000  # Σ unit area at scale 1; the plan counts 123 万 m² of office space
HQ_PER_SCALE = 150
TAX_CHUNK = 20_000

# --------------------------------------------------------------------------------------------
# Users

_USERS = [
    # username, role, display name, e-mail local part, note shown by ``crm demo load``
    ("admin", "admin", "王建军", "全部功能与系统设置"),
    ("leader", "leader", "刘志刚", "查看全部页面与报告（只读）"),
    ("zhaoshang1", "promoter", "张伟", "招商项目与跟进"),
    ("zhaoshang2", "promoter", "李娜", "招商项目与跟进"),
    ("zhaoshang3", "promoter", "陈静", "招商项目与跟进"),
] + [
    (f"louyu{n}", "manager", name, f"{street}街道楼宇")
    for n, (street, name) in enumerate(zip(STREETS, ["赵磊", "孙丽", "于海涛", "曲晓燕", "姜宏伟"]), start=1)
]

DEMO_USERS: list[tuple[str, str, str]] = [(username, ROLES[role], note) for username, role, _, note in _USERS]

# --------------------------------------------------------------------------------------------
# The 35 buildings of scale 1. Areas are relative (normalised to LEASABLE_TARGET_M2), occupancy is
# the target at the last month end, tax the target 全口径 of the last complete year in ¥ million,
# growth the target change of this year's year-to-date over last year's.

Z_XLJ, Z_OLY, Z_ZB, Z_129 = ZONES


@dataclass(frozen=True)
class Profile:
    name: str
    street: str
    zone: str | None
    road: str
    area_k: float
    occupancy: float
    tax_m: float
    growth: float
    grade: str
    positioning: tuple[str, ...]
    retail_floors: int | None = None
    named: bool = False


def _p(name, street, zone, road, area_k, occ, tax_m, growth, grade, positioning, retail=None, named=False):
    return Profile(name, street, zone, road, area_k, occ, tax_m, growth, grade, tuple(positioning.split("、")),
                   retail, named)


PROFILES: list[Profile] = [
    # 八一路
    _p("鞍钢大厦", "八一路", None, "长春路", 56, 0.93, 103, 0.05, "甲级", "金融服务、商务服务、现代商贸", named=True),
    _p("百佳健康产业大厦", "八一路", None, "长春路", 38, 0.81, 24, 0.08, "甲级", "健康服务、科技服务", named=True),
    _p("八一路商务中心", "八一路", None, "八一路", 26, 0.64, 6.5, 0.04, "乙级", "商务服务、文化创意"),
    _p("长春路国际大厦", "八一路", None, "长春路", 34, 0.72, 14, 0.06, "甲级", "商务服务、金融服务"),
    _p("五四路科技大厦", "八一路", None, "五四路", 22, 0.56, 4.2, 0.07, "乙级", "数字技术服务、科技服务"),
    _p("滨海文旅大厦", "八一路", None, "滨海路", 16, 0.45, 1.8, 0.03, "丙级", "现代旅游、文化创意"),
    _p("傅家庄国际商务中心", "八一路", None, "石葵路", 18, 0.53, 2.6, 0.05, "乙级", "现代旅游、健康服务"),
    # 人民广场
    _p("珠江大厦", "人民广场", None, "新开路", 45, 0.89, 66, 0.07, "甲级", "商务服务、金融服务", named=True),
    _p("外经贸大厦", "人民广场", None, "长春路", 42, 0.86, 54, 0.06, "甲级", "现代商贸、商务服务、金融服务", named=True),
    _p("新开路商务大厦", "人民广场", None, "新开路", 30, 0.70, 12, 0.05, "乙级", "商务服务、数字技术服务"),
    _p("人民广场金融大厦", "人民广场", None, "中山路", 36, 0.76, 31, 0.06, "甲级", "金融服务、商务服务"),
    _p("高尔基路商务中心", "人民广场", Z_OLY, "高尔基路", 24, 0.60, 5.4, 0.04, "乙级", "文化创意、商务服务"),
    _p("大同街国际中心", "人民广场", Z_OLY, "大同街", 28, 0.68, 8.2, 0.05, "乙级", "现代商贸、商务服务"),
    _p("凤鸣街文创大厦", "人民广场", Z_OLY, "凤鸣街", 14, 0.51, 1.5, 0.06, "丙级", "文化创意、教育培训"),
    # 白云
    _p("汇景天地", "白云", Z_OLY, "五四路", 62, 0.91, 82, 0.07, "甲级", "现代商贸、数字技术服务、商务服务", named=True),
    _p("奥林匹克商务广场", "白云", Z_OLY, "五四路", 40, 0.74, 28, 0.06, "甲级", "现代商贸、金融服务"),
    _p("创谷汇科创中心", "白云", None, "白云街", 25, 0.80, 11, 0.09, "乙级", "数字技术服务、科技服务"),
    _p("星海国际商务楼", "白云", Z_OLY, "胜利路", 21, 0.59, 4.8, 0.05, "乙级", "现代商贸、文化创意"),
    _p("威华街商务大厦", "白云", None, "威华街", 19, 0.55, 3.1, 0.05, "丙级", "教育培训、健康服务"),
    _p("白云商务中心", "白云", None, "白云街", 17, 0.47, 2.2, 0.04, "丙级", "社区服务、商务服务"),
    _p("胜利路国际大厦", "白云", Z_OLY, "胜利路", 32, 0.69, 16, 0.06, "甲级", "商务服务、文化创意"),
    # 日新
    _p("森茂大厦", "日新", Z_129, "中山路", 60, 0.95, 162, 0.07, "甲级", "金融服务、数字技术服务、商务服务", named=True),
    _p("凯旋商城C座", "日新", Z_ZB, "北京街", 30, 0.39, 3.6, -0.02, "乙级", "现代商贸、现代旅游", retail=5, named=True),
    _p("一二九街科创大厦", "日新", Z_129, "一二九街", 33, 0.78, 19, 0.09, "甲级", "数字技术服务、科技服务"),
    _p("东关街商务中心", "日新", Z_ZB, "东关街", 18, 0.50, 2.0, 0.05, "丙级", "文化创意、现代旅游"),
    _p("站北商务港", "日新", Z_ZB, "日新街", 27, 0.66, 8.6, 0.05, "乙级", "商务服务、现代商贸"),
    _p("北京街国际大厦", "日新", Z_ZB, "北京街", 23, 0.61, 5.9, 0.05, "乙级", "商务服务、健康服务"),
    _p("西岗商务中心", "日新", None, "中山路", 36, 0.75, 21, 0.06, "甲级", "商务服务、金融服务"),
    # 香炉礁
    _p("中瑞广场", "香炉礁", Z_XLJ, "东北路", 58, 0.84, 46, 0.14, "甲级", "现代商贸、海洋相关服务、商务服务", named=True),
    _p("香炉礁商贸大厦", "香炉礁", Z_XLJ, "香周路", 38, 0.73, 26, 0.06, "甲级", "现代商贸、商务服务"),
    _p("香炉礁国际贸易中心", "香炉礁", Z_XLJ, "东北路", 44, 0.77, 33, 0.07, "甲级", "现代商贸、海洋相关服务"),
    _p("渔港国际大厦", "香炉礁", Z_XLJ, "沿海街", 26, 0.69, 13, 0.08, "乙级", "海洋相关服务、数字技术服务"),
    _p("东北路商务中心", "香炉礁", None, "东北路", 21, 0.58, 4.5, 0.05, "乙级", "商务服务、现代商贸"),
    _p("黄河路经贸大厦", "香炉礁", None, "黄河路", 20, 0.54, 3.4, 0.04, "丙级", "现代商贸、社区服务"),
    _p("西北路科技大厦", "香炉礁", Z_XLJ, "西北路", 24, 0.64, 7.2, 0.06, "乙级", "数字技术服务、科技服务"),
]

NAMED_BUILDINGS = [p.name for p in PROFILES if p.named]

# Names for the extra buildings of --scale N: a road or place of the same street and a suffix.
STREET_ROADS = {
    "八一路": ["八一路", "长春路", "五四路", "滨海路", "石葵路", "桃源街", "七七街"],
    "人民广场": ["新开路", "中山路", "高尔基路", "大同街", "凤鸣街", "长江路"],
    "白云": ["白云街", "威华街", "胜利路", "五四路", "英华街"],
    "日新": ["北京街", "东关街", "日新街", "一二九街", "中山路", "长江路"],
    "香炉礁": ["东北路", "香周路", "沿海街", "黄河路", "西北路"],
}
STREET_PLACES = {"八一路": ["傅家庄", "莲花山"], "人民广场": ["人民广场"], "白云": ["奥林匹克", "白云山"],
                 "日新": ["站北", "胜利桥北"], "香炉礁": ["香炉礁", "渔港"]}
NAME_SUFFIXES = ["大厦", "国际大厦", "商务中心", "商务大厦", "科技大厦", "金融中心", "广场", "国际中心",
                 "经贸大厦", "商务港", "写字楼", "创意园", "产业大厦", "时代广场", "置业大厦"]
STREET_ZONES = {
    "八一路": [None],
    "人民广场": [None, Z_OLY],
    "白云": [Z_OLY, None],
    "日新": [Z_ZB, Z_129, None],
    "香炉礁": [Z_XLJ, Z_XLJ, None],
}

# --------------------------------------------------------------------------------------------
# Companies

# group → (weight in the district mix, yearly tax per m² in yuan before calibration,
#          [(name word, GB/T 4754 section, name pattern)])
# Pattern: "co" 大连{字号}{word}有限公司, "law" 辽宁{字号}{word}, "school" 大连市西岗区{字号}{word},
#          "branch" {字号}{word}有限公司大连分公司.
INDUSTRIES = {
    "数字技术服务": (20, 1100, [("软件", "I", "co"), ("信息技术", "I", "co"), ("网络科技", "I", "co"),
                          ("数据科技", "I", "co"), ("智能科技", "I", "co"), ("云计算技术", "I", "co"),
                          ("数字科技", "I", "co"), ("区块链技术", "I", "co")]),
    "商务服务": (22, 900, [("企业管理咨询", "L", "co"), ("商务咨询", "L", "co"), ("人力资源服务", "L", "co"),
                       ("律师事务所", "L", "law"), ("会计师事务所", "L", "law"), ("会展服务", "L", "co"),
                       ("知识产权代理", "L", "co"), ("工程管理咨询", "L", "co"), ("企业管理", "L", "co")]),
    "科技服务": (8, 700, [("检测技术", "M", "co"), ("科技发展", "M", "co"), ("工程技术", "M", "co"),
                      ("生物科技", "M", "co"), ("环保科技", "M", "co"), ("规划设计", "M", "co")]),
    "海洋相关服务": (4, 800, [("国际物流", "G", "co"), ("航运", "G", "co"), ("冷链物流", "G", "co"),
                          ("国际货运代理", "G", "co"), ("船舶技术服务", "G", "co"), ("海洋科技", "M", "co")]),
    "金融服务": (12, 2600, [("融资租赁", "J", "co"), ("投资管理", "J", "co"), ("融资担保", "J", "co"),
                        ("保险经纪", "J", "co"), ("资产管理", "J", "co"), ("证券营业部", "J", "branch"),
                        ("财产保险", "J", "branch"), ("小额贷款", "J", "co")]),
    "现代商贸": (18, 1200, [("贸易", "F", "co"), ("国际贸易", "F", "co"), ("商贸", "F", "co"),
                        ("进出口", "F", "co"), ("电子商务", "F", "co"), ("供应链管理", "F", "co"),
                        ("食品", "F", "co"), ("医药", "F", "co")]),
    "健康服务": (5, 500, [("医疗管理", "Q", "co"), ("健康管理", "Q", "co"), ("口腔门诊部", "Q", "co"),
                      ("中医诊所", "Q", "co"), ("养老服务", "Q", "co")]),
    "现代旅游": (2, 400, [("国际旅行社", "L", "co"), ("旅游发展", "L", "co"), ("酒店管理", "H", "co")]),
    "文化创意": (5, 500, [("文化传媒", "R", "co"), ("影视文化", "R", "co"), ("广告设计", "R", "co"),
                      ("动漫设计", "R", "co"), ("文化创意", "R", "co")]),
    "社区服务": (1, 250, [("家政服务", "O", "co"), ("社区服务", "O", "co"), ("便民服务", "O", "co")]),
    "教育培训": (3, 350, [("教育科技", "P", "co"), ("职业技能培训学校", "P", "school"),
                      ("教育咨询", "P", "co"), ("培训学校", "P", "school")]),
}
assert list(INDUSTRIES) == INDUSTRY_GROUPS

TRADE_NAME_CHARS = ("华信达海润瑞鑫博恒远泰通嘉盛鼎弘睿德诚宏天新星汇辰安和佳宇联创智蓝港滨辽连启明正丰"
                    "融景晟峰源悦航金银龙凯中亚东方万隆兴旺顺祥益众合力远成锦程卓越宸璟翔")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐于董韩曲姜隋丛鞠邹孟"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀兰霞平刚桂英华玉萍红娟建国晓燕海峰鹏飞宁婷雪梅志斌春雨"

HQ_TYPE_WEIGHTS = [("regional", 45), ("functional", 25), ("comprehensive", 20), ("multinational", 10)]
AREA_CODES = [("210203", 72), ("210200", 16), ("210202", 4), ("210204", 4), ("210211", 4)]

# Seasonality of monthly tax: quarterly prepayments (Jan/Apr/Jul/Oct) and the May settlement.
SEASON = [1.25, 0.75, 0.95, 1.20, 1.30, 0.90, 1.15, 0.85, 0.90, 1.05, 0.80, 0.90]


# --------------------------------------------------------------------------------------------
# Generated records (indexes, not database ids)

@dataclass
class GBuilding:
    code: str
    name: str
    street: str
    zone: str | None
    address: str
    floors: int
    grade: str
    owner: str
    operator: str
    positioning: tuple[str, ...]
    declared_cents: int
    gross_cents: int
    occupancy_target: float
    tax_target: float  # yuan, the tier year
    growth: float


@dataclass
class GUnit:
    building: int
    floor: int
    number: str
    area_cents: int
    self_use: bool


@dataclass
class GLease:
    building: int
    units: list[int]
    area_cents: int
    start: date
    end: date | None
    moved_out_on: date | None = None
    reason: str | None = None
    company: int = -1
    follows: "GLease | None" = None  # the same company's earlier lease (a move)

    @property
    def last_active(self) -> date:
        last = self.end or date.max
        if self.moved_out_on is not None:
            last = min(last, self.moved_out_on - timedelta(days=1))
        return last


@dataclass
class GCompany:
    name: str
    uscc: str
    section: str
    group: str
    registered: bool
    taxed: bool
    hq_type: str
    employees: int
    capital_wan: int
    contact_name: str
    contact_phone: str
    registered_building: int | None
    leases: list[int] = field(default_factory=list)
    tax_base: float = 0.0  # yuan a month, before calibration
    tax_growth: float = 0.0
    district_share: float = 0.35


@dataclass
class DemoData:
    scale: int
    as_of: str
    periods: list[str]
    buildings: list[GBuilding]
    units: list[GUnit]
    companies: list[GCompany]
    leases: list[GLease]
    tax_factors: dict[tuple[int, int], float]  # (building, year) → calibration factor

    def tax_rows(self):
        """(company, period, total cents, district cents, building) — generated lazily."""
        yield from _tax_rows(self)

    def digest(self, tax_sample: int = 5000) -> str:
        """A stable fingerprint of everything generated (tests compare it across processes)."""
        h = hashlib.sha256()
        for b in self.buildings:
            h.update(repr((b.code, b.name, b.street, b.zone, b.address, b.floors, b.declared_cents,
                           b.gross_cents, b.owner, b.operator)).encode())
        for u in self.units:
            h.update(repr((u.building, u.floor, u.number, u.area_cents, u.self_use)).encode())
        for c in self.companies:
            h.update(repr((c.name, c.uscc, c.section, c.group, c.registered, c.taxed, c.hq_type,
                           c.employees, c.capital_wan, c.contact_phone, c.registered_building)).encode())
        for lease in self.leases:
            h.update(repr((lease.building, lease.units, lease.start, lease.end, lease.moved_out_on,
                           lease.reason, lease.company)).encode())
        for row in islice(self.tax_rows(), tax_sample):
            h.update(repr(row).encode())
        return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Generation

def _rng(scale: int, *parts) -> random.Random:
    return random.Random(":".join(["xigang-demo", str(scale), *map(str, parts)]))


def _cents(m2: float) -> int:
    return int(round(m2 * 100))


def _choose(rng: random.Random, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights)[0]


@dataclass
class _Window:
    as_of: str
    last: str  # M, the month before as_of
    periods: list[str]
    first_day: date  # first day of the history
    last_day: date  # last day of M
    today: date  # first day of as_of: "now" for end dates


def _window(as_of: str) -> _Window:
    last = P.shift(as_of, -1)
    periods = P.months_ending(last, HISTORY_MONTHS)
    return _Window(as_of, last, periods, P.month_start(periods[0]), P.month_end(last), P.month_start(as_of))


def _building_profiles(scale: int) -> list[tuple[Profile, str]]:
    """The profile and name of every building: the 35 of scale 1, then variations of them."""
    result = [(p, p.name) for p in PROFILES]
    used = {p.name for p in PROFILES}
    rng = _rng(scale, "names")
    for copy in range(1, scale):
        for p in PROFILES:
            drawn = (rng.choice(STREET_ROADS[p.street] + STREET_PLACES[p.street]) + rng.choice(NAME_SUFFIXES)
                     for _ in range(20))
            name = next((candidate for candidate in drawn if candidate not in used), None)
            if name is None:  # the pool is exhausted at large scales: tag a drawn name
                base = rng.choice(STREET_ROADS[p.street]) + rng.choice(NAME_SUFFIXES)
                tags = chain(["B座", "C座", "二期", "三期", "东塔", "西塔"], (f"{n}号楼" for n in count(2)))
                name = next(base + tag for tag in tags if base + tag not in used)
            used.add(name)
            result.append((p, name))
    return result


def _trade_name(rng: random.Random) -> str:
    return rng.choice(TRADE_NAME_CHARS) + rng.choice(TRADE_NAME_CHARS)


def _person(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _buildings_and_units(scale: int) -> tuple[list[GBuilding], list[GUnit]]:
    profiles = _building_profiles(scale)
    width = max(2, len(str(len(profiles))))
    area_factor = LEASABLE_TARGET_M2 / sum(p.area_k for p in PROFILES)
    buildings: list[GBuilding] = []
    units: list[GUnit] = []
    for index, (profile, name) in enumerate(profiles):
        rng = _rng(scale, "building", index)
        copy = index >= len(PROFILES)
        area = profile.area_k * area_factor * (rng.uniform(0.7, 1.1) if copy else 1.0)
        occupancy = profile.occupancy
        tax = profile.tax_m * 1_000_000
        growth = profile.growth
        zone = profile.zone
        if copy:
            occupancy = min(max(occupancy + rng.uniform(-0.08, 0.06), 0.40), 0.95)
            tax *= rng.uniform(0.3, 0.85)
            growth += rng.uniform(-0.02, 0.02)
            zone = rng.choice(STREET_ZONES[profile.street])
        top = profile.grade == "甲级"
        plate = rng.uniform(1300, 2100) if top else rng.uniform(900, 1500)
        office_floors = min(max(round(area / plate), 6), 52)
        retail = profile.retail_floors if profile.retail_floors is not None else (
            rng.randint(2, 3) if top else rng.randint(0, 2))
        floors = office_floors + retail
        plate_cents = _cents(area / office_floors)
        unit_size = rng.uniform(150, 230)
        b_index = len(buildings)
        first_unit = len(units)
        for floor in range(retail + 1, floors + 1):
            per_floor = min(max(round(plate_cents / 100 / unit_size), 4), 12)
            weights = [rng.uniform(0.6, 1.5) for _ in range(per_floor)]
            total_w = sum(weights)
            given = 0
            for i, w in enumerate(weights):
                cents = plate_cents - given if i == per_floor - 1 else int(plate_cents * w / total_w)
                given += cents
                units.append(GUnit(b_index, floor, f"{i + 1:02d}", cents, False))
        # The property manager's own office: a unit on the first office floor, not for let.
        if rng.random() < 0.45:
            units[first_unit].self_use = True
        unit_total = sum(u.area_cents for u in units[first_unit:])
        declared = math.ceil(unit_total * rng.uniform(1.0, 1.05) / 100) * 100
        gross = int(declared * rng.uniform(1.3, 1.7) / 100) * 100
        owner_name = _trade_name(rng)
        owner = rng.choice([f"大连{owner_name}置业有限公司", f"大连{owner_name}房地产开发有限公司",
                            f"大连{owner_name}投资发展有限公司"])
        operator_name = _trade_name(rng)
        operator = rng.choice([f"大连{operator_name}物业服务有限公司", f"大连{operator_name}物业管理有限公司",
                               f"{operator_name}商业运营管理（大连）有限公司"])
        road = profile.road if not copy else rng.choice(STREET_ROADS[profile.street])
        buildings.append(
            GBuilding(
                code=f"XG{index + 1:0{width}d}", name=name, street=profile.street, zone=zone,
                address=f"大连市西岗区{road}{rng.randint(1, 199)}号", floors=floors,
                grade=profile.grade, owner=owner, operator=operator, positioning=profile.positioning,
                declared_cents=declared, gross_cents=gross, occupancy_target=occupancy,
                tax_target=tax, growth=growth,
            )
        )
    return buildings, units


def _blocks(rng: random.Random, unit_indexes: list[int], units: list[GUnit], whole_floor: float) -> list[list[int]]:
    """Lettable blocks of one building: 1–4 adjacent units of a floor, or whole floors."""
    by_floor: dict[int, list[int]] = defaultdict(list)
    for i in unit_indexes:
        if not units[i].self_use:
            by_floor[units[i].floor].append(i)
    blocks: list[list[int]] = []
    last_whole_floor = None
    for floor in sorted(by_floor):
        members = by_floor[floor]
        if rng.random() < whole_floor:
            if last_whole_floor == floor - 1 and rng.random() < 0.3:
                blocks[-1] = blocks[-1] + members  # two floors for one big tenant
                last_whole_floor = None
            else:
                blocks.append(list(members))
                last_whole_floor = floor
            continue
        last_whole_floor = None
        i = 0
        while i < len(members):
            size = _choose(rng, [(1, 15), (2, 35), (3, 32), (4, 18)])
            blocks.append(members[i:i + size])
            i += size
    return blocks


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, max(low, high)))


def _current_end(rng: random.Random, start: date, window: _Window) -> date | None:
    u = rng.random()
    if u < 0.04:
        return None
    if u < 0.10:
        end = window.today + _days(rng, 0, 29)
    elif u < 0.18:
        end = window.today + _days(rng, 30, 89)
    elif u < 0.28:
        end = window.today + _days(rng, 90, 179)
    else:
        end = window.today + _days(rng, 180, 1100)
    return max(end, start)


def _moved_out(rng: random.Random, moved_out: date) -> tuple[date, date, str]:
    """Start, end and reason of a lease that ended with a move-out on ``moved_out``."""
    reason = _choose(rng, list(zip(MOVE_OUT_REASONS, [35, 30, 20, 8, 7])))
    start = moved_out - _days(rng, 300, 2600)
    end = moved_out if reason == "到期" else moved_out + _days(rng, 60, 700)
    return start, end, reason


def _building_leases(scale: int, b_index: int, building: GBuilding, unit_indexes: list[int],
                     units: list[GUnit], window: _Window) -> list[GLease]:
    rng = _rng(scale, "leases", b_index)
    blocks = _blocks(rng, unit_indexes, units, 0.16 if building.grade == "甲级" else 0.10)
    leasable = sum(units[i].area_cents for i in unit_indexes if not units[i].self_use)
    target = building.occupancy_target * leasable
    order = list(range(len(blocks)))
    rng.shuffle(order)
    occupied = set()
    taken = 0
    for k in order:
        area = sum(units[i].area_cents for i in blocks[k])
        if taken + area / 2 <= target:
            occupied.add(k)
            taken += area
    history_days = (window.last_day - window.first_day).days
    leases: list[GLease] = []
    for k, block in enumerate(blocks):
        area = sum(units[i].area_cents for i in block)

        def lease(start, end, moved_out_on=None, reason=None):
            leases.append(GLease(b_index, list(block), area, start, end, moved_out_on, reason))

        if k in occupied:
            if rng.random() < 0.35:  # moved in during the history
                start = window.first_day + _days(rng, 20, history_days)
                if rng.random() < 0.45:  # after someone else moved out
                    moved_out = start - _days(rng, 20, 300)
                    if moved_out > window.first_day:
                        p_start, p_end, reason = _moved_out(rng, moved_out)
                        lease(p_start, p_end, moved_out, reason)
            else:
                start = window.first_day - _days(rng, 30, 3000)
            lease(start, _current_end(rng, start, window))
        else:
            u = rng.random()
            if u < 0.035:  # past its end, no move-out recorded: flagged to the manager
                end = window.today - _days(rng, 2, 80)
                lease(end - _days(rng, 360, 1800), end)
            elif u < 0.435:  # moved out during the history
                moved_out = window.first_day + _days(rng, 15, history_days)
                p_start, p_end, reason = _moved_out(rng, moved_out)
                lease(p_start, p_end, moved_out, reason)
    return leases


def _link_moves(scale: int, leases: list[GLease], window: _Window) -> None:
    """Some tenants that moved out took a lease elsewhere soon after: the same company."""
    rng = _rng(scale, "moves")
    recent = sorted(
        (i for i, lease in enumerate(leases) if lease.moved_out_on is None and lease.start >= window.first_day),
        key=lambda i: (leases[i].start, i),
    )
    starts = [leases[i].start for i in recent]
    used = [False] * len(recent)
    movers = sorted(
        (i for i, lease in enumerate(leases)
         if lease.moved_out_on is not None and lease.reason in ("到期", "提前退租", "其他")),
        key=lambda i: (leases[i].moved_out_on, i),
    )
    for i in movers:
        if rng.random() >= 0.35:
            continue
        old = leases[i]
        lo = bisect_left(starts, old.moved_out_on)
        hi = bisect_left(starts, old.moved_out_on + timedelta(days=150))
        free = [j for j in range(lo, hi) if not used[j]]
        if not free:
            continue
        elsewhere = [j for j in free if leases[recent[j]].building != old.building]
        pick = (elsewhere or free)[0] if rng.random() < 0.75 else free[0]
        used[pick] = True
        leases[recent[pick]].follows = old


def _companies(scale: int, buildings: list[GBuilding], leases: list[GLease], window: _Window) -> list[GCompany]:
    rng = _rng(scale, "companies")
    order = sorted(range(len(leases)), key=lambda i: (leases[i].start, leases[i].building, leases[i].units[0]))
    companies: list[GCompany] = []
    names: set[str] = set()
    usccs: set[str] = set()
    groups = list(INDUSTRIES)
    for i in order:
        lease = leases[i]
        if lease.follows is not None:
            lease.company = lease.follows.company
            companies[lease.company].leases.append(i)
            continue
        positioning = buildings[lease.building].positioning
        weights = [INDUSTRIES[g][0] * (3 if g in positioning else 1) for g in groups]
        group = rng.choices(groups, weights)[0]
        word, section, pattern = rng.choice(INDUSTRIES[group][2])
        for attempt in range(50):
            trade = _trade_name(rng)
            if pattern == "law":
                name = f"辽宁{trade}{word}"
            elif pattern == "school":
                name = f"大连市西岗区{trade}{word}"
            elif pattern == "branch":
                name = f"{trade}{word.replace('营业部', '')}有限公司大连{'西岗营业部' if '营业部' in word else '分公司'}"
            elif rng.random() < 0.12:
                name = f"{trade}（大连）{word}有限公司"
            else:
                name = f"大连{trade}{word}有限公司"
            if attempt > 20:
                name = name.replace("有限公司", f"{attempt}有限公司", 1) if "有限公司" in name else name + str(attempt)
            if name not in names:
                break
        names.add(name)
        prefix = "31" if pattern == "law" else "52" if pattern == "school" else "91"
        while True:
            body = prefix + _choose(rng, AREA_CODES) + "".join(rng.choice("0123456789") for _ in range(8)) \
                + rng.choice(CHARSET)
            uscc = body + check_character(body)
            if uscc not in usccs:
                usccs.add(uscc)
                break
        phone = (f"0411-8{rng.randint(0, 9999999):07d}" if rng.random() < 0.3
                 else f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}")
        companies.append(
            GCompany(
                name=name, uscc=uscc, section=section, group=group, registered=False, taxed=True,
                hq_type="none", employees=0, capital_wan=0, contact_name=_person(rng), contact_phone=phone,
                registered_building=None, leases=[i], tax_growth=rng.gauss(0.065, 0.03),
                district_share=rng.uniform(0.30, 0.40),
            )
        )
        lease.company = len(companies) - 1

    # Headquarters: the big current tenants, most of them.
    current = [c for c, company in enumerate(companies)
               if any(leases[i].moved_out_on is None and leases[i].start <= window.last_day
                      and (leases[i].end is None or leases[i].end >= window.last_day) for i in company.leases)]
    keyed = sorted(current, key=lambda c: -max(leases[i].area_cents for i in companies[c].leases)
                   * rng.lognormvariate(0, 0.6))
    for c in keyed[:HQ_PER_SCALE * scale]:
        companies[c].hq_type = _choose(rng, HQ_TYPE_WEIGHTS)

    for company in companies:
        main = leases[max(company.leases, key=lambda i: (leases[i].start, i))]
        area_m2 = main.area_cents / 100
        hq = company.hq_type != "none"
        if main.reason in ("迁出本区", "注销"):
            company.registered = False
        else:
            company.registered = hq or rng.random() < 0.86
        company.taxed = True if hq else (rng.random() < 0.97 if company.registered else rng.random() < 0.6)
        company.registered_building = main.building if company.registered else None
        company.employees = max(3, int(area_m2 / rng.uniform(7, 16) * (1.3 if hq else 1.0)))
        capital = [50, 100, 200, 300, 500, 1000, 2000, 3000, 5000]
        company.capital_wan = (rng.choice([5000, 10000, 20000, 30000, 50000]) if hq
                               else capital[min(len(capital) - 1, int(area_m2 / 120 * rng.uniform(0.5, 1.5)))])
        rate = INDUSTRIES[company.group][1]
        company.tax_base = area_m2 * rate / 12 * rng.lognormvariate(0, 0.8) * (3.5 if hq else 1.0)
    return companies


def _company_tax(scale: int, c: int, company: GCompany, leases: list[GLease], window: _Window, bounds):
    """The company's natural (uncalibrated) tax: [(period index, building, yuan)]."""
    if not company.taxed:
        return []
    rng = _rng(scale, "tax", c)
    own = [leases[i] for i in company.leases]
    rows = []
    last = len(bounds) - 1
    for k, (first, last_day, month) in enumerate(bounds):
        active = [lease for lease in own if lease.start <= last_day and lease.last_active >= first]
        if not active:
            continue
        if company.registered:  # the registered address then: the newest lease
            where = max(active, key=lambda lease: lease.start)
        else:
            where = max(active, key=lambda lease: (lease.area_cents, lease.start))
        days_in = (min(last_day, max(lease.last_active for lease in active))
                   - max(first, min(lease.start for lease in active))).days + 1
        part = max(days_in / ((last_day - first).days + 1), 0.2)
        amount = (company.tax_base * SEASON[month - 1] * (1 + company.tax_growth) ** ((k - last) / 12)
                  * rng.lognormvariate(0, 0.12) * part)
        rows.append((k, where.building, amount))
    return rows


def _bounds(window: _Window):
    return [(P.month_start(p), P.month_end(p), P.split(p)[1]) for p in window.periods]


def _calibrate(scale: int, buildings, companies, leases, window: _Window) -> dict[tuple[int, int], float]:
    """Per building and year, the factor that puts the tiers where the profiles say.

    Last year (Y−1) is scaled to the building's target (or target ÷ (1+growth) when M is
    December, so the tier year Y lands on target); the months of Y are scaled so that
    YTD(Y, M) = (1 + growth) × YTD(Y−1, M), which makes the candidate projection
    target × (1 + growth). Earlier years share last year's factor, keeping their natural trend.
    """
    year, month = P.split(window.last)
    bounds = _bounds(window)
    years = [P.split(p)[0] for p in window.periods]
    prev_all = defaultdict(float)
    prev_ytd = defaultdict(float)
    cur_ytd = defaultdict(float)
    for c, company in enumerate(companies):
        for k, b, amount in _company_tax(scale, c, company, leases, window, bounds):
            if years[k] == year - 1:
                prev_all[b] += amount
                if bounds[k][2] <= month:
                    prev_ytd[b] += amount
            elif years[k] == year:
                cur_ytd[b] += amount
    factors = {}
    for b, building in enumerate(buildings):
        target = building.tax_target if month != 12 else building.tax_target / (1 + building.growth)
        f_prev = target / prev_all[b] if prev_all[b] > 0 else 1.0
        f_cur = ((1 + building.growth) * f_prev * prev_ytd[b] / cur_ytd[b]) if cur_ytd[b] > 0 else f_prev
        for y in set(years):
            factors[(b, y)] = f_cur if y == year else f_prev
    return factors


def _tax_rows(data: DemoData):
    window = _window(data.as_of)
    bounds = _bounds(window)
    years = [P.split(p)[0] for p in window.periods]
    for c, company in enumerate(data.companies):
        share = company.district_share
        for k, b, amount in _company_tax(data.scale, c, company, data.leases, window, bounds):
            total = max(int(round(amount * data.tax_factors[(b, years[k])] * 100)), 100)
            yield c, window.periods[k], total, int(round(total * share)), b


def generate(scale: int, as_of: str) -> DemoData:
    """Everything the demo loads, as plain records; a pure function of (scale, as_of)."""
    window = _window(as_of)
    buildings, units = _buildings_and_units(scale)
    units_of: dict[int, list[int]] = defaultdict(list)
    for i, unit in enumerate(units):
        units_of[unit.building].append(i)
    leases: list[GLease] = []
    for b, building in enumerate(buildings):
        leases.extend(_building_leases(scale, b, building, units_of[b], units, window))
    _link_moves(scale, leases, window)
    companies = _companies(scale, buildings, leases, window)
    factors = _calibrate(scale, buildings, companies, leases, window)
    return DemoData(scale, as_of, window.periods, buildings, units, companies, leases, factors)


# --------------------------------------------------------------------------------------------
# Loading

def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _insert_ids(session, table, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())


def load_demo(session, scale: int = 1, as_of: str | None = None, password: str = "xigang-demo-2026") -> dict[str, int]:
    """Write the demo data into an empty database (no buildings) and flush; the caller commits."""
    as_of = P.parse_period(as_of or "", "as_of")
    if not isinstance(scale, int) or scale < 1:
        raise DomainError(f"规模倍数应为正整数，当前为 {scale!r}", field="scale")
    if session.scalar(select(Building.id).limit(1)) is not None:
        raise DomainError("数据库中已有楼宇数据：演示数据只能载入空数据库")
    taken = list(session.scalars(select(User.username).where(User.username.in_([u[0] for u in _USERS]))))
    if taken:
        raise DomainError(f"演示账号与已有用户重名：{'、'.join(sorted(taken))}，请先改名或使用空数据库")

    data = generate(scale, as_of)

    building_ids = _insert_ids(session, Building.__table__, [
        dict(code=b.code, name=b.name, street=b.street, zone=b.zone, address=b.address,
             gross_floor_area=_money(b.gross_cents), declared_office_area=_money(b.declared_cents),
             floors=b.floors, grade=b.grade, owner=b.owner, operator=b.operator,
             positioning="、".join(b.positioning), is_demo=True)
        for b in data.buildings
    ])
    unit_ids = _insert_ids(session, Unit.__table__, [
        dict(building_id=building_ids[u.building], floor=u.floor, number=u.number, area=_money(u.area_cents),
             reserved_until=None, active_from=None, retired_on=None, version=1)
        for u in data.units
    ])
    # The manager's own offices have been self-use since the units exist (no start date).
    own = [dict(unit_id=unit_ids[i], start_date=None, end_date=None) for i, u in enumerate(data.units) if u.self_use]
    if own:
        session.execute(insert(UnitSelfUse.__table__), own)
    company_ids = _insert_ids(session, Company.__table__, [
        dict(name=c.name, uscc=c.uscc, uscc_override=False, industry_section=c.section, industry_group=c.group,
             registered_in_district=c.registered, taxed_in_district=c.taxed, hq_type=c.hq_type,
             employees=c.employees, registered_capital=Decimal(c.capital_wan * 10000),
             registered_building_id=None if c.registered_building is None else building_ids[c.registered_building],
             contact_name=c.contact_name, contact_phone=c.contact_phone, is_demo=True)
        for c in data.companies
    ])
    lease_ids = _insert_ids(session, Lease.__table__, [
        dict(company_id=company_ids[lease.company], building_id=building_ids[lease.building],
             start_date=lease.start, end_date=lease.end, moved_out_on=lease.moved_out_on,
             move_out_reason=lease.reason, version=1)
        for lease in data.leases
    ])
    links = [dict(lease_id=lease_ids[i], unit_id=unit_ids[u]) for i, lease in enumerate(data.leases) for u in lease.units]
    for start in range(0, len(links), 50_000):
        session.execute(insert(lease_units), links[start:start + 50_000])

    tax_count = 0
    chunk = []
    for c, period, total, district, b in data.tax_rows():
        chunk.append(dict(company_id=company_ids[c], period=period, total_tax=_money(total),
                          district_tax=_money(district), building_id=building_ids[b]))
        if len(chunk) >= TAX_CHUNK:
            session.execute(insert(TaxRecord.__table__), chunk)
            tax_count += len(chunk)
            chunk = []
    if chunk:
        session.execute(insert(TaxRecord.__table__), chunk)
        tax_count += len(chunk)
    refresh_rollup(session)

    users = {}
    for username, role, display_name, _ in _USERS:
        user = User(username=username, role=role, display_name=display_name, email=f"{username}@xigang.example")
        user.set_password(password)
        users[username] = user
    session.add_all(users.values())
    session.flush()
    for user in users.values():
        session.expire(user, ["buildings"])  # assigned below, behind the ORM's back
    by_street: dict[str, list[int]] = defaultdict(list)
    for b, building in enumerate(data.buildings):
        by_street[building.street].append(building_ids[b])
    session.execute(insert(user_buildings), [
        dict(user_id=users[f"louyu{n}"].id, building_id=bid)
        for n, street in enumerate(STREETS, start=1) for bid in by_street[street]
    ])

    # Every month but the last is confirmed by the street's manager; the last awaits them.
    confirmed = P.months_ending(P.shift(data.periods[-1], -1), HISTORY_MONTHS - 1)
    snapshots = 0
    for n, street in enumerate(STREETS, start=1):
        if by_street[street]:
            snapshots += record_snapshots(session, confirmed, by_street[street], confirmed_by=users[f"louyu{n}"])
    session.flush()
    # Units, leases and companies went in as bulk inserts, which no flush listener sees.
    bump(session, OCCUPANCY, TAX)
    return {
        "楼宇": len(building_ids),
        "单元": len(unit_ids),
        "企业": len(company_ids),
        "租约": len(lease_ids),
        "税收记录": tax_count,
        "月度快照": snapshots,
        "用户": len(users),
        **load_demo_leads(session, scale, as_of),  # the pipeline (issue 5), after the users it needs
    }
