"""The monthly briefing to leadership (西岗区商务楼宇经济月度简报): its figures, and its archive.

``briefing_data`` gathers every figure the PDF prints into one plain, JSON-ready dict — the CLI's
``.json``, the PDF builder (``crm.reports.briefing``) and the archive all read that dict, so the
document cannot show a number the JSON does not hold. Each figure comes from the service the
dashboard uses for it:

- occupancy, tenants, 属地注册率, tax year to date, tiers and the 24-month tax series:
  ``crm.services.figures`` (month figures prefer confirmed snapshots, as everywhere);
- the 亿元楼 candidates: ``crm.services.candidates.candidate_report`` (the candidate report);
- the funnel, landed counts, per-promoter figures and the month's new, signed and landed leads,
  all as of M's end: ``crm.services.pipeline.pipeline_month`` (the dashboard's and the API's);
- leases about to end with their tenant's tax: ``crm.services.expiries``' definition, asked for
  the top-100 taxpayers only (a test holds the two to the same rows);
- the month bridge of occupied area and tenants (变动说明): ``crm.services.bridge.month_bridge``,
  as on the dashboard, with its movers per building (who moved in, out or lapsed, and where).

Page 1's 本月综述 — what rose, what fell, why, and what needs attention — is worded from this
dict by ``crm.services.briefing_summary`` (pure functions) and kept in it as ``summary``; the
issue number (期号) is the month's number in its year: 2026年第11期 for 2026-11.

**Extra sections.** Another domain adds a section with one line in ``EXTRA_SECTIONS`` below: a
function ``(session, month, today) -> BriefingSection | None`` (``crm.services.briefing_sections``:
title, paragraphs, typed tables, notes, an optional sentence for 本月综述). Its JSON goes under
``sections`` and the PDF prints it after the fixed sections, numbered on (七、八、…); the
function may not import this module (it is imported from here). Today: 属地化
(``crm.services.localisation.briefing_section``) and 预警处置 (``crm.warnings.briefing``).

What no service had yet is computed here, in SQL: move-ins and move-outs of a month with their
area, the district's top taxpayers, tenants that left the district, tier movements.

Money is in yuan and areas in m² (floats of the exact Decimals), rates are fractions, changes of
rates are percentage points. ``crm.monthly_briefing.generate_briefing`` renders the PDF and archives it as a new
version in the database (several app hosts share it; no host disk is involved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from crm.formats import money
from crm.models import (
    Briefing,
    Building,
    BuildingTaxMonth,
    Company,
    Lead,
    Lease,
    OccupancySnapshot,
    TaxRecord,
    Unit,
    User,
    lease_units,
)
from crm.models.choices import STREETS
from crm.models.lead import stage_label
from crm.services import periods as P
from crm.services.bridge import MonthBridge, month_bridge
from crm.services.briefing_sections import BriefingSection
from crm.services.briefing_summary import confirmation_sentence, issue_label, summary_sentences
from crm.services.candidates import as_json as candidates_json
from crm.services.candidates import candidate_report, holds_demo_data, previous_year_figures
from crm.services.errors import DomainError
from crm.services.figures import BuildingFigures, DistrictSummary, building_figures, district_summary
from crm.services.pipeline import LeadState, landed_of, lead_states, pipeline_month, summary_json
from crm.services.pipeline import as_of as pipeline_as_of
from crm.services.localisation import briefing_section as localisation_section
from crm.services.tax import ZERO, TierRules, latest_tax_period, previous_year_heading, tier_rules
from crm.warnings.briefing import briefing_section as warnings_section

DISTRICT = "西岗区"
TITLE = "西岗区商务楼宇经济月度简报"
TARGET_OCCUPANCY = 0.70  # the district plan: main-building occupancy above 70 %
DROP_POINTS = 5  # an occupancy fall of more than this many points puts a building on the watch list
TOP_TAXPAYERS = 100
EXPIRY_DAYS = 180
TOP_BUILDINGS = 10
TOP_CANDIDATES = 10
LEFT_DISTRICT = "迁出本区"
TIER_RANK = {None: 0, "qianwan": 1, "wuqianwan": 2, "yi": 3}
SOURCES = {"schedule": "定时任务", "web": "网页", "cli": "命令行"}
MAX_VERSION_ATTEMPTS = 3

# Sections other domains add to the briefing, in print order: one line each (module docstring).
EXTRA_SECTIONS: list[Callable[..., BriefingSection | None]] = [localisation_section, warnings_section]


# --------------------------------------------------------------------------------------------
# Which months may be reported


def first_data_month(session) -> str | None:
    """The earliest month holding any lease, tax or snapshot: nothing can be said before it."""
    lease_start = session.scalar(select(func.min(Lease.start_date)))
    candidates = [
        P.period_of(lease_start) if isinstance(lease_start, date) else (str(lease_start)[:7] if lease_start else None),
        session.scalar(select(func.min(BuildingTaxMonth.period))),
        session.scalar(select(func.min(OccupancySnapshot.period))),
    ]
    months = [m for m in candidates if m]
    return min(months) if months else None


def check_month(session, month: str, today: date | None) -> str:
    """The month as ``YYYY-MM`` when a briefing can be made for it; else a DomainError in Chinese.

    ``today`` None skips the clock: the scheduler asks only for a month that has ended by its
    own (possibly replayed) date, which it does not pass on.
    """
    month = P.parse_period(month, "month")
    if today is not None:
        current = P.period_of(today)
        latest = P.label(P.last_complete_month(today))
        if month > current:
            raise DomainError(f"{P.label(month)}尚未到来，不能生成简报；最近可生成的是{latest}", field="month")
        if month == current:
            next_start = P.month_start(P.shift(month, 1))
            raise DomainError(
                f"{P.label(month)}尚未结束，月度简报要到 {next_start.isoformat()} 起才能生成；最近可生成的是{latest}",
                field="month",
            )
    earliest = first_data_month(session)
    if earliest is None:
        raise DomainError("系统中还没有任何租约或税收数据，无法生成简报：请先导入楼宇、租约和税收数据", field="month")
    if month < earliest:
        raise DomainError(f"{P.label(month)}早于系统中最早的数据（{P.label(earliest)}），无法生成简报", field="month")
    return month


# --------------------------------------------------------------------------------------------
# Small helpers: numbers for JSON, changes


def number(value):
    """Decimal → float for JSON (exact yuan / m² to the cent); other values unchanged."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def difference(value, other):
    if value is None or other is None:
        return None
    return number(Decimal(str(value)) - Decimal(str(other))) if isinstance(value, Decimal) else value - other


def points(value: float | None, other: float | None) -> float | None:
    """The change of a rate in percentage points."""
    if value is None or other is None:
        return None
    return (value - other) * 100


def relative(value, other) -> float | None:
    """The change of an amount as a fraction of the earlier one; None without an earlier amount."""
    if value is None or other is None or other <= 0:
        return None
    return float((Decimal(str(value)) - Decimal(str(other))) / Decimal(str(other)))


def figure(label: str, kind: str, value, prev_month, prev_year, unit: str = "") -> dict:
    """One headline figure with its changes on the previous month and on the same month last year.

    ``kind``: area and count change by their difference; rate by percentage points; money by a
    percentage of the earlier amount.
    """
    if kind == "rate":
        change = points
    elif kind == "money":
        change = relative
    else:
        change = difference
    return {
        "label": label,
        "kind": kind,
        "unit": unit,
        "value": number(value),
        "prev_month": number(prev_month),
        "prev_year": number(prev_year),
        "change_month": change(value, prev_month),
        "change_year": change(value, prev_year),
    }


def area_rate(part: Decimal, whole: Decimal) -> float | None:
    return float(part / whole) if whole and whole > 0 else None


# --------------------------------------------------------------------------------------------
# Moves of a month: count and area


@dataclass
class Moves:
    ins: int = 0
    in_area: Decimal = ZERO
    outs: int = 0
    out_area: Decimal = ZERO


def _lease_area_stmt(date_column, first: date, last: date):
    return (
        select(func.count(func.distinct(Lease.id)), func.coalesce(func.sum(Unit.area), 0))
        .select_from(Lease)
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, Unit.id == lease_units.c.unit_id)
        .where(date_column.between(first, last))
    )


def month_moves(session, month: str) -> Moves:
    """Move-ins (leases starting in the month) and recorded move-outs (move-out date in the
    month) — the definitions of the monthly confirmation page — with the area of their units."""
    first, last = P.month_start(month), P.month_end(month)
    ins, in_area = session.execute(_lease_area_stmt(Lease.start_date, first, last)).one()
    outs, out_area = session.execute(_lease_area_stmt(Lease.moved_out_on, first, last)).one()
    return Moves(int(ins), Decimal(in_area), int(outs), Decimal(out_area))


# --------------------------------------------------------------------------------------------
# Section 2: the headline figures


def monthly_tax_at(summary: DistrictSummary, month: str) -> Decimal | None:
    return dict(summary.monthly_tax).get(month)


def headline(
    summary: DistrictSummary,
    prev: DistrictSummary,
    year_ago: DistrictSummary,
    moves: dict[str, Moves],
    tax_imported: bool,
    bridge: MonthBridge,
) -> dict:
    """The headline figures; occupied area and tenants carry the month bridge, whose parts add up
    from ``prev_month`` to ``value``."""
    month, prev_month, prev_year = summary.month, prev.month, year_ago.month
    occ, occ_m, occ_y = summary.occupancy, prev.occupancy, year_ago.occupancy
    mv, mv_m, mv_y = moves[month], moves[prev_month], moves[prev_year]
    tax_month = monthly_tax_at(summary, month) if tax_imported else None
    return {
        "leasable_area": figure("可租面积", "area", occ.leasable_area, occ_m.leasable_area, occ_y.leasable_area, "m²"),
        "occupied_area": dict(
            figure("已出租面积", "area", occ.occupied_area, occ_m.occupied_area, occ_y.occupied_area, "m²"),
            bridge=bridge.area.as_json(),
            movers=[m.as_json() for m in bridge.area.movers],
        ),
        "occupancy": figure("入驻率", "rate", occ.occupancy, occ_m.occupancy, occ_y.occupancy),
        "vacant_area": figure("空置面积", "area", occ.vacant_area, occ_m.vacant_area, occ_y.vacant_area, "m²"),
        "tenants": dict(
            figure("入驻企业", "count", occ.tenants, occ_m.tenants, occ_y.tenants, "家"),
            bridge=bridge.tenants.as_json(),
        ),
        "move_ins": figure("本月入驻", "count", mv.ins, mv_m.ins, mv_y.ins, "家"),
        "move_in_area": figure("入驻面积", "area", mv.in_area, mv_m.in_area, mv_y.in_area, "m²"),
        "move_outs": figure("本月迁出", "count", mv.outs, mv_m.outs, mv_y.outs, "家"),
        "move_out_area": figure("迁出面积", "area", mv.out_area, mv_m.out_area, mv_y.out_area, "m²"),
        "registered_rate": figure(
            "属地注册率", "rate", summary.registered_rate, prev.registered_rate, year_ago.registered_rate
        ),
        "registered_area_rate": figure(
            "属地注册率（按面积）",
            "rate",
            area_rate(occ.registered_area, occ.occupied_area),
            area_rate(occ_m.registered_area, occ_m.occupied_area),
            area_rate(occ_y.registered_area, occ_y.occupied_area),
        ),
        "tax_month": figure(
            "本月税收",
            "money",
            tax_month,
            monthly_tax_at(summary, prev_month),
            monthly_tax_at(summary, prev_year),
            "元",
        ),
        # Year to date grows every month: only the same period last year compares with it.
        "tax_ytd": figure("本年累计税收", "money", summary.tax_ytd, None, summary.tax_ytd_prev, "元"),
    }


# --------------------------------------------------------------------------------------------
# Section 3 and 4: buildings, tax, tiers


def street_order(building: Building) -> tuple:
    street = STREETS.index(building.street) if building.street in STREETS else len(STREETS)
    return (street, building.street, building.code)


def building_rows(rows: list[BuildingFigures], prev_rows: list[BuildingFigures]) -> list[dict]:
    """Every building, sorted by street (in the plan's order) then code, with the month's change."""
    before = {r.building.id: r.occupancy for r in prev_rows}
    result = []
    for row in sorted(rows, key=lambda r: street_order(r.building)):
        occ = row.occupancy
        prev_occ = before.get(row.building.id)
        prev_rate = prev_occ.occupancy if prev_occ is not None else None
        result.append(
            {
                "code": row.building.code,
                "name": row.building.name,
                "street": row.building.street,
                "leasable_area": number(occ.leasable_area),
                "occupied_area": number(occ.occupied_area),
                "vacant_area": number(occ.vacant_area),
                "occupancy": occ.occupancy,
                "occupancy_prev": prev_rate,
                "change_points": points(occ.occupancy, prev_rate),
                "tenants": occ.tenants,
                "tax_ytd": number(row.tax_ytd),
                "tax_ytd_prev": number(row.tax_ytd_prev),
                "tier": row.tier,
                "tier_so_far": row.tier_so_far,
                "confirmed": occ.confirmed,
            }
        )
    return result


def top_buildings_by_tax(rows: list[BuildingFigures], limit: int = TOP_BUILDINGS) -> list[dict]:
    ranked = sorted((r for r in rows if r.tax_ytd > 0), key=lambda r: (-r.tax_ytd, r.building.code))[:limit]
    return [
        {
            "rank": rank,
            "code": r.building.code,
            "name": r.building.name,
            "street": r.building.street,
            "tax_ytd": number(r.tax_ytd),
            "tax_ytd_prev": number(r.tax_ytd_prev),
            "yoy": relative(r.tax_ytd, r.tax_ytd_prev),
            "tier": r.tier,
        }
        for rank, r in enumerate(ranked, start=1)
    ]


def tier_movements(session, rows: list[BuildingFigures], month: str, rules: TierRules) -> list[dict]:
    """Buildings whose tier reached so far this year differs from last calendar year's tier:
    ``up`` when this year's tax already passed a higher line, ``pending`` when it has not yet
    reached last year's tier (it may still, before December)."""
    year = P.split(month)[0]
    previous = previous_year_figures(session, year - 1, rules.basis)
    moves = []
    for row in rows:
        annual_prev = previous.get(row.building.id, (ZERO, 0))[0]
        tier_prev = rules.tier_of(annual_prev) if annual_prev > 0 else None
        tier_now = row.tier_so_far if row.tax_ytd > 0 else None
        if tier_prev == tier_now:
            continue
        moves.append(
            {
                "code": row.building.code,
                "name": row.building.name,
                "street": row.building.street,
                "tier_prev_year": tier_prev,
                "tier_so_far": tier_now,
                "annual_prev": number(annual_prev),
                "tax_ytd": number(row.tax_ytd),
                "direction": "up" if TIER_RANK[tier_now] > TIER_RANK[tier_prev] else "pending",
            }
        )
    moves.sort(
        key=lambda m: (m["direction"] != "up", -TIER_RANK[m["tier_so_far"]], -TIER_RANK[m["tier_prev_year"]], m["code"])
    )
    return moves


# --------------------------------------------------------------------------------------------
# Section 5: 亿元楼 and the candidates


def yi_section(session, rows: list[BuildingFigures], summary: DistrictSummary, month: str, today: date | None) -> dict:
    """Last complete year's 亿元楼 (the dashboard's count), this year's so far and the top 10
    candidates — from the candidate report, as of the latest month of the year with tax ≤ M."""
    year = P.split(month)[0]
    section = {
        "tier_year": summary.tier_year,
        "tier_year_label": summary.tier_year_label,
        "yi_count": summary.tiers["yi"],
        "yi_buildings": [
            {
                "code": r.building.code,
                "name": r.building.name,
                "street": r.building.street,
                "tier_year_tax": number(r.tier_year_tax),
            }
            for r in sorted(rows, key=lambda r: (-r.tier_year_tax, r.building.code))
            if r.tier == "yi"
        ],
        "available": False,
        "message": "",
        "as_of": None,
        "threshold": None,
        "candidate_threshold": None,
        "yi_so_far": [],
        "candidates": [],
        "candidates_total": 0,
    }
    try:
        report = candidate_report(session, year, None, latest_allowed=month, today=today)
    except DomainError as error:
        section["message"] = error.message
        return section
    if report.as_of > month:
        section["message"] = f"{year}年在{P.label(month)}之前没有税收数据"
        return section
    data = candidates_json(report)
    section.update(
        available=True,
        as_of=data["as_of"],
        threshold=data["threshold"],
        candidate_threshold=data["candidate_threshold"],
        yi_so_far=data["yi_buildings"],
        candidates=data["candidates"][:TOP_CANDIDATES],
        candidates_total=len(data["candidates"]),
    )
    return section


# --------------------------------------------------------------------------------------------
# Section 6: the pipeline


def _lead_row(lead: Lead, day_field: str, stage: str) -> dict:
    return {
        "id": lead.id,
        "company_name": lead.company_name,
        "stage": stage,
        "stage_label": stage_label(stage),
        "owner": lead.owner.display_name if lead.owner else "",
        "date": getattr(lead, day_field).isoformat(),
        "expected_annual_tax": number(lead.expected_annual_tax),
        "buildings": "、".join(b.name for b in lead.target_buildings),
    }


def _leads(session, states: Iterable[LeadState], day_field: str) -> list[dict]:
    """The listed leads (by their date, then id) with their stage at the as-of moment."""
    stage_then = {s.id: s.stage for s in states}
    leads = session.scalars(
        select(Lead)
        .where(Lead.id.in_(list(stage_then)))
        .options(selectinload(Lead.owner), selectinload(Lead.target_buildings))
    )
    ordered = sorted(leads, key=lambda lead: (getattr(lead, day_field), lead.id))
    return [_lead_row(lead, day_field, stage_then[lead.id]) for lead in ordered]


def _tax_of(states: Iterable[LeadState]) -> Decimal:
    return sum((s.expected_tax for s in states), ZERO)


def pipeline_section(session, month: str, today: date | None) -> dict:
    """The pipeline as of M's end — the figures of ``crm.services.pipeline.pipeline_month``, as
    the dashboard and the API show them for M — with the month's new, signed and landed leads."""
    summary = pipeline_month(session, month, today)
    at = summary.at
    states = lead_states(session, at)

    def in_month(day: date | None) -> bool:
        return day is not None and at.first <= day <= at.day

    created = [s for s in states if in_month(s.created_on)]
    signed = [s for s in states if in_month(s.signed_on) and s.stage in ("signed", "registered", "settled")]
    landed_leads = [s for s in states if in_month(s.landed_on) and s.stage == "settled"]
    year_ago = landed_of(states, pipeline_as_of(P.shift(month, -12), today))
    return {
        **summary_json(summary),
        "new_leads": len(created),
        "new_leads_expected_tax": number(_tax_of(created)),
        "signed": _leads(session, signed, "signed_on"),
        "signed_expected_tax": number(_tax_of(signed)),
        "landed": _leads(session, landed_leads, "landed_on"),
        "landed_expected_tax": number(_tax_of(landed_leads)),
        "landed_year_prev": year_ago.year,
    }


# --------------------------------------------------------------------------------------------
# Section 7: the watch list


def top_taxpayers(session, first: str, last: str, limit: int = TOP_TAXPAYERS) -> dict[int, tuple[int, Decimal]]:
    """{company_id: (rank, Σ tax)} of the ``limit`` companies paying the most tax (全口径) over first..last."""
    total = func.sum(TaxRecord.total_tax)
    stmt = (
        select(TaxRecord.company_id, total)
        .where(TaxRecord.period.between(first, last))
        .group_by(TaxRecord.company_id)
        .having(total > 0)
        .order_by(total.desc(), TaxRecord.company_id)
        .limit(limit)
    )
    return {cid: (rank, Decimal(amount)) for rank, (cid, amount) in enumerate(session.execute(stmt), start=1)}


def _lease_area():
    return (
        select(func.coalesce(func.sum(Unit.area), 0))
        .join(lease_units, lease_units.c.unit_id == Unit.id)
        .where(lease_units.c.lease_id == Lease.id)
        .scalar_subquery()
    )


def expiring_large_taxpayers(session, month: str) -> list[dict]:
    """Leases of the top-100 taxpayers (12 months ending M) that end within 180 days of M's end.

    The lease window is ``crm.services.expiries.expiring``'s (active on the day after M, end
    within the window) with its tax window (the 12 complete months before that day), asked in
    SQL for these companies only rather than for every lease in the district.
    """
    day = P.month_end(month) + timedelta(days=1)  # "now" for the watch list: M has just closed
    top = top_taxpayers(session, P.shift(month, -11), month)
    if not top:
        return []
    stmt = (
        select(Lease.company_id, Company.name, Building.code, Building.name, Lease.end_date, _lease_area())
        .select_from(Lease)
        .join(Company, Company.id == Lease.company_id)
        .join(Building, Building.id == Lease.building_id)
        .where(
            Lease.company_id.in_(list(top)),
            Lease.start_date <= day,
            Lease.end_date.between(day, day + timedelta(days=EXPIRY_DAYS)),
            or_(Lease.moved_out_on.is_(None), Lease.moved_out_on > day),
        )
    )
    rows = []
    for company_id, company, code, building, end, area in session.execute(stmt):
        end = end if isinstance(end, date) else date.fromisoformat(str(end)[:10])
        rank, tax = top[company_id]
        rows.append(
            {
                "company": company,
                "rank": rank,
                "code": code,
                "building": building,
                "end_date": end.isoformat(),
                "days_left": (end - day).days,
                "area": number(Decimal(area)),
                "tax_12m": number(tax),
            }
        )
    rows.sort(key=lambda r: (r["end_date"], r["rank"]))
    return rows


def occupancy_drops(buildings: list[dict], limit_points: float = DROP_POINTS) -> list[dict]:
    drops = [b for b in buildings if b["change_points"] is not None and b["change_points"] < -limit_points]
    return [
        {
            key: b[key]
            for key in ("code", "name", "street", "occupancy", "occupancy_prev", "change_points", "vacant_area")
        }
        for b in sorted(drops, key=lambda b: (b["change_points"], b["code"]))
    ]


def left_district(session, month: str) -> list[dict]:
    """Tenants whose move-out in the month was recorded with the reason 迁出本区."""
    first, last = P.month_start(month), P.month_end(month)
    area = _lease_area()
    tax = (
        select(func.coalesce(func.sum(TaxRecord.total_tax), 0))
        .where(TaxRecord.company_id == Lease.company_id, TaxRecord.period.between(P.shift(month, -11), month))
        .scalar_subquery()
    )
    stmt = (
        select(Company.name, Building.code, Building.name, Lease.moved_out_on, area, tax)
        .select_from(Lease)
        .join(Company, Company.id == Lease.company_id)
        .join(Building, Building.id == Lease.building_id)
        .where(Lease.moved_out_on.between(first, last), Lease.move_out_reason == LEFT_DISTRICT)
        .order_by(tax.desc(), Lease.moved_out_on, Lease.id)
    )
    return [
        {
            "company": name,
            "code": code,
            "building": building,
            "moved_out_on": _iso(on),
            "area": number(Decimal(a)),
            "tax_12m": number(Decimal(t)),
        }
        for name, code, building, on, a, t in session.execute(stmt)
    ]


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


# --------------------------------------------------------------------------------------------
# Section 8: definitions and the data's as-of date

BASIS_LABELS = {"total": "全口径", "district": "区级"}


def definitions(rules: TierRules, candidate_threshold) -> list[str]:
    """DESIGN.md's definitions, as the briefing applies them, with the thresholds in force."""
    return [
        "可租面积：楼宇现有且非自用单元的面积之和，为入驻率的分母，不超过登记办公面积（楼宇登记记录中的办公面积）。",
        "入驻率：月末有有效租约的单元面积 ÷ 可租面积，最高 100%；全区入驻率 = 各楼已出租面积之和 ÷ 可租面积之和。"
        "租约在某日有效：起租日不晚于该日，未在该日或之前迁出，且无到期日或到期日不早于该日。",
        "月度数据：楼宇管理员确认（月度填报）的月份读取确认时冻结的数字，未确认的月份按现有租约推算；"
        "附录列出推算而非确认的楼宇。",
        "入驻企业：一栋楼宇的入驻企业为月末在该楼有有效租约的企业；全区入驻企业为月末在区内任一楼宇有有效租约的企业，"
        "同一企业入驻多栋楼宇只计一次（已确认月份按确认时冻结的企业名单计）。"
        "属地注册率 = 属地注册的入驻企业数 ÷ 入驻企业数（全区均按企业去重；按面积的口径另列）。",
        "本月入驻：起租日在本月的租约；本月迁出：迁出日期在本月的租约（已登记迁出）；面积为其单元面积之和。"
        "迁出本区：迁出原因登记为“迁出本区”的企业。",
        "到期未处置：到期日已过、既未续租也未登记迁出的租约，不计入入驻；楼宇在处置（续租、迁出或转不定期）前不能确认当月数据。",
        "变动说明：本月末已出租面积 = 上月末 + 新入驻 − 迁出 − 到期未处置 + 其他，精确到 0.01 m²。"
        "新入驻为本月起租、月末仍在租的单元面积；迁出为上月末在租、迁出日期在本月的；到期未处置为上月末在租、"
        "本月到期后未续租也未登记迁出的；其他逐项列出：到期后续签（同一企业在到期后 92 天内重新租用原单元）、"
        "单元变动、已确认数据与现有租约推算的差异。本月内起租又到期或迁出的租约不影响两个月末，不列入。"
        "入驻企业按企业计数，同样分解。",
        f"楼宇税收：税收入库时归属楼宇（注册地址所在楼宇，否则为其最大有效租约所在楼宇），企业迁走不带走历史税收；"
        f"口径为{BASIS_LABELS.get(rules.basis, rules.basis)}；本年累计为当年 1 月至本月，同比与上年同期比较。",
        f"楼宇档次（按自然年）：亿元楼 ≥ {money(rules.thresholds['yi'])}，五千万楼 ≥ {money(rules.thresholds['wuqianwan'])}，"
        f"千万楼 ≥ {money(rules.thresholds['qianwan'])}；表中档次为上一个完整年度的档次，“本年已达”按本年累计计算。",
        f"准亿元楼：本年累计尚未达到亿元楼门槛、预计全年税收不低于 {money(candidate_threshold)} 的楼宇（含上年亿元楼中按进度可保持者）；"
        "预计全年 = 本年累计 × 上年全年 ÷ 上年同期（上年 12 个月均有税收时），否则 = 本年累计 × 12 ÷ 月数；"
        "项目潜力 = 月末在谈且以该楼为目标的项目预计年税收 × 阶段概率 ÷ 该项目的目标楼宇数之和。",
        "招商项目阶段与概率：线索 10%、接洽 20%、考察 35%、洽谈 50%、签约 80%、注册落地 95%、入驻 100%；"
        "在谈 = 线索至注册落地；加权税收 = 预计年税收 × 阶段概率。本月新增、签约、入驻按项目的创建、签约、落地日期计；"
        "阶段分布、各专员在谈项目与逾期跟进均为月末状态（按阶段变更记录回溯，月末之后新建的项目不计），"
        "逾期跟进为月末时下次跟进日期已早于月末的在谈项目；本月跟进为跟进日期在本月的记录。",
        f"重点关注：近 12 个月（截至本月）全口径税收前 {TOP_TAXPAYERS} 名企业中，租约在月末后 {EXPIRY_DAYS} 天内到期者；"
        f"入驻率较上月下降超过 {DROP_POINTS} 个百分点的楼宇；本月迁出本区的企业。",
        "金额以万元为单位保留一位小数（1 亿元及以上以亿元表示，保留两位小数），面积单位为平方米，百分比保留一位小数，"
        "均四舍五入；"
        "上升以 ↑、下降以 ↓ 表示。",
    ]


def as_of_block(month: str, rules: TierRules, tax_latest: str | None) -> dict:
    return {
        "occupancy_date": P.month_end(month).isoformat(),
        "tax_latest_period": tax_latest,
        "tax_imported": tax_latest is not None and tax_latest >= month,
        "tax_basis": rules.basis,
        "tax_basis_label": BASIS_LABELS.get(rules.basis, rules.basis),
        "pipeline_state_date": P.month_end(month).isoformat(),
        "thresholds": {tier: number(amount) for tier, amount in rules.thresholds.items()},
    }


# --------------------------------------------------------------------------------------------
# The whole briefing


def confirmation_block(rows: list[BuildingFigures]) -> dict:
    unconfirmed = [r.building for r in rows if not r.occupancy.confirmed]
    return {
        "buildings": len(rows),
        "confirmed": len(rows) - len(unconfirmed),
        "all_confirmed": not unconfirmed,
        "unconfirmed": [
            {"code": b.code, "name": b.name, "street": b.street} for b in sorted(unconfirmed, key=street_order)
        ],
    }


def month_has_tax(session, month: str) -> bool:
    return session.scalar(select(BuildingTaxMonth.period).where(BuildingTaxMonth.period == month).limit(1)) is not None


def briefing_data(
    session,
    month: str,
    today: date | None = None,
    now: datetime | None = None,
    generated_by: User | None = None,
    source: str = "schedule",
) -> dict:
    """Every figure of the briefing for ``month`` (see the module docstring); refuses a month
    not yet ended (by ``today``) or before any data."""
    month = check_month(session, month, today)
    now = now or datetime.now(P.BUSINESS_TZ)
    local_now = now.astimezone(P.BUSINESS_TZ)
    prev_month, prev_year = P.shift(month, -1), P.shift(month, -12)
    rules = tier_rules(session)
    candidate_threshold = Decimal(_setting(session, "candidate_threshold"))

    buildings = list(session.scalars(select(Building).order_by(Building.code)))
    rows = building_figures(session, month, buildings=buildings)
    prev_rows = building_figures(session, prev_month, buildings=buildings)
    summary = district_summary(session, month, rows=rows, chart_months=24)
    prev = district_summary(session, prev_month, rows=prev_rows, chart_months=1)
    year_ago = district_summary(
        session, prev_year, rows=building_figures(session, prev_year, buildings=buildings), chart_months=1
    )
    moves = {m: month_moves(session, m) for m in (month, prev_month, prev_year)}
    tax_latest = latest_tax_period(session)
    tax_imported = month_has_tax(session, month)
    by_building = building_rows(rows, prev_rows)

    data = {
        "title": TITLE,
        "district": DISTRICT,
        "month": month,
        "month_label": P.label(month),
        "issue": issue_label(month),
        "generated_at": local_now.isoformat(timespec="seconds"),
        "generated_by": generated_by.display_name if generated_by is not None else SOURCES[source],
        "demo": holds_demo_data(session),
        "confirmation": confirmation_block(rows),
        "headline": headline(summary, prev, year_ago, moves, tax_imported, month_bridge(session, month)),
        "tax_imported": tax_imported,
        "buildings": by_building,
        "target_occupancy": TARGET_OCCUPANCY,
        "buildings_below_target": sum(
            1 for b in by_building if b["occupancy"] is not None and b["occupancy"] < TARGET_OCCUPANCY
        ),
        "tax": {
            "basis": rules.basis,
            "monthly": [{"period": p, "amount": number(v)} for p, v in summary.monthly_tax],
            "tax_ytd": number(summary.tax_ytd),
            "tax_ytd_prev": number(summary.tax_ytd_prev),
            "tax_ytd_change": summary.tax_ytd_change,
            "top_buildings": top_buildings_by_tax(rows),
            "tier_year": summary.tier_year,
            "tier_year_label": summary.tier_year_label,
            "tiers": summary.tiers,
            "tiers_so_far": summary.tiers_so_far,
            "tier_movements": tier_movements(session, rows, month, rules),
            "prev_year_label": previous_year_heading(session, P.split(month)[0]),
        },
        "yi": yi_section(session, rows, summary, month, today),
        "pipeline": pipeline_section(session, month, today),
        "watch": {
            "expiring_large_taxpayers": expiring_large_taxpayers(session, month),
            "occupancy_drops": occupancy_drops(by_building),
            "left_district": left_district(session, month),
        },
        "as_of": as_of_block(month, rules, tax_latest),
        "definitions": definitions(rules, candidate_threshold),
        "sections": extra_sections(session, month, today),
    }
    data["summary"] = summary_sentences(data)
    data["confirmation_line"] = confirmation_sentence(data)
    return data


def extra_sections(session, month: str, today: date | None) -> list[dict]:
    """The sections of ``EXTRA_SECTIONS`` that have something to say about ``month``, as JSON."""
    sections = (builder(session, month, today) for builder in EXTRA_SECTIONS)
    return [section.as_json() for section in sections if section is not None]


def _setting(session, key: str) -> str:
    from crm.models.setting import all_settings

    return all_settings(session)[key]


# --------------------------------------------------------------------------------------------
# Generating and archiving


def next_version(session, month: str) -> int:
    return (session.scalar(select(func.max(Briefing.version)).where(Briefing.period == month)) or 0) + 1


def archive(
    session, month: str, pdf: bytes, pages: int, data: dict, generated_by: User | None, now: datetime, source: str
) -> Briefing:
    """Store ``pdf`` as the next version of ``month``. Two hosts generating the same month at
    once both succeed: the loser of the unique (period, version) race takes the next number."""
    for attempt in range(MAX_VERSION_ATTEMPTS):
        briefing = Briefing(
            period=month,
            version=next_version(session, month),
            generated_at=now.astimezone(timezone.utc),
            generated_by_id=generated_by.id if generated_by is not None else None,
            source=source,
            size=len(pdf),
            pages=pages,
            pdf=pdf,
            data=data,
        )
        try:
            with session.begin_nested():
                session.add(briefing)
        except IntegrityError:
            if attempt == MAX_VERSION_ATTEMPTS - 1:
                raise DomainError("同一月份的简报正在由他人生成，请稍后再试", field="month") from None
            continue
        return briefing
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Reading the archive


def archived_briefings(session, limit: int | None = None) -> list[Briefing]:
    """Archived briefings, newest month first and within it the newest version — without the PDFs."""
    stmt = (
        select(Briefing)
        .options(selectinload(Briefing.generated_by))
        .order_by(Briefing.period.desc(), Briefing.version.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def latest_versions(briefings: Iterable[Briefing]) -> set[int]:
    """Ids of the newest version of each month among ``briefings``."""
    seen, latest = set(), set()
    for briefing in sorted(briefings, key=lambda b: (b.period, -b.version)):
        if briefing.period not in seen:
            seen.add(briefing.period)
            latest.add(briefing.id)
    return latest


def archived_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Briefing)) or 0


def get_briefing(session, briefing_id: int) -> Briefing | None:
    return session.get(Briefing, briefing_id)


def generated_by_label(briefing: Briefing) -> str:
    """Who generated it: the person, else the schedule or the command line."""
    if briefing.generated_by is not None:
        return briefing.generated_by.display_name
    return SOURCES.get(briefing.source, briefing.source)
