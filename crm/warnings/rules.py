"""The warning rules: what holds on a day, as findings (rule, object, period, figures).

Pure reads over the session; ``crm.warnings.evaluate`` records the findings. The definitions
(thresholds from ``crm.warnings.settings``; "the tax month" M is the latest month with tax data
not after today's month):

- ``tax_drop`` 大户税收下滑 — a top-N taxpayer (Σ total tax of the 12 months ending M, ties by
  company id) whose tax of M−2..M fell by at least the threshold against M−14..M−12:
  (year-ago − recent) ÷ year-ago ≥ 30 % (29.9 % does not warn). Period: M.
- ``lease_expiry`` 大户租约临期未续 — a lease of a top-N taxpayer, active today, no move-out,
  ending in 0..180 days (181 does not warn), and not renewed: no later lease of the company holds
  any of its units (a renewal recorded as a new lease; one that moves the end date simply ends
  later). Period: the end date.
- ``outflow`` 企业外迁 — a company whose 属地注册 or 属地纳税 flag went from yes to no in the
  look-back window and is still no, or whose last lease in the district ended by a move-out in
  the window with no lease active today. Period: the day of the earliest such event. An open
  warning stays found after its event leaves the window while its condition holds.
- ``occupancy_drop`` 入驻率下滑 — a building whose occupancy at the end of the last complete
  month L fell by at least the threshold in points against the end of L−1 (5 warns, 4.9 does
  not). Period: L.
- ``tier_at_risk`` 档次不保 (亿元楼 at risk) — a building that reached a tier last year whose
  projected tax of this year (``crm.services.candidates.project``, as of M) is below that tier's
  threshold. Period: M.
- ``unconfirmed`` 月度数据逾期未确认 — a building with a month of the last three complete months
  unconfirmed more than the grace days after its end (on day 10 after month end it does not
  warn, on day 11 it does). Period: the oldest such month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from crm.formats import money
from crm.models import Building, Company, Lease, OccupancySnapshot, TaxRecord, lease_units
from crm.models.choices import TIERS
from crm.services import periods as P
from crm.services.candidates import previous_year_figures, project
from crm.services.occupancy import lease_active_on
from crm.services.snapshots import occupancy_for_months
from crm.services.tax import ZERO, tax_by_building, tax_windows, tier_rules
from crm.models.localisation import FLAGS
from crm.services.localisation import flag_changes
from crm.warnings.settings import WarningSettings

RULES = {
    "tax_drop": "大户税收下滑",
    "lease_expiry": "大户租约临期未续",
    "outflow": "企业外迁",
    "occupancy_drop": "入驻率下滑",
    "tier_at_risk": "楼宇档次不保",
    "unconfirmed": "月度数据逾期未确认",
}
TAX_RULES = ("tax_drop", "lease_expiry", "tier_at_risk")  # evaluated again after every tax import
COMPANY_RULES = ("tax_drop", "outflow")  # owned by the promoter whose portfolio holds the company
CONFIRM_LOOKBACK_MONTHS = 3
HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


@dataclass
class Finding:
    rule: str
    object_type: str  # company | lease | building
    object_id: int
    period: str
    title: str
    severity: str  # high | medium | low
    figures: dict = field(default_factory=dict)
    tax_at_stake: Decimal = ZERO
    building_id: int | None = None
    company_id: int | None = None

    @property
    def object_key(self) -> tuple[str, int]:
        return (self.object_type, self.object_id)


def pct(value: Decimal) -> float:
    """A percentage (or points) with one decimal, rounded half-up, for the figures."""
    return float(value.quantize(ONE_DECIMAL, ROUND_HALF_UP))


def yuan(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------
# What the rules share


def tax_month(session, today: date) -> str | None:
    """M: the latest month with tax data, not after today's month."""
    return session.scalar(select(func.max(TaxRecord.period)).where(TaxRecord.period <= P.period_of(today)))


def top_taxpayers(session, month: str, n: int) -> dict[int, tuple[int, Decimal]]:
    """{company id: (rank, Σ total tax of the 12 months ending ``month``)} of the top ``n``."""
    total = func.sum(TaxRecord.total_tax)
    rows = session.execute(
        select(TaxRecord.company_id, total)
        .where(TaxRecord.period.between(P.shift(month, -11), month))
        .group_by(TaxRecord.company_id)
        .having(total > 0)
        .order_by(total.desc(), TaxRecord.company_id)
        .limit(n)
    )
    return {cid: (rank, Decimal(amount)) for rank, (cid, amount) in enumerate(rows, start=1)}


def company_buildings(session, company_ids, today: date) -> dict[int, int]:
    """The building a company's warning belongs to: its registered building, else the building of
    its latest lease active today, else of its latest lease at all, else the building its latest
    tax was attributed to."""
    ids = list(company_ids)
    if not ids:
        return {}
    found = {
        cid: bid
        for cid, bid in session.execute(
            select(Company.id, Company.registered_building_id).where(
                Company.id.in_(ids), Company.registered_building_id.is_not(None)
            )
        )
    }
    rest = [cid for cid in ids if cid not in found]
    if rest:
        active = case((lease_active_on(today), 1), else_=0)
        rows = session.execute(
            select(Lease.company_id, Lease.building_id)
            .where(Lease.company_id.in_(rest))
            .order_by(Lease.company_id, active, Lease.start_date, Lease.id)
        )
        for cid, bid in rows:  # the last row of each company wins: active first, then newest
            found[cid] = bid
    rest = [cid for cid in ids if cid not in found]
    if rest:
        rows = session.execute(
            select(TaxRecord.company_id, TaxRecord.building_id)
            .where(TaxRecord.company_id.in_(rest), TaxRecord.building_id.is_not(None))
            .order_by(TaxRecord.company_id, TaxRecord.period)
        )
        for cid, bid in rows:  # the building its latest tax was attributed to
            found[cid] = bid
    return found


def names_of(session, company_ids) -> dict[int, str]:
    ids = list(company_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all())


# --------------------------------------------------------------------------------------------
# 1. tax_drop


def tax_drop(session, today: date, s: WarningSettings, top=None, month=None) -> list[Finding]:
    month = month or tax_month(session, today)
    if month is None:
        return []
    top = top if top is not None else top_taxpayers(session, month, s.top_n)
    if not top:
        return []
    recent_first, year_ago_first = P.shift(month, -2), P.shift(month, -14)
    year_ago_last = P.shift(month, -12)
    recent = func.coalesce(
        func.sum(case((TaxRecord.period.between(recent_first, month), TaxRecord.total_tax), else_=0)), 0
    )
    year_ago = func.coalesce(
        func.sum(case((TaxRecord.period.between(year_ago_first, year_ago_last), TaxRecord.total_tax), else_=0)), 0
    )
    rows = session.execute(
        select(TaxRecord.company_id, recent, year_ago)
        .where(TaxRecord.company_id.in_(list(top)), TaxRecord.period.between(year_ago_first, month))
        .group_by(TaxRecord.company_id)
    ).all()
    falling = []
    for cid, now_amount, before_amount in rows:
        now_amount, before_amount = Decimal(now_amount), Decimal(before_amount)
        if before_amount <= 0:
            continue
        drop = (before_amount - now_amount) / before_amount * HUNDRED
        if drop >= s.tax_drop_pct:
            falling.append((cid, now_amount, before_amount, drop))
    names = names_of(session, [f[0] for f in falling])
    buildings = company_buildings(session, [f[0] for f in falling], today)
    findings = []
    for cid, now_amount, before_amount, drop in falling:
        rank, tax_12m = top[cid]
        findings.append(
            Finding(
                "tax_drop",
                "company",
                cid,
                month,
                f"{names.get(cid, cid)}：近 3 个月税收同比下降 {pct(drop)}%",
                "high" if drop >= 2 * s.tax_drop_pct or drop >= 50 else "medium",
                {
                    "month": month,
                    "recent": [recent_first, month],
                    "year_ago": [year_ago_first, year_ago_last],
                    "recent_tax": yuan(now_amount),
                    "year_ago_tax": yuan(before_amount),
                    "drop_pct": pct(drop),
                    "threshold_pct": float(s.tax_drop_pct),
                    "rank": rank,
                    "tax_12m": yuan(tax_12m),
                },
                tax_12m,
                buildings.get(cid),
                cid,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# 2. lease_expiry


def lease_expiry(session, today: date, s: WarningSettings, top=None, month=None) -> list[Finding]:
    month = month or tax_month(session, today)
    if month is None:
        return []
    top = top if top is not None else top_taxpayers(session, month, s.top_n)
    if not top:
        return []
    later, mine, theirs = aliased(Lease), lease_units.alias("mine"), lease_units.alias("theirs")
    renewed = exists().where(
        later.company_id == Lease.company_id,
        later.start_date > Lease.start_date,
        theirs.c.lease_id == later.id,
        mine.c.lease_id == Lease.id,
        theirs.c.unit_id == mine.c.unit_id,
    )
    rows = session.execute(
        select(Lease.id, Lease.company_id, Lease.building_id, Lease.end_date, Company.name, Building.name)
        .join(Company, Company.id == Lease.company_id)
        .join(Building, Building.id == Lease.building_id)
        .where(
            Lease.company_id.in_(list(top)),
            lease_active_on(today),
            Lease.end_date.is_not(None),
            Lease.end_date <= today + timedelta(days=s.lease_days),
            ~renewed,
        )
        .order_by(Lease.end_date, Lease.id)
    ).all()
    findings = []
    for lease_id, cid, bid, end, company, building in rows:
        days = (end - today).days
        rank, tax_12m = top[cid]
        findings.append(
            Finding(
                "lease_expiry",
                "lease",
                lease_id,
                end.isoformat(),
                f"{company}在{building}的租约 {end.isoformat()} 到期（剩 {days} 天），尚未续约",
                "high" if days <= 60 else "medium",
                {
                    "end_date": end.isoformat(),
                    "days_left": days,
                    "threshold_days": s.lease_days,
                    "rank": rank,
                    "tax_12m": yuan(tax_12m),
                    "month": month,
                },
                tax_12m,
                bid,
                cid,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# 3. outflow


def _flag_losses(session, start: date, today: date) -> dict[int, dict[str, date]]:
    """{company: {flag: first day it went from yes to no in the window}}, for flags still no."""
    lost: dict[int, dict[str, date]] = defaultdict(dict)
    for change in flag_changes(session, start, today):  # oldest first
        if not change.value:
            lost[change.company_id].setdefault(change.flag, change.on)
    if not lost:
        return {}
    current = {
        row.id: row
        for row in session.execute(
            select(Company.id, Company.registered_in_district, Company.taxed_in_district).where(
                Company.id.in_(list(lost))
            )
        )
    }
    still = {}
    for cid, flags in lost.items():
        row = current.get(cid)
        if row is None:
            continue
        kept = {f: day for f, day in flags.items() if not getattr(row, f)}
        if kept:
            still[cid] = kept
    return still


def _moved_out(session, start: date, today: date) -> dict[int, tuple[date, int]]:
    """{company: (last move-out day, its building)} of companies whose move-out in the window left
    them without a lease active today."""
    other = aliased(Lease)
    still_here = exists().where(other.company_id == Lease.company_id, _active(other, today))
    rows = session.execute(
        select(Lease.company_id, Lease.moved_out_on, Lease.building_id)
        .where(Lease.moved_out_on.between(start, today), ~still_here)
        .order_by(Lease.company_id, Lease.moved_out_on, Lease.id)
    )
    return {cid: (day, bid) for cid, day, bid in rows}  # the last move-out of each company wins


def _active(lease, day: date):
    # ``lease_active_on`` for an aliased lease.
    return and_(
        lease.start_date <= day,
        or_(lease.moved_out_on.is_(None), lease.moved_out_on > day),
        or_(lease.end_date.is_(None), lease.end_date >= day),
    )


def _still_out(session, today: date, exclude) -> list[Finding]:
    """The open outflow warnings whose event left the look-back window but whose condition still
    holds (a flag still no, or still no lease in the district): found again, as they were."""
    from crm.models import EarlyWarning
    from crm.models.warning import OPEN_STATES

    rows = session.execute(
        select(
            EarlyWarning.object_id,
            EarlyWarning.period,
            EarlyWarning.title,
            EarlyWarning.severity,
            EarlyWarning.figures,
            EarlyWarning.tax_at_stake,
            EarlyWarning.building_id,
        ).where(EarlyWarning.rule == "outflow", EarlyWarning.state.in_(OPEN_STATES))
    ).all()
    rows = [r for r in rows if r.object_id not in exclude]
    if not rows:
        return []
    ids = [r.object_id for r in rows]
    flags = {
        r.id: r
        for r in session.execute(
            select(Company.id, Company.registered_in_district, Company.taxed_in_district).where(Company.id.in_(ids))
        )
    }
    leased = set(session.scalars(select(Lease.company_id).where(Lease.company_id.in_(ids), lease_active_on(today))))
    found = []
    for r in rows:
        company = flags.get(r.object_id)
        if company is None:
            continue
        figures = r.figures or {}
        holds = any(not getattr(company, flag) for flag in figures.get("lost_flags", []) if flag in FLAGS)
        holds = holds or (figures.get("moved_out") and r.object_id not in leased)
        if holds:
            found.append(
                Finding(
                    "outflow",
                    "company",
                    r.object_id,
                    r.period,
                    r.title,
                    r.severity,
                    figures,
                    Decimal(r.tax_at_stake or 0),
                    r.building_id,
                    r.object_id,
                )
            )
    return found


def outflow(session, today: date, s: WarningSettings, month=None, **_) -> list[Finding]:
    start = today - timedelta(days=s.outflow_days)
    lost = _flag_losses(session, start, today)
    moved = _moved_out(session, start, today)
    ids = sorted(set(lost) | set(moved))
    earlier = _still_out(session, today, set(ids))
    if not ids:
        return earlier
    names = names_of(session, ids)
    buildings = company_buildings(session, ids, today)
    month = month or tax_month(session, today)
    taxes = _company_12m(session, ids, month)
    findings = []
    for cid in ids:
        reasons, days = [], []
        for flag, day in sorted(lost.get(cid, {}).items()):
            reasons.append(f"{day.isoformat()} 不再{FLAGS[flag]}")
            days.append(day)
        if cid in moved:
            day, bid = moved[cid]
            reasons.append(f"{day.isoformat()} 迁出（区内已无在租）")
            days.append(day)
        severe = cid in moved or "taxed_in_district" in lost.get(cid, {})
        findings.append(
            Finding(
                "outflow",
                "company",
                cid,
                min(days).isoformat(),
                f"{names.get(cid, cid)}：{'；'.join(reasons)}",
                "high" if severe else "medium",
                {
                    "reasons": reasons,
                    "lost_flags": sorted(lost.get(cid, {})),
                    "moved_out": cid in moved,
                    "tax_12m": yuan(taxes.get(cid, ZERO)),
                },
                taxes.get(cid, ZERO),
                buildings.get(cid) or (moved[cid][1] if cid in moved else None),
                cid,
            )
        )
    return findings + earlier


def _company_12m(session, company_ids, month) -> dict[int, Decimal]:
    if month is None or not company_ids:
        return {}
    rows = session.execute(
        select(TaxRecord.company_id, func.sum(TaxRecord.total_tax))
        .where(TaxRecord.company_id.in_(list(company_ids)), TaxRecord.period.between(P.shift(month, -11), month))
        .group_by(TaxRecord.company_id)
    )
    return {cid: Decimal(total) for cid, total in rows}


# --------------------------------------------------------------------------------------------
# 4. occupancy_drop and tier_at_risk


def rate(occupancy) -> Decimal | None:
    """Occupied ÷ leasable as an exact fraction (never above 1); None without leasable area."""
    if occupancy is None or occupancy.leasable_area <= 0:
        return None
    return min(Decimal(occupancy.occupied_area) / Decimal(occupancy.leasable_area), Decimal(1))


def occupancy_drop(session, today: date, s: WarningSettings, month=None, **_) -> list[Finding]:
    last = P.last_complete_month(today)
    before = P.shift(last, -1)
    figures = occupancy_for_months(session, [before, last])
    buildings = dict(session.execute(select(Building.id, Building.name)).all())
    tax_period = month or tax_month(session, today)
    taxes = tax_by_building(session, P.shift(tax_period, -11), tax_period) if tax_period else {}
    findings = []
    for bid, name in sorted(buildings.items()):
        was, now = rate(figures.get((bid, before))), rate(figures.get((bid, last)))
        if was is None or now is None:
            continue
        points = (was - now) * HUNDRED
        if points < s.occupancy_points:
            continue
        findings.append(
            Finding(
                "occupancy_drop",
                "building",
                bid,
                last,
                f"{name}：{P.label(last)}末入驻率 {pct(now * HUNDRED)}%，比上月末下降 {pct(points)} 个百分点",
                "high" if points >= 2 * s.occupancy_points else "medium",
                {
                    "month": last,
                    "previous_month": before,
                    "rate_pct": pct(now * HUNDRED),
                    "previous_rate_pct": pct(was * HUNDRED),
                    "drop_points": pct(points),
                    "threshold_points": float(s.occupancy_points),
                    "occupied_area": float(figures[(bid, last)].occupied_area),
                    "previous_occupied_area": float(figures[(bid, before)].occupied_area),
                },
                taxes.get(bid, ZERO),
                bid,
            )
        )
    return findings


def tier_at_risk(session, today: date, s: WarningSettings, month=None, **_) -> list[Finding]:
    month = month or tax_month(session, today)
    if month is None:
        return []
    rules = tier_rules(session)
    year, mon = P.split(month)
    previous = previous_year_figures(session, year - 1, rules.basis)
    windows = {"ytd": (f"{year:04d}-01", month), "ytd_prev": (f"{year - 1:04d}-01", P.shift(month, -12))}
    taxes = tax_windows(session, windows, None, rules.basis)
    names = dict(session.execute(select(Building.id, Building.name)).all())
    findings = []
    for bid, (annual_prev, months_prev) in sorted(previous.items()):
        tier = rules.tier_of(annual_prev) if annual_prev > 0 else None
        if tier is None or bid not in names:
            continue
        tax = taxes.get(bid, {"ytd": ZERO, "ytd_prev": ZERO})
        projection = project(tax["ytd"], tax["ytd_prev"], annual_prev, months_prev == 12, mon)
        threshold = rules.thresholds[tier]
        if projection >= threshold:
            continue
        gap = threshold - projection
        findings.append(
            Finding(
                "tier_at_risk",
                "building",
                bid,
                month,
                f"{names[bid]}：{year - 1}年为{TIERS.get(tier, tier)}，按截至{P.label(month)}的进度预计全年 "
                f"{money(projection)}，低于门槛 {money(gap)}",
                "high" if tier == "yi" else "medium",
                {
                    "month": month,
                    "tier_prev": tier,
                    "tier_prev_label": TIERS.get(tier, tier),
                    "annual_prev": yuan(annual_prev),
                    "ytd": yuan(tax["ytd"]),
                    "projection": yuan(projection),
                    "threshold": yuan(threshold),
                    "gap": yuan(gap),
                    "basis": rules.basis,
                },
                gap,
                bid,
            )
        )
    return findings


# --------------------------------------------------------------------------------------------
# 5. unconfirmed


def overdue_months(today: date, grace_days: int) -> list[str]:
    """The months of the look-back whose confirmation is late today: more than ``grace_days``
    days have passed since their last day."""
    last = P.last_complete_month(today)
    months = [P.shift(last, -k) for k in range(CONFIRM_LOOKBACK_MONTHS - 1, -1, -1)]
    return [m for m in months if (today - P.month_end(m)).days > grace_days]


def unconfirmed(session, today: date, s: WarningSettings, **_) -> list[Finding]:
    months = overdue_months(today, s.confirm_days)
    if not months:
        return []
    confirmed = set(
        session.execute(
            select(OccupancySnapshot.building_id, OccupancySnapshot.period).where(
                OccupancySnapshot.period.in_(months), OccupancySnapshot.confirmed_at.is_not(None)
            )
        ).all()
    )
    findings = []
    for bid, name in session.execute(select(Building.id, Building.name).order_by(Building.id)):
        late = [m for m in months if (bid, m) not in confirmed]
        if not late:
            continue
        days = (today - P.month_end(late[0])).days
        findings.append(
            Finding(
                "unconfirmed",
                "building",
                bid,
                late[0],
                f"{name}：{'、'.join(P.label(m) for m in late)}数据月末后 {days} 天仍未确认",
                "medium" if len(late) > 1 else "low",
                {"months": late, "days_after_month_end": days, "grace_days": s.confirm_days},
                ZERO,
                bid,
            )
        )
    return findings


FINDERS = {
    "tax_drop": tax_drop,
    "lease_expiry": lease_expiry,
    "outflow": outflow,
    "occupancy_drop": occupancy_drop,
    "tier_at_risk": tier_at_risk,
    "unconfirmed": unconfirmed,
}


def find(session, today: date, s: WarningSettings, rules=None) -> dict[str, list[Finding]]:
    """The findings of ``rules`` (all by default) on ``today``; the top taxpayers and the tax
    month are read once for the rules that share them."""
    rules = list(rules or RULES)
    month = tax_month(session, today)
    top = top_taxpayers(session, month, s.top_n) if month and {"tax_drop", "lease_expiry"} & set(rules) else {}
    result = {}
    for rule in rules:
        if rule in ("tax_drop", "lease_expiry"):
            result[rule] = FINDERS[rule](session, today, s, top=top, month=month)
        else:
            result[rule] = FINDERS[rule](session, today, s, month=month)
    return result
