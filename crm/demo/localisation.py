"""Demo data for 属地化: dated flag history for the bulk-loaded companies, and a believable work list.

``seed_localisation(session, today)`` is a step of ``load.STEPS``, after the users and the pipeline
(the companies went in as bulk inserts, which the flag listener does not see): it dates every company's flags from its first
lease, then, in every street, puts the 入驻不注册 targets with the most tax at stake to work — some
待核实 with an owner, some 已走访 or 已动员 with follow-ups and a next date, one 不可迁 with its
reason, and one or two 已完成 this month or last (which moves that month's 属地注册率) — and opens
a few 注册不入驻 checks. Owners are the street's manager (``louyuN``) or a promoter
(``zhaoshangN``). Deterministic: the same data and day give the same work list.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from crm.models import Company, LocalisationItem, User
from crm.services import localisation
from crm.services import periods as P
from crm.services.district_flags import backfill_flag_periods

STREETS = ("八一路", "人民广场", "白云", "日新", "香炉礁")
PER_STREET = 8
BLOCKED_REASONS = (
    "集团要求统一在总部所在地注册纳税",
    "外资企业，注册地变更需报商务部门审批，暂不可迁",
    "分支机构，税收在沈阳汇总缴纳",
)
NOTES = (
    "电话联系财务负责人，介绍属地注册政策",
    "上门走访，企业表示可研究在本区设立子公司",
    "送达属地化政策汇编，约定下月再访",
    "与企业负责人面谈，已同意办理迁入手续",
)


def seed_localisation(session, today: date) -> dict[str, int]:
    """Date the flags of the companies loaded in bulk and make the demo's 属地化 work list; flushes,
    the caller commits. Returns counts for the loader's summary."""
    periods = backfill_flag_periods(session)
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.username.like("zhaoshang%") | User.username.like("louyu%")))
    }
    promoters = [users[name] for name in sorted(users) if name.startswith("zhaoshang")]
    targets = localisation.targets(session, "occupying_unregistered", today)
    by_street: dict[str, list[localisation.Target]] = defaultdict(list)
    for target in targets:  # by tax at stake, most first
        by_street[target.street].append(target)
    this_month = P.month_start(P.period_of(today))
    items = done = 0
    for n, street in enumerate(STREETS, start=1):
        manager = users.get(f"louyu{n}")
        for k, target in enumerate(by_street.get(street, [])[:PER_STREET]):
            owner = (
                manager
                if k % 2 == 0 and manager is not None
                else (promoters[(n + k) % len(promoters)] if promoters else None)
            )
            company = session.get(Company, target.company_id)
            item = localisation.item_for(session, company, "occupying_unregistered", target.building_id)
            items += 1
            item.owner_id = owner.id if owner else None
            done += _work(session, item, owner, k, n, today, this_month)
    for k, target in enumerate(localisation.targets(session, "registered_not_occupying", today)[:6]):
        item = localisation.item_for(
            session, session.get(Company, target.company_id), "registered_not_occupying", target.building_id
        )
        items += 1
        owner = promoters[k % len(promoters)] if promoters else None
        item.owner_id = owner.id if owner else None
        if k % 2 and owner is not None:
            localisation.add_followup(
                session,
                item,
                owner,
                today - timedelta(days=4 + k),
                "走访",
                "上门核实：注册地址无人办公，疑为虚拟注册",
                next_on=today + timedelta(days=k + 1),
            )
            localisation.move(session, item, "visited", today)
    session.flush()
    return {"属地标志时段": periods, "属地化事项": items, "属地化已完成": done}


def _work(session, item: LocalisationItem, owner, k: int, n: int, today: date, this_month: date) -> int:
    """Move one demo item along: the k-th target of street n. Returns 1 when it was completed."""
    step = k % 6
    if owner is None or step == 0:
        return 0  # 待核实, owned but untouched
    seen = today - timedelta(days=3 + 2 * k + n)
    localisation.add_followup(
        session,
        item,
        owner,
        seen,
        "走访" if step % 2 else "电话",
        NOTES[(k + n) % len(NOTES)],
        next_on=today + timedelta(days=(k + n) % 5),
    )
    if step in (1, 4):
        localisation.move(session, item, "visited", today)
    elif step == 2:
        localisation.move(session, item, "visited", today)
        localisation.move(session, item, "mobilised", today)
    elif step == 3:
        localisation.move(session, item, "blocked", today, reason=BLOCKED_REASONS[(k + n) % len(BLOCKED_REASONS)])
    elif step == 5:
        localisation.move(session, item, "visited", today)
        localisation.move(session, item, "mobilised", today)
        # Completed this month (not yet confirmed), so this month's 属地注册率 shows it.
        completed = this_month + timedelta(days=(7 * n + k) % today.day)
        localisation.move(session, item, "done", today, completed_on=completed)
        # Registered where it already works: the demo's registered companies all name their building.
        item.company.registered_building_id = item.company.registered_building_id or item.building_id
        return 1
    return 0
