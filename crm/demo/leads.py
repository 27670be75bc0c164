"""The demo pipeline (演示数据): about 200 leads per scale across every stage, owned by the demo
promoters, with a year of follow-ups and stage changes, some overdue, some never followed up, some
signed long ago and not registered, and a few duplicates-in-waiting (a lead whose name is a current
tenant's or another lead's in a different legal form).

Like the rest of ``crm.demo``, every draw comes from a ``random.Random`` seeded with a string
naming the scale and the part, and every date is counted from the as-of month, never the clock:
the pipeline's "today" is the 15th of that month (PIPELINE_DAY), so the figures read naturally
mid-month — which is also the day the browser tests and benchmarks replay.
Settled leads are real recent move-ins of the demo: they point at the company and building of a
lease that started in the last year. Rows go in with bulk inserts; the caller commits.

Each lead is drawn in named steps (``_identity``, ``_size``, ``_activity``, ``_signing``,
``_next_followup``, then its rows), all from the lead's own seed in a fixed order: reordering the
draws changes the data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from crm.models import Building, Company, FollowUp, Lead, LeadStageChange, Lease, User, lead_target_buildings
from crm.models.lead import FOLLOWUP_METHODS, SOURCES, STAGES
from crm.models.version import PIPELINE, bump
from crm.services import periods as P
from crm.services.uscc import CHARSET, check_character

PIPELINE_DAY = 15
# stage → leads per 200, and the range of follow-ups each has had
STAGE_MIX = {
    "lead": (40, (1, 4)),
    "contact": (34, (4, 10)),
    "visit": (28, (7, 14)),
    "negotiation": (24, (10, 20)),
    "signed": (14, (14, 24)),
    "registered": (10, (16, 26)),
    "settled": (20, (16, 26)),
    "paused": (12, (5, 12)),
    "lost": (18, (3, 10)),
}
LINE = list(STAGES)
SOURCE_WEIGHTS = [40, 15, 12, 10, 8, 8, 7]
GROUP_WEIGHTS = {
    "数字技术服务": 20,
    "商务服务": 16,
    "科技服务": 8,
    "海洋相关服务": 6,
    "金融服务": 14,
    "现代商贸": 16,
    "健康服务": 6,
    "现代旅游": 3,
    "文化创意": 5,
    "社区服务": 2,
    "教育培训": 4,
}
WORDS = {
    "数字技术服务": ["软件", "信息技术", "数据科技", "智能科技", "云计算技术"],
    "商务服务": ["企业管理咨询", "人力资源服务", "会展服务", "商务咨询"],
    "科技服务": ["检测技术", "工程技术", "生物科技", "环保科技"],
    "海洋相关服务": ["国际物流", "航运", "冷链物流", "船舶技术服务"],
    "金融服务": ["融资租赁", "投资管理", "资产管理", "保险经纪"],
    "现代商贸": ["国际贸易", "供应链管理", "电子商务", "进出口"],
    "健康服务": ["健康管理", "医疗管理", "养老服务"],
    "现代旅游": ["旅游发展", "酒店管理"],
    "文化创意": ["文化传媒", "影视文化", "广告设计"],
    "社区服务": ["家政服务", "社区服务"],
    "教育培训": ["教育科技", "教育咨询"],
}
CITIES = ["北京", "上海", "深圳", "沈阳", "青岛", "杭州", "广州", "天津", "东京", "首尔"]
TRADE = "华信达海润瑞鑫博恒远泰通嘉盛鼎弘睿德诚宏天新星汇辰安和佳宇联创智蓝港滨启明正丰融景晟峰源悦航金凯中亚东方万隆兴顺祥益众合锦程卓越"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐于董韩曲姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀兰霞平刚英华玉萍红娟建国晓燕海峰鹏飞宁婷雪梅志斌"
NOTES = {
    "电话": ["电话沟通落户意向，企业关注办公面积和租金", "电话回访，对方表示本月内给出选址意见", "电话确认考察时间"],
    "走访": ["上门走访企业负责人，介绍西岗区产业政策", "走访企业现办公地，了解扩张计划"],
    "会谈": ["与企业高管会谈，讨论区域总部落户方案", "会谈租金和装修期，企业希望提供过渡办公"],
    "来访": ["企业来访，陪同参观意向楼宇", "企业负责人来访，了解注册流程"],
    "微信": ["微信发送楼宇资料和政策汇编", "微信沟通户型图，企业要求同层连续单元"],
    "邮件": ["邮件发送落户方案", "邮件确认合作意向书条款"],
    "其他": ["在招商推介会上再次接洽", "通过中介机构转达企业需求"],
}
LOST_REASONS = [
    "企业选择落户外区",
    "企业总部暂缓扩张",
    "租金预期差距较大",
    "面积需求无法满足",
    "企业经营调整，取消计划",
]


def _rng(scale: int, *parts) -> random.Random:
    return random.Random(":".join(["xigang-demo-leads", str(scale), *map(str, parts)]))


def _uscc(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = (
            "91"
            + rng.choice(["210203", "210200", "110105", "310115", "440300"])
            + "".join(rng.choice("0123456789") for _ in range(8))
            + rng.choice(CHARSET)
        )
        code = body + check_character(body)
        if code not in taken:
            taken.add(code)
            return code


def _moment(day: date, rng: random.Random) -> datetime:
    # Office hours in Dalian (UTC+8), stored in UTC.
    return datetime.combine(day, time(rng.randint(1, 9), rng.randint(0, 59)), tzinfo=timezone.utc)


def _new_name(rng: random.Random, group: str, names: set[str]) -> str:
    for attempt in range(200):
        trade = rng.choice(TRADE) + rng.choice(TRADE)
        word = rng.choice(WORDS[group])
        if rng.random() < 0.25:
            name = f"{trade}{word}（{rng.choice(CITIES)}）有限公司"
        elif rng.random() < 0.15:
            name = f"{rng.choice(CITIES)}{trade}{word}集团有限公司"
        else:
            name = f"大连{trade}{word}有限公司"
        if attempt > 100:
            name = name.replace("有限公司", f"{attempt}有限公司")
        if name not in names:
            names.add(name)
            return name
    raise RuntimeError("demo lead names exhausted")


def _variant(name: str, rng: random.Random) -> str:
    """The same company in another legal form: what a promoter types for a company already known."""
    if "有限公司" in name and "有限责任公司" not in name:
        return name.replace("有限公司", rng.choice(["有限责任公司", "股份有限公司"]), 1)
    return name + "有限公司"


@dataclass
class _Scene:
    """What the pipeline is drawn against: the promoters, the buildings by the groups they are
    positioned for, the names and codes already taken, the recent move-ins (the settled leads)
    and some long-standing tenants (duplicates-in-waiting)."""

    today: date
    promoters: list[User]
    buildings: list[Building]
    by_group: dict[str, list[int]]
    names: set[str]
    usccs: set[str]
    recent: list
    current_tenants: list[str]


def _scene(session, scale: int, today: date) -> _Scene | None:
    promoters = list(session.scalars(select(User).where(User.role == "promoter").order_by(User.username)))
    if not promoters:
        return None
    buildings = list(session.scalars(select(Building).order_by(Building.code)))
    by_group: dict[str, list[int]] = {g: [b.id for b in buildings if g in (b.positioning or "")] for g in GROUP_WEIGHTS}
    companies = session.execute(select(Company.name, Company.uscc)).all()
    recent = session.execute(
        select(
            Lease.company_id,
            Lease.building_id,
            Lease.start_date,
            Company.name,
            Company.uscc,
            Company.industry_group,
            Company.hq_type,
        )
        .join(Company, Company.id == Lease.company_id)
        .where(Lease.start_date > today - timedelta(days=365), Lease.start_date < today, Lease.moved_out_on.is_(None))
        .order_by(Lease.start_date, Lease.id)
    ).all()
    current_tenants = (
        session.execute(
            select(Company.name)
            .join(Lease, Lease.company_id == Company.id)
            .where(
                Lease.start_date < today - timedelta(days=365),
                Lease.moved_out_on.is_(None),
                (Lease.end_date.is_(None)) | (Lease.end_date > today + timedelta(days=200)),
            )
            .order_by(Lease.id)
            .limit(200 * scale)
        )
        .scalars()
        .all()
    )
    return _Scene(
        today,
        promoters,
        buildings,
        by_group,
        {name for name, _ in companies},
        {code for _, code in companies if code},
        list(recent),
        current_tenants,
    )


@dataclass
class _Draft:
    """One lead while its draws are made."""

    index: int
    stage: str
    owner: User
    group: str
    hq: str
    company_id: int | None = None
    landed_on: date | None = None
    target_ids: list[int] = field(default_factory=list)
    created: date | None = None
    name: str = ""
    uscc: str | None = None
    area: Decimal | None = None
    tax: Decimal | None = None
    end: date | None = None
    dates: list[date] = field(default_factory=list)
    last: date | None = None
    reached: int = 0
    signed_on: date | None = None
    next_on: date | None = None


def _identity(r: random.Random, d: _Draft, scene: _Scene, settled_pool: list, active_names: list[str]) -> None:
    """Who the lead is: a recent move-in for a settled lead, else a new name (now and then a
    tenant's or another lead's in another legal form), a code, target buildings."""
    today = scene.today
    if d.stage == "settled" and settled_pool:
        d.company_id, building_id, start, d.name, d.uscc, group, d.hq = settled_pool.pop()
        d.group = group or "商务服务"
        d.target_ids = [building_id]
        d.landed_on = start
        d.created = start - timedelta(days=r.randint(90, 300))
        return
    if d.stage == "settled":
        d.stage = "registered"
    d.created = today - timedelta(days=r.randint(0, 365) if d.stage in ("lead", "contact") else r.randint(40, 365))
    duplicate = r.random()
    if duplicate < 0.03 and scene.current_tenants:
        d.name = _variant(r.choice(scene.current_tenants), r)  # a tenant already: the guard will say so
    elif duplicate < 0.06 and active_names:
        d.name = _variant(r.choice(active_names), r)  # another promoter's lead, another legal form
    else:
        d.name = _new_name(r, d.group, scene.names)
    d.uscc = _uscc(r, scene.usccs) if d.stage in ("signed", "registered") or r.random() < 0.2 else None
    candidates = scene.by_group.get(d.group) or [b.id for b in scene.buildings]
    d.target_ids = sorted(set(r.sample(candidates, min(len(candidates), r.choice([0, 1, 1, 2])))))


def _size(r: random.Random, d: _Draft) -> None:
    """Intended area, and the expected tax it brings for the group (headquarters more)."""
    d.area = Decimal(round(r.lognormvariate(6.0, 0.6) / 10) * 10 + 100).quantize(Decimal("0.01"))
    tax_per_m2 = {"金融服务": 3000, "数字技术服务": 1400, "现代商贸": 1500}.get(d.group, 900)
    d.tax = Decimal(
        int(float(d.area) * tax_per_m2 * r.lognormvariate(0, 0.5) * (3 if d.hq != "none" else 1) / 10000) * 10000
    )


def _activity(r: random.Random, d: _Draft, today: date) -> None:
    """The days of its follow-ups, up to the last day anyone worked on it (``end``)."""
    low, high = STAGE_MIX[d.stage][1]
    count = r.randint(low, high)
    if d.stage == "lead" and r.random() < 0.35:
        count = 0  # never followed up: some brand new, some past the first-follow-up deadline
        d.created = today - timedelta(days=r.randint(0, 12))
    end = d.landed_on or today - timedelta(days=1)
    if d.stage in ("paused", "lost"):
        end = min(end, today - timedelta(days=r.randint(10, 120)))
    elif d.stage in ("contact", "visit", "negotiation") and r.random() < 0.15:
        end = today - timedelta(days=r.randint(15, 60))  # stale: nobody has called for weeks
    d.end = end = max(end, d.created)
    created = d.created
    dates = sorted(created + timedelta(days=r.randint(0, max((end - created).days, 0))) for _ in range(count))
    if dates and d.stage not in ("paused", "lost") and end >= today - timedelta(days=1):
        # A lead someone is working on was called lately; only the stale ones above were not.
        dates[-1] = max(dates[-1], end - timedelta(days=r.randint(0, 12)))
    d.dates = dates
    d.last = dates[-1] if dates else None


def _signing(r: random.Random, d: _Draft, today: date) -> None:
    """How far along the line it got, and when it signed (some long ago, still not registered)."""
    d.reached = LINE.index(d.stage) if d.stage in LINE else r.randint(0, 3)
    if d.stage in ("signed", "registered", "settled"):
        span = max((d.end - d.created).days, 1)
        d.signed_on = d.created + timedelta(days=int(span * r.uniform(0.5, 0.9)))
        if d.stage == "signed" and r.random() < 0.3:
            d.signed_on = today - timedelta(days=r.randint(95, 200))  # signed long ago, still not registered
            d.created = min(d.created, d.signed_on - timedelta(days=30))


def _next_followup(r: random.Random, d: _Draft, today: date) -> None:
    if d.stage in ("settled", "lost"):
        d.next_on = None
    elif d.stage == "paused":
        d.next_on = today + timedelta(days=r.randint(5, 90))
    elif d.last is None:
        d.next_on = d.created + timedelta(days=3)
    else:
        next_on = today + timedelta(days=r.randint(-25, 21) if r.random() < 0.3 else r.randint(0, 21))
        d.next_on = max(next_on, d.last + timedelta(days=1))


def _lead_row(r: random.Random, d: _Draft) -> dict:
    stage, next_on = d.stage, d.next_on
    return dict(
        company_id=d.company_id,
        company_name=d.name,
        uscc=d.uscc,
        source=r.choices(SOURCES, SOURCE_WEIGHTS)[0],
        industry_group=d.group,
        hq_type=d.hq or "none",
        intended_area=d.area,
        expected_annual_tax=d.tax,
        owner_id=d.owner.id,
        priority=r.choices(["high", "normal", "low"], [20, 60, 20])[0],
        stage=stage,
        next_followup_on=next_on,
        last_followup_on=d.last,
        lost_reason=r.choice(LOST_REASONS) if stage == "lost" else None,
        paused_until=next_on if stage == "paused" else None,
        signed_on=d.signed_on,
        landed_on=d.landed_on,
        contact_name=r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6 else ""),
        contact_phone=f"1{r.choice('3589')}{r.randint(0, 9)}{r.randint(0, 99999999):08d}",
        notes=None,
        merged_into_id=None,
        created_on=d.created,
        created_at=_moment(d.created, r),
        is_demo=True,
        version=1,
    )


def _followup_rows(r: random.Random, d: _Draft) -> list[dict]:
    rows = []
    for k, day in enumerate(d.dates):
        method = r.choice(FOLLOWUP_METHODS)
        rows.append(
            dict(
                lead=d.index,
                author_id=d.owner.id,
                on=day,
                method=method,
                notes=r.choice(NOTES[method]),
                next_followup_on=d.dates[k + 1] if k + 1 < len(d.dates) else d.next_on,
                created_at=_moment(day, r),
            )
        )
    return rows


def _stage_changes(r: random.Random, d: _Draft, lost_reason: str | None) -> list[dict]:
    """Its moves along the line, then to 搁置/流失 or 已入驻."""
    rows = []
    steps = [None] + LINE[: d.reached + 1]
    span = max((d.end - d.created).days, 1)
    for k, (before, after) in enumerate(zip(steps, steps[1:])):
        day = d.created + timedelta(days=span * k // max(len(steps), 1))
        if after == "signed" and d.signed_on:
            day = d.signed_on
        rows.append(
            dict(
                lead=d.index,
                user_id=d.owner.id,
                from_stage=before,
                to_stage=after,
                note="新建项目" if before is None else None,
                changed_at=_moment(day, r),
            )
        )
    if d.stage in ("paused", "lost"):
        rows.append(
            dict(
                lead=d.index,
                user_id=d.owner.id,
                from_stage=steps[-1],
                to_stage=d.stage,
                note=lost_reason or f"搁置至 {d.next_on}",
                changed_at=_moment(d.end, r),
            )
        )
    if d.stage == "settled":
        rows.append(
            dict(
                lead=d.index,
                user_id=d.owner.id,
                from_stage="registered",
                to_stage="settled",
                note="入驻确认",
                changed_at=_moment(d.landed_on, r),
            )
        )
    return rows


def _insert(
    session, leads: list[dict], targets: list[list[int]], followups: list[dict], changes: list[dict]
) -> list[int]:
    ids = list(
        session.execute(
            insert(Lead.__table__).returning(Lead.__table__.c.id, sort_by_parameter_order=True), leads
        ).scalars()
    )
    links = [dict(lead_id=ids[i], building_id=b) for i, building_ids in enumerate(targets) for b in building_ids]
    if links:
        session.execute(insert(lead_target_buildings), links)
    for rows, table in ((followups, FollowUp.__table__), (changes, LeadStageChange.__table__)):
        for row in rows:
            row["lead_id"] = ids[row.pop("lead")]
        for start in range(0, len(rows), 20_000):
            session.execute(insert(table), rows[start : start + 20_000])
    session.flush()
    bump(session, PIPELINE)  # bulk inserts, which no flush listener sees
    return ids


def load_demo_leads(session, scale: int, as_of: str) -> dict[str, int]:
    """Write the demo pipeline into a database that holds the rest of the demo; flushes."""
    today = P.month_start(as_of).replace(day=PIPELINE_DAY)
    rng = _rng(scale, "leads")
    scene = _scene(session, scale, today)
    if scene is None:
        return {}
    stages = [stage for stage, (n, _) in STAGE_MIX.items() for _ in range(n * scale)]
    rng.shuffle(stages)
    settled_pool = rng.sample(scene.recent, min(len(scene.recent), stages.count("settled")))

    leads, targets, followups, changes = [], [], [], []
    active_names: list[str] = []
    for index, stage in enumerate(stages):
        r = _rng(scale, "lead", index)
        owner = scene.promoters[index % len(scene.promoters)]
        group = r.choices(list(GROUP_WEIGHTS), list(GROUP_WEIGHTS.values()))[0]
        hq = r.choices(["none", "regional", "functional", "comprehensive", "multinational"], [62, 16, 10, 7, 5])[0]
        d = _Draft(index, stage, owner, group, hq)
        _identity(r, d, scene, settled_pool, active_names)
        _size(r, d)
        _activity(r, d, today)
        _signing(r, d, today)
        _next_followup(r, d, today)
        leads.append(_lead_row(r, d))
        if d.stage in ("lead", "contact", "visit", "negotiation"):
            active_names.append(d.name)
        targets.append(d.target_ids)
        followups.extend(_followup_rows(r, d))
        changes.extend(_stage_changes(r, d, leads[-1]["lost_reason"]))
    ids = _insert(session, leads, targets, followups, changes)
    return {"招商项目": len(ids), "跟进记录": len(followups)}
