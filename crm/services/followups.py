"""Follow-ups (跟进记录) and a promoter's day: what is due today, what is overdue (and by how
many days), and which leads were never followed up at all.

Adding a follow-up sets the lead's next follow-up date (a week later unless the promoter picks
one; never in the past) and its last follow-up date, which the deadline flags read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from crm.models import FollowUp, Lead, User
from crm.models.lead import ACTIVE_STAGES, FOLLOWUP_METHODS
from crm.services.errors import DomainError

DEFAULT_INTERVAL = timedelta(days=7)
WORK_STAGES = ACTIVE_STAGES + ("paused",)  # a paused lead comes back on its resume date


def priority_rank():
    return case({"high": 0, "normal": 1, "low": 2}, value=Lead.priority, else_=1)


def default_next_date(on: date) -> date:
    return on + DEFAULT_INTERVAL


def add_followup(
    session,
    lead: Lead,
    actor: User,
    today: date,
    method: str,
    notes: str,
    on: date | None = None,
    next_on: date | None = None,
) -> FollowUp:
    if lead.merged_into_id is not None:
        raise DomainError(f"该项目已合并至项目 #{lead.merged_into_id}，请在那里记录跟进", field="notes")
    if lead.stage in ("settled", "lost"):
        raise DomainError(f"项目已{lead.stage_label}，无需再记录跟进", field="notes")
    if method not in FOLLOWUP_METHODS:
        raise DomainError(f"请选择跟进方式：{'、'.join(FOLLOWUP_METHODS)}", field="method")
    notes = (notes or "").strip()
    if not notes:
        raise DomainError("请填写跟进内容", field="notes")
    on = on or today
    if on > today:
        raise DomainError(f"跟进日期 {on} 晚于今天，请记录已经发生的跟进", field="on")
    next_on = next_on or default_next_date(on)
    if next_on < today:
        raise DomainError(f"下次跟进日期 {next_on} 已经过去，请选今天（{today}）或以后的日期", field="next_on")
    followup = FollowUp(lead=lead, author=actor, on=on, method=method, notes=notes, next_followup_on=next_on)
    session.add(followup)
    lead.next_followup_on = next_on
    if lead.last_followup_on is None or on > lead.last_followup_on:
        lead.last_followup_on = on
    session.flush()
    return followup


def followups_of(session, lead: Lead) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.lead_id == lead.id)
            .options(joinedload(FollowUp.author))
            .order_by(FollowUp.on.desc(), FollowUp.id.desc())
        )
    )


@dataclass
class WorkItem:
    lead: Lead
    days_overdue: int = 0


@dataclass
class MyWork:
    due_today: list[WorkItem]
    overdue: list[WorkItem]
    never: list[WorkItem]
    upcoming: list[WorkItem]
    counts: dict[str, int]  # how many each list has in all, when the lists are cut at a limit

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


UPCOMING_DAYS = 7


def my_work(session, today: date, owner_id: int | None = None, limit: int | None = None) -> MyWork:
    """The leads (of ``owner_id``, or everyone's) due today, overdue, never followed up, and
    due in the coming week, each list the most urgent first and cut at ``limit``. Five small
    queries whatever the number of leads."""
    conditions = {
        "overdue": (Lead.next_followup_on < today,),
        "due_today": (Lead.next_followup_on == today,),
        "never": (Lead.last_followup_on.is_(None), Lead.stage.in_(ACTIVE_STAGES)),
        "upcoming": (Lead.next_followup_on > today, Lead.next_followup_on <= today + timedelta(days=UPCOMING_DAYS)),
    }
    orders = {
        "overdue": [Lead.next_followup_on],
        "due_today": [priority_rank()],
        "never": [Lead.created_on],
        "upcoming": [Lead.next_followup_on],
    }
    scope = [Lead.stage.in_(WORK_STAGES), Lead.merged_into_id.is_(None)]
    if owner_id is not None:
        scope.append(Lead.owner_id == owner_id)

    def leads(name):
        stmt = select(Lead).where(*scope, *conditions[name]).options(joinedload(Lead.owner))
        return list(session.scalars(stmt.order_by(*orders[name], Lead.id).limit(limit)))

    found = {name: leads(name) for name in conditions}
    if limit is None:
        counts = {name: len(rows) for name, rows in found.items()}
    else:
        totals = select(*(func.count(case((and_(*where), 1))).label(name) for name, where in conditions.items()))
        counts = dict(session.execute(totals.where(*scope)).one()._mapping)
    return MyWork(
        due_today=[WorkItem(lead) for lead in found["due_today"]],
        overdue=[WorkItem(lead, (today - lead.next_followup_on).days) for lead in found["overdue"]],
        never=[WorkItem(lead, (today - lead.created_on).days) for lead in found["never"]],
        upcoming=[WorkItem(lead) for lead in found["upcoming"]],
        counts=counts,
    )
