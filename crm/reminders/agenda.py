"""What is due on a date: the reminders each person should get, computed over the session.

Pure functions of (session, day): they read, they never write or send. ``crm.reminders.notify``
records what they return (exactly once, by unique key) and ``crm.reminders`` sends it.

- A promoter's daily digest: follow-ups due today, overdue, new leads without a first follow-up
  past the deadline, stale leads — the pipeline's own definitions (``services.followups.my_work``,
  the lists of the /followups page, and the deadline rules and flags of ``services.leads``).
- A manager's lease items: each lease ending within 90 days, and again within 30 days (one item
  per lease per threshold), gathered into the manager's digest of the day; the leases are the
  building managers' list (``services.expiries``), with the tenant's tax — for a manager the tax
  attributed to the buildings they keep, as their pages show it. A lease that reaches its end date
  with no move-out is told on that day and every week after while it stays 到期未处置 (one item
  per lease and week: renewed, moved out or made open-ended, it stops).
- An admin's escalation: overdue follow-ups older than 7 days, leases past their end for more than
  7 days with no move-out recorded, and the due work of leads whose owner was deactivated.
- 属地化 follow-ups: the owner of a 属地化 work item is told on (or, run late, after) the item's
  next follow-up date, once per item and date — a new follow-up with a new date tells again.
- Monthly confirmation: managers reminded on days 1, 3 and 5 to confirm last month; from day 6
  admins are told which buildings are late.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from crm.formats import money
from crm.models import Building, Lead, OccupancySnapshot, User, user_buildings
from crm.services import expiries
from crm.services import periods as P
from crm.services.confirmation import due_period
from crm.services.followups import my_work
from crm.services.leads import flag_conditions, pipeline_rules

LEASE_THRESHOLDS = (30, 90)  # days; the nearer threshold wins when a lease is first seen late
LAPSED_KIND = "lease_lapsed"
LAPSED_EVERY_DAYS = 7  # a lapsed lease is told on its end date and again each week
ESCALATION_DAYS = 7
ZERO = Decimal(0)
CONFIRMATION_STEPS = (1, 3, 5)  # days of the month on which managers are reminded
LINES_PER_SECTION = 30  # a digest lists this many lines per section, then "and N more"


@dataclass
class Line:
    text: str
    link: str | None = None


@dataclass
class Section:
    heading: str
    lines: list[Line]
    total: int = 0  # lines before the cap; more than len(lines) means "and N more"
    short: str = ""  # the heading in a few words, for a title


@dataclass
class Due:
    """One reminder for one recipient, keyed (kind, object, recipient, due_key) for exactly-once."""

    kind: str
    object_type: str
    object_id: str
    recipient_id: int
    due_key: str
    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)
    link: str | None = None
    attachment_name: str | None = None
    attachment: bytes | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.object_type, self.object_id, self.recipient_id, self.due_key)


@dataclass
class Item:
    """A line that belongs in a digest but must be told only once (a lease crossing 90 days)."""

    kind: str
    object_type: str
    object_id: str
    recipient_id: int
    due_key: str
    line: Line
    sort_key: tuple = ()

    @property
    def key(self) -> tuple:
        return (self.kind, self.object_type, self.object_id, self.recipient_id, self.due_key)


def section(heading: str, lines: list[Line], short: str = "") -> Section:
    return Section(heading, lines[:LINES_PER_SECTION], total=len(lines), short=short)


# --------------------------------------------------------------------------------------------
# People


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    name: str
    active: bool


def people(session) -> dict[int, Person]:
    """Every user in one query (deactivated ones too: their leads must be handed to admins)."""
    rows = session.execute(select(User.id, User.role, User.display_name, User.active))
    return {r.id: Person(r.id, r.role, r.display_name, bool(r.active)) for r in rows}


def active_with_role(everyone: dict[int, Person], *roles: str) -> list[int]:
    return sorted(p.id for p in everyone.values() if p.active and p.role in roles)


# --------------------------------------------------------------------------------------------
# Follow-ups: the pipeline's own definitions (``services.followups.my_work`` — the same lists as
# the /followups page — and the deadline rules and flags of ``services.leads``).


@dataclass
class LeadState:
    id: int
    name: str
    stage_label: str
    owner_id: int
    next_followup_on: date | None
    created_on: date
    last_followup_on: date | None

    @property
    def link(self) -> str:
        return f"/leads/{self.id}"


def _state(lead: Lead) -> LeadState:
    return LeadState(
        lead.id,
        lead.company_name,
        lead.stage_label,
        lead.owner_id,
        lead.next_followup_on,
        lead.created_on,
        lead.last_followup_on,
    )


@dataclass
class FollowupWork:
    due_today: list[LeadState] = field(default_factory=list)
    overdue: list[LeadState] = field(default_factory=list)
    never_followed: list[LeadState] = field(default_factory=list)
    stale: list[LeadState] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.due_today or self.overdue or self.never_followed or self.stale)


def followup_work(session, day: date) -> dict[int, FollowupWork]:
    """Each owner's due, overdue, never-followed (past the deadline) and stale leads on ``day``."""
    rules = pipeline_rules(session)
    everyone = my_work(session, day)
    work: dict[int, FollowupWork] = defaultdict(FollowupWork)
    for item in everyone.due_today:
        work[item.lead.owner_id].due_today.append(_state(item.lead))
    for item in everyone.overdue:
        work[item.lead.owner_id].overdue.append(_state(item.lead))
    late = day - timedelta(days=rules.first_followup_days)
    for item in everyone.never:
        if item.lead.created_on < late:
            work[item.lead.owner_id].never_followed.append(_state(item.lead))
    stale = session.scalars(
        select(Lead)
        .where(flag_conditions(day, rules)["stale"], Lead.merged_into_id.is_(None))
        .order_by(Lead.last_followup_on, Lead.id)
    )
    for lead in stale:
        work[lead.owner_id].stale.append(_state(lead))
    return {owner: w for owner, w in work.items() if w}


def _lead_line(lead: LeadState, what: str) -> Line:
    return Line(f"{lead.name}（{lead.stage_label}）— {what}", lead.link)


def _overdue_days(lead: LeadState, day: date) -> int:
    return (day - lead.next_followup_on).days


def followup_sections(work: FollowupWork, day: date, owner_name: str | None = None) -> list[Section]:
    prefix = f"{owner_name}：" if owner_name else ""
    sections = [
        section("今日到期", [_lead_line(lead, prefix + "今天跟进") for lead in work.due_today]),
        section(
            "已逾期",
            [
                _lead_line(
                    lead, f"{prefix}逾期 {_overdue_days(lead, day)} 天（应于 {lead.next_followup_on.isoformat()} 跟进）"
                )
                for lead in work.overdue
            ],
        ),
        section(
            "新项目尚未首次跟进",
            [
                _lead_line(lead, f"{prefix}{lead.created_on.isoformat()} 登记，已 {(day - lead.created_on).days} 天")
                for lead in work.never_followed
            ],
        ),
        section(
            "久未跟进",
            [
                _lead_line(
                    lead,
                    f"{prefix}上次跟进 {lead.last_followup_on.isoformat()}，已 {(day - lead.last_followup_on).days} 天",
                )
                for lead in work.stale
            ],
        ),
    ]
    return [s for s in sections if s.total]


def followup_digests(
    session, day: date, everyone: dict[int, Person] | None = None, work: dict[int, FollowupWork] | None = None
) -> list[Due]:
    """One digest per active owner with something to do; a deactivated owner's go to escalation."""
    everyone = everyone if everyone is not None else people(session)
    work = work if work is not None else followup_work(session, day)
    digests = []
    for owner_id, mine in sorted(work.items()):
        owner = everyone.get(owner_id)
        if owner is None or not owner.active:
            continue
        counts = [
            ("今日到期", len(mine.due_today)),
            ("逾期", len(mine.overdue)),
            ("待首次跟进", len(mine.never_followed)),
            ("久未跟进", len(mine.stale)),
        ]
        summary = "，".join(f"{label} {n}" for label, n in counts if n)
        digests.append(
            Due(
                kind="followup_digest",
                object_type="user",
                object_id=str(owner_id),
                recipient_id=owner_id,
                due_key=day.isoformat(),
                title=f"{day.isoformat()} 跟进提醒：{summary}",
                intro=f"{owner.name}，您好！以下是您负责的招商项目今天需要处理的跟进。",
                sections=followup_sections(mine, day),
                link="/followups",
            )
        )
    return digests


# --------------------------------------------------------------------------------------------
# Escalation


def escalations(
    session, day: date, everyone: dict[int, Person] | None = None, work: dict[int, FollowupWork] | None = None
) -> list[Due]:
    """One digest per active admin: items overdue more than 7 days, and deactivated owners' work."""
    everyone = everyone if everyone is not None else people(session)
    admins = active_with_role(everyone, "admin")
    if not admins:
        return []
    work = work if work is not None else followup_work(session, day)
    nobody = Person(0, "", "已删除的用户", False)
    cutoff = day - timedelta(days=ESCALATION_DAYS)
    long_overdue = [
        lead
        for owner, w in work.items()
        if everyone.get(owner, nobody).active
        for lead in w.overdue
        if lead.next_followup_on < cutoff
    ]
    orphaned = {owner: w for owner, w in work.items() if not everyone.get(owner, nobody).active}
    stuck = [e for e in expiries.overdue(session, day) if e.lease.end_date < cutoff]
    sections = []
    if orphaned:
        lines = []
        for owner_id, w in sorted(orphaned.items()):
            name = f"{everyone.get(owner_id, nobody).name}（已停用）"
            for s in followup_sections(w, day, name):
                lines.extend(Line(f"{s.heading}：{line.text}", line.link) for line in s.lines)
        sections.append(section("负责人已停用的项目（请重新分配）", lines, "负责人已停用"))
    if long_overdue:
        sections.append(
            section(
                f"跟进逾期超过 {ESCALATION_DAYS} 天",
                [
                    _lead_line(lead, f"{everyone[lead.owner_id].name}，逾期 {_overdue_days(lead, day)} 天")
                    for lead in sorted(long_overdue, key=lambda lead: (lead.next_followup_on, lead.id))
                ],
                f"跟进逾期超 {ESCALATION_DAYS} 天",
            )
        )
    if stuck:
        sections.append(
            section(
                f"租约到期未处置超过 {ESCALATION_DAYS} 天（未续租、未登记迁出）",
                [
                    Line(
                        f"{e.lease.company.name}（{e.lease.building.name}）— {e.lease.end_date.isoformat()} 到期，"
                        f"已 {-e.days_left} 天",
                        f"/buildings/{e.lease.building.code}",
                    )
                    for e in stuck
                ],
                "租约到期未处置",
            )
        )
    if not sections:
        return []
    counts = "，".join(f"{s.short or s.heading} {s.total} 项" for s in sections)
    return [
        Due(
            kind="escalation",
            object_type="user",
            object_id=str(admin_id),
            recipient_id=admin_id,
            due_key=day.isoformat(),
            title=f"{day.isoformat()} 逾期事项汇总：{counts}",
            intro="以下事项已逾期或无人负责，请督办。",
            sections=sections,
            link="/followups",
        )
        for admin_id in admins
    ]


# --------------------------------------------------------------------------------------------
# Lease expiries: the building managers' own list (``services.expiries``), told once per threshold


def building_managers(session) -> dict[int, list[int]]:
    """Active managers per building id."""
    rows = session.execute(
        select(user_buildings.c.building_id, User.id)
        .join(User, User.id == user_buildings.c.user_id)
        .where(User.active.is_(True), User.role == "manager")
    )
    managers: dict[int, list[int]] = defaultdict(list)
    for building_id, user_id in rows:
        managers[building_id].append(user_id)
    return managers


def lease_threshold(days_left: int) -> int:
    """The nearest threshold the lease is within (30 before 90)."""
    return next(t for t in sorted(LEASE_THRESHOLDS) if days_left <= t)


def _expiry_line(e, tax_12m) -> str:
    tax = f"，近 12 个月纳税 {money(tax_12m)}" if tax_12m else ""
    big = "【重点纳税企业】" if tax_12m >= expiries.LARGE_TAXPAYER else ""
    left = "今天到期" if e.days_left == 0 else f"还有 {e.days_left} 天"
    return f"{big}{e.lease.company.name}（{e.lease.building.name}）— {e.lease.end_date.isoformat()} 到期，{left}{tax}"


def _tax_told_to_managers(session, found, day: date, managers: dict[int, list[int]]) -> dict[int, dict[int, Decimal]]:
    """What each manager told of these leases may know of the tenants' tax: the tax attributed to
    the buildings they keep (as their pages show it), by company."""
    kept: dict[int, set[int]] = defaultdict(set)
    for building_id, ids in managers.items():
        for manager in ids:
            kept[manager].add(building_id)
    told = sorted({m for e in found for m in managers.get(e.lease.building_id, [])})
    leases = [e.lease for e in found]
    return {m: expiries.tenant_tax(session, leases, day, kept[m]) for m in told}


def lease_expiry_items(session, day: date, everyone: dict[int, Person] | None = None) -> list[Item]:
    """One item per lease per threshold per manager of its building (admins when it has none)."""
    everyone = everyone if everyone is not None else people(session)
    managers = building_managers(session)
    admins = active_with_role(everyone, "admin")
    found = expiries.expiring(session, day, max(LEASE_THRESHOLDS))
    managers_tax = _tax_told_to_managers(session, found, day, managers)
    items = []
    for e in found:
        threshold = lease_threshold(e.days_left)
        link = f"/buildings/{e.lease.building.code}"
        for recipient in managers.get(e.lease.building_id) or admins:
            tax = managers_tax[recipient].get(e.lease.company_id, ZERO) if recipient in managers_tax else e.tax_12m
            items.append(
                Item(
                    kind=f"lease_expiry_{threshold}",
                    object_type="lease",
                    object_id=str(e.lease.id),
                    recipient_id=recipient,
                    due_key=e.lease.end_date.isoformat(),
                    line=Line(_expiry_line(e, tax), link),
                    sort_key=(e.lease.end_date, e.lease.id),
                )
            )
    return items


def lapsed_week(end: date, day: date) -> int:
    """The reminder week ``day`` falls in for a lease that ended on ``end``: 0 from the end date
    itself, 1 from a week later, and so on (a tick missed on the day catches up within the week)."""
    return (day - end).days // LAPSED_EVERY_DAYS


def _lapsed_line(lease, day: date, area) -> str:
    days = (day - lease.end_date).days
    when = (
        "今天到期，明天起如未续租或登记迁出即为到期未处置"
        if days == 0
        else f"{lease.end_date.isoformat()} 到期，已过 {days} 天未处置"
    )
    return f"{lease.company.name}（{lease.building.name}，{area:,.0f} m²）— {when}"


def lease_lapsed_items(session, day: date, everyone: dict[int, Person] | None = None) -> list[Item]:
    """Leases ending today or 到期未处置 (past their end, no move-out): one item per lease and week
    since the end, for each manager of its building (admins when it has none)."""
    everyone = everyone if everyone is not None else people(session)
    managers = building_managers(session)
    admins = active_with_role(everyone, "admin")
    items = []
    for e in expiries.expiring(session, day, 0) + expiries.overdue(session, day):
        lease = e.lease
        if lease.end_date > day:
            continue
        line = Line(_lapsed_line(lease, day, e.area), f"/buildings/{lease.building.code}/expiries")
        due_key = f"{lease.end_date.isoformat()}#{lapsed_week(lease.end_date, day)}"
        for recipient in managers.get(lease.building_id) or admins:
            items.append(
                Item(
                    kind=LAPSED_KIND,
                    object_type="lease",
                    object_id=str(lease.id),
                    recipient_id=recipient,
                    due_key=due_key,
                    line=line,
                    sort_key=(lease.end_date, lease.id),
                )
            )
    return items


def lease_digest(recipient_id: int, day: date, items: list[Item], everyone: dict[int, Person]) -> Due:
    """The digest of the lease items first recorded today for one recipient."""
    items = sorted(items, key=lambda i: i.sort_key)
    ending = [i.line for i in items if i.kind == LAPSED_KIND and i.sort_key[0] == day]
    lapsed = [i.line for i in items if i.kind == LAPSED_KIND and i.sort_key[0] != day]
    near = [i.line for i in items if i.kind == "lease_expiry_30"]
    far = [i.line for i in items if i.kind not in ("lease_expiry_30", LAPSED_KIND)]
    sections = [
        s
        for s in (
            section("到期未处置（请续租、登记迁出或转为不定期）", lapsed),
            section("今天到期", ending),
            section("30 天内到期", near),
            section("90 天内到期", far),
        )
        if s.total
    ]
    person = everyone.get(recipient_id)
    counts = [f"{len(lapsed)} 份到期未处置"] if lapsed else []
    counts += [f"{len(ending)} 份今天到期"] if ending else []
    counts += [f"{len(near) + len(far)} 份租约即将到期"] if near or far else []
    return Due(
        kind="lease_digest",
        object_type="user",
        object_id=str(recipient_id),
        recipient_id=recipient_id,
        due_key=day.isoformat(),
        title=f"{day.isoformat()} 租约到期提醒：{'，'.join(counts)}",
        intro=(f"{person.name}，您好！" if person else "")
        + "以下租约即将到期或已到期未处置，请联系租户办理续租或登记迁出。"
        + ("到期未处置的租约不计入入驻，处置前所在楼宇不能确认月度数据。" if lapsed else ""),
        sections=sections,
        link="/expiries",
    )


# --------------------------------------------------------------------------------------------
# Monthly confirmation


def unconfirmed_buildings(session, period: str) -> list[tuple[int, str, str]]:
    """Buildings without a confirmed snapshot of ``period``: (id, code, name), by code."""
    confirmed = select(OccupancySnapshot.building_id).where(
        OccupancySnapshot.period == period, OccupancySnapshot.confirmed_at.is_not(None)
    )
    rows = session.execute(
        select(Building.id, Building.code, Building.name).where(Building.id.not_in(confirmed)).order_by(Building.code)
    )
    return [tuple(r) for r in rows]


def confirmation_step(day: date) -> int | None:
    """The reminder step (1, 3 or 5) a day of the month falls in, None after the last one."""
    if day.day > max(CONFIRMATION_STEPS):
        return None
    return max(s for s in CONFIRMATION_STEPS if s <= day.day)


def confirmation_reminders(session, day: date, everyone: dict[int, Person] | None = None) -> list[Due]:
    """Days 1–5: each manager with an unconfirmed building of last month; later: the admins."""
    everyone = everyone if everyone is not None else people(session)
    period = due_period(day)
    late = unconfirmed_buildings(session, period)
    if not late:
        return []
    step = confirmation_step(day)
    month = P.label(period)
    if step is not None:
        managers = building_managers(session)
        mine: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for building in late:
            for manager in managers.get(building[0], []):
                mine[manager].append(building)
        return [
            Due(
                kind="confirm_month",
                object_type="period",
                object_id=period,
                recipient_id=manager,
                due_key=f"{period}#{step}",
                title=f"请确认{month}的楼宇数据（{len(buildings)} 栋待确认）",
                intro=f"{everyone[manager].name}，您好！{month}已结束，请核对并确认以下楼宇的月度数据（月度填报）。",
                sections=[
                    section(
                        "待确认的楼宇", [Line(f"{code} {name}", f"/buildings/{code}") for _, code, name in buildings]
                    )
                ],
                link="/confirmations",
            )
            for manager, buildings in sorted(mine.items())
        ]
    managers = building_managers(session)
    lines = []
    for building_id, code, name in late:
        names = "、".join(everyone[m].name for m in managers.get(building_id, [])) or "未分配楼宇管理员"
        lines.append(Line(f"{code} {name}（{names}）", f"/buildings/{code}"))
    return [
        Due(
            kind="confirm_late",
            object_type="period",
            object_id=period,
            recipient_id=admin_id,
            due_key=period,
            title=f"{month}月度填报逾期：{len(late)} 栋楼宇尚未确认",
            intro=f"截至 {day.isoformat()}，以下楼宇仍未确认{month}的数据，请督促楼宇管理员尽快确认。",
            sections=[section("未确认的楼宇", lines)],
            link="/confirmations/status",
        )
        for admin_id in active_with_role(everyone, "admin")
    ]


# --------------------------------------------------------------------------------------------
# Monthly briefing


def briefing_reminders(
    period: str, pdf: bytes, everyone: dict[int, Person], briefing_link: str = "/reports"
) -> list[Due]:
    """The archived briefing of ``period`` for every active leader and admin, PDF attached."""
    month = P.label(period)
    filename = f"西岗区商务楼宇经济月度简报-{month}.pdf"
    return [
        Due(
            kind="briefing",
            object_type="period",
            object_id=period,
            recipient_id=person_id,
            due_key=period,
            title=f"西岗区商务楼宇经济月度简报（{month}）",
            intro=f"{everyone[person_id].name}，您好！{month}的月度简报已生成并归档，PDF 见附件，也可在系统“报表”页下载。",
            link=briefing_link,
            attachment_name=filename,
            attachment=pdf,
        )
        for person_id in active_with_role(everyone, "leader", "admin")
    ]


# --------------------------------------------------------------------------------------------
# 属地化 follow-ups


def localisation_followups(session, day: date, everyone: dict[int, Person] | None = None) -> list[Due]:
    """One reminder per open 属地化 item whose next follow-up date has come, to its active owner,
    keyed by that date: told once, however many mornings it stays due."""
    from crm.services.localisation import due_followups

    everyone = everyone if everyone is not None else people(session)
    dues = []
    for owner_id, items in sorted(due_followups(session, day).items()):
        owner = everyone.get(owner_id)
        if owner is None or not owner.active:
            continue
        for item in items:
            when = item.next_followup_on
            late = f"（已逾期 {(day - when).days} 天）" if when < day else ""
            link = f"/localisation/items/{item.id}"
            dues.append(
                Due(
                    kind="localisation_followup",
                    object_type="localisation_item",
                    object_id=str(item.id),
                    recipient_id=owner_id,
                    due_key=when.isoformat(),
                    title=f"属地化跟进：{item.company.name}（{item.kind_label}）{when.isoformat()} 到期{late}",
                    intro=f"{owner.name}，您好！您负责的属地化事项今天需要跟进。",
                    sections=[
                        section(
                            "属地化跟进",
                            [
                                Line(
                                    f"{item.company.name} — {item.state_label}，下次跟进 {when.isoformat()}{late}", link
                                )
                            ],
                            short="属地化跟进",
                        )
                    ],
                    link=link,
                )
            )
    return dues
