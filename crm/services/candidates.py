"""The 亿元楼 candidate list (准亿元楼) for year Y as of month M — DESIGN.md's definition.

For every building, in two SQL aggregations over ``building_tax_months`` plus the month-end
occupancy of M and one over the active leads:

- YTD = tax January..M of Y; same period last year = January..M−12; annual(Y−1).
- Projection = YTD × annual(Y−1) ÷ YTD(Y−1, M) when the building has tax in every month of Y−1
  and YTD(Y−1, M) > 0; else YTD × 12 ÷ month-of-M (the "fallback" formula).
- A building whose YTD has reached the threshold is one of this year's 亿元楼; one below it
  whose projection reaches the candidate threshold is a candidate — which includes last year's
  亿元楼 on course to keep the status.
- Gap = threshold − projection; vacancy potential = vacant area at the end of M × tax per
  occupied m² (12 months ending M ÷ occupied area at the end of M); pipeline potential =
  Σ expected annual tax × stage probability ÷ number of target buildings of the leads active at
  the end of M and targeting the building (``crm.services.pipeline.pipeline_potentials``).
- The verdict says it in words: the gap, what the vacancy and the pipeline could add, and what
  is still missing.

The page, the JSON API, the CLI and the PDF all read ``candidate_report`` (and ``as_json``), so
they never disagree. Amounts follow the basis setting (全口径 or 区级).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from crm.cache import cached, derived
from crm.cache.versions import OCCUPANCY, SETTINGS, TAX
from crm.formats import money
from crm.models import Building, BuildingTaxMonth
from crm.models.setting import all_settings
from crm.services import periods as P
from crm.services.errors import DomainError, NotFound
from crm.services.figures import building_figures
from crm.services.pipeline import as_of as pipeline_as_of
from crm.services.pipeline import pipeline_potentials
from crm.services.tax import ZERO, TierRules, previous_year_heading, tier_rules

CENT = Decimal("0.01")
BASIS_LABELS = {"total": "全口径", "district": "区级"}


@dataclass(frozen=True)
class ReportPeriod:
    year: int
    as_of: str  # YYYY-MM, within ``year``

    @property
    def month(self) -> int:
        return P.split(self.as_of)[1]


@dataclass
class BuildingRow:
    """One building's candidate figures; money in yuan (Decimal), areas in m²."""

    code: str
    name: str
    street: str
    tier_prev: str | None
    ytd: Decimal
    ytd_prev: Decimal
    annual_prev: Decimal
    full_prev_year: bool
    projection: Decimal
    gap: Decimal
    vacant_area: Decimal
    occupied_area: Decimal
    tax_per_m2: Decimal | None
    vacancy_potential: Decimal | None
    building_id: int = field(default=0, repr=False)
    pipeline_potential: Decimal = ZERO  # added to the cached rows on each call
    verdict: str = ""
    rank: int = 0

    @property
    def yoy(self) -> float | None:
        if self.ytd_prev <= 0:
            return None
        return float((self.ytd - self.ytd_prev) / self.ytd_prev)


@dataclass
class CandidateReport:
    year: int
    as_of: str
    basis: str
    threshold: Decimal
    candidate_threshold: Decimal
    yi_buildings: list[BuildingRow] = field(default_factory=list)
    candidates: list[BuildingRow] = field(default_factory=list)
    prev_year_label: str = "上年全年"  # or 上年（11–12月） when the data covers part of last year

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.basis, self.basis)


# --------------------------------------------------------------------------------------------
# The period asked for


def months_with_tax(session, year: int) -> list[str]:
    """The months of ``year`` that hold any tax, oldest first."""
    stmt = (
        select(BuildingTaxMonth.period)
        .where(BuildingTaxMonth.period.between(f"{year:04d}-01", f"{year:04d}-12"))
        .group_by(BuildingTaxMonth.period)
        .order_by(BuildingTaxMonth.period)
    )
    return list(session.scalars(stmt))


def resolve_period(session, year: int | None, as_of: str | None, latest_allowed: str | None = None) -> ReportPeriod:
    """Year and as-of month of a report; refuses a year or month that holds no tax data.

    Without ``as_of`` the latest month of ``year`` with data is used; without either, the latest
    month with data at all (not after ``latest_allowed`` when given).
    """
    if as_of:
        as_of = P.parse_period(as_of, "as_of")
        as_of_year = P.split(as_of)[0]
        if year is not None and year != as_of_year:
            raise DomainError(f"截至月份 {as_of} 不在 {year} 年内", field="as_of")
        year = as_of_year
    if year is None:
        stmt = select(func.max(BuildingTaxMonth.period))
        if latest_allowed:
            stmt = stmt.where(BuildingTaxMonth.period <= latest_allowed)
        latest = session.scalar(stmt)
        if latest is None:
            raise NotFound("没有任何税收数据：请先导入税收数据", field="year")
        year = P.split(latest)[0]
    if not 1900 <= year <= 9999:
        raise DomainError(f"年份不正确：{year}", field="year")
    months = months_with_tax(session, year)
    if not months:
        raise NotFound(f"没有 {year}年 的税收数据", field="year")
    if as_of is None:
        allowed = [m for m in months if latest_allowed is None or m <= latest_allowed]
        as_of = allowed[-1] if allowed else months[-1]
    elif as_of not in months:
        raise NotFound(f"没有 {P.label(as_of)} 的税收数据", field="as_of")
    return ReportPeriod(year, as_of)


# --------------------------------------------------------------------------------------------
# Figures


def previous_year_figures(session, year: int, basis: str) -> dict[int, tuple[Decimal, int]]:
    """{building_id: (annual tax of ``year``, number of its months with tax > 0)} in one query."""
    amount = BuildingTaxMonth.district_tax if basis == "district" else BuildingTaxMonth.total_tax
    stmt = (
        select(
            BuildingTaxMonth.building_id,
            func.coalesce(func.sum(amount), 0),
            func.sum(case((amount > 0, 1), else_=0)),
        )
        .where(BuildingTaxMonth.period.between(f"{year:04d}-01", f"{year:04d}-12"))
        .group_by(BuildingTaxMonth.building_id)
    )
    return {bid: (Decimal(total), int(months or 0)) for bid, total, months in session.execute(stmt)}


def project(ytd: Decimal, ytd_prev: Decimal, annual_prev: Decimal, full_prev_year: bool, month: int) -> Decimal:
    """DESIGN.md's projection of the year's tax from the year to date."""
    if full_prev_year and ytd_prev > 0:
        projected = ytd * annual_prev / ytd_prev
    else:
        projected = ytd * 12 / month
    return projected.quantize(CENT, ROUND_HALF_UP)


def verdict(row: BuildingRow, was_yi: bool) -> str:
    """The row's conclusion in words: on course; or the gap, what filling the vacancy and the
    pipeline (储备项目) could add, and what is still missing — e.g. 差 1,226.0 万元；空置可补
    800.0 万元，储备项目可补 347.0 万元，仍缺 79.0 万元."""
    if row.gap <= 0:
        return "按当前进度可保持亿元楼" if was_yi else "按当前进度可达标"
    vacancy = row.vacancy_potential
    pipeline = row.pipeline_potential
    offers = [
        f"空置可补 {money(vacancy)}" if vacancy is not None else "空置潜力无法估算（月末无已出租面积）",
        f"储备项目可补 {money(pipeline)}",
    ]
    missing = row.gap - (vacancy or ZERO) - pipeline
    if missing > 0:
        outcome = f"仍缺 {money(missing)}"
    elif vacancy is not None and vacancy >= row.gap:
        outcome = "填满空置即可达标"
    elif pipeline >= row.gap:
        outcome = "储备项目落地即可达标"
    else:
        outcome = "填满空置且储备项目落地可达标"
    return f"差 {money(row.gap)}；{'，'.join(offers)}，{outcome}"


def candidate_report(
    session,
    year: int | None = None,
    as_of: str | None = None,
    latest_allowed: str | None = None,
    today: date | None = None,
) -> CandidateReport:
    """This year's 亿元楼 and the ranked candidates for ``year`` as of ``as_of`` (see module doc);
    the pipeline is read at the end of the as-of month, or ``today`` while that month runs.

    Which buildings are listed, and their tax and space figures, derive from buildings, tax and
    settings alone: they are kept in the figure cache under those data versions (a leader's home
    and /reports read them on every view). The pipeline potentials, and the verdicts that weigh
    them, are added on each call, so a follow-up or a stage move does not recompute the rest."""
    listed = cached(
        session,
        (OCCUPANCY, TAX, SETTINGS),
        ("candidate_report", year, as_of, latest_allowed),
        lambda: _listed_buildings(session, year, as_of, latest_allowed),
        shared=True,
    )
    listed_ids = tuple(sorted(row.building_id for row in (*listed.yi_buildings, *listed.candidates)))
    pipeline = pipeline_potentials(session, pipeline_as_of(listed.as_of, today), listed_ids)
    return _with_pipeline(listed, pipeline)


def _listed_buildings(session, year, as_of, latest_allowed) -> CandidateReport:
    """The report without pipeline potentials or verdicts: which buildings are 亿元楼 and
    which are candidates, ranked, with their tax and space figures."""
    period = resolve_period(session, year, as_of, latest_allowed)
    rules: TierRules = tier_rules(session)
    settings = all_settings(session)
    threshold = rules.thresholds["yi"]
    candidate_threshold = Decimal(settings["candidate_threshold"])
    report = CandidateReport(
        period.year,
        period.as_of,
        rules.basis,
        threshold,
        candidate_threshold,
        prev_year_label=previous_year_heading(session, period.year),
    )

    figures = building_figures(session, period.as_of)
    previous = previous_year_figures(session, period.year - 1, rules.basis)
    for fig in figures:
        building = fig.building
        annual_prev, months_prev = previous.get(building.id, (ZERO, 0))
        if fig.tax_ytd <= 0 and annual_prev <= 0:
            continue  # no tax either year: neither 亿元楼 nor candidate
        row = _row(fig, building.id, annual_prev, months_prev == 12, period.month, threshold, rules)
        if row.ytd >= threshold:
            report.yi_buildings.append(row)
        elif row.projection >= candidate_threshold or (row.tier_prev == "yi" and row.projection >= threshold):
            report.candidates.append(row)

    report.yi_buildings.sort(key=lambda r: (-r.ytd, r.code))
    report.candidates.sort(key=lambda r: (-r.projection, r.code))
    for rank, row in enumerate(report.candidates, start=1):
        row.rank = rank
    return report


def _with_pipeline(listed: CandidateReport, pipeline: dict[int, Decimal]) -> CandidateReport:
    """A copy of ``listed`` (kept in the cache, so never changed) with each building's pipeline
    potential and each candidate's verdict."""

    def with_potential(row: BuildingRow) -> BuildingRow:
        return replace(row, pipeline_potential=pipeline.get(row.building_id, ZERO))

    candidates = [with_potential(row) for row in listed.candidates]
    for row in candidates:
        row.verdict = verdict(row, was_yi=row.tier_prev == "yi")
    return replace(listed, yi_buildings=[with_potential(row) for row in listed.yi_buildings], candidates=candidates)


def _row(fig, building_id, annual_prev, full_prev_year, month, threshold, rules) -> BuildingRow:
    occupancy = fig.occupancy
    tax_per_m2 = fig.tax_per_m2  # None without occupied area: potential cannot be estimated
    projection = project(fig.tax_ytd, fig.tax_ytd_prev, annual_prev, full_prev_year, month)
    vacant = occupancy.vacant_area
    return BuildingRow(
        code=fig.building.code,
        name=fig.building.name,
        street=fig.building.street,
        tier_prev=rules.tier_of(annual_prev) if annual_prev > 0 else None,
        ytd=fig.tax_ytd,
        ytd_prev=fig.tax_ytd_prev,
        annual_prev=annual_prev,
        full_prev_year=full_prev_year,
        projection=projection,
        gap=threshold - projection,
        vacant_area=vacant,
        occupied_area=occupancy.occupied_area,
        tax_per_m2=tax_per_m2,
        vacancy_potential=None if tax_per_m2 is None else (vacant * tax_per_m2).quantize(CENT, ROUND_HALF_UP),
        building_id=building_id,
    )


# --------------------------------------------------------------------------------------------
# JSON (exact yuan and m² as numbers; yoy a fraction)


def _number(value):
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def as_json(report: CandidateReport) -> dict:
    """The report as the API, the CLI's .json and the PDF builder receive it."""
    return {
        "year": report.year,
        "as_of": report.as_of,
        "basis": report.basis,
        "threshold": _number(report.threshold),
        "candidate_threshold": _number(report.candidate_threshold),
        "prev_year_label": report.prev_year_label,
        "yi_buildings": [
            {"code": r.code, "name": r.name, "ytd": _number(r.ytd), "annual_prev": _number(r.annual_prev)}
            for r in report.yi_buildings
        ],
        "candidates": [
            {
                "rank": r.rank,
                "code": r.code,
                "name": r.name,
                "street": r.street,
                "tier_prev": r.tier_prev,
                "ytd": _number(r.ytd),
                "ytd_prev": _number(r.ytd_prev),
                "annual_prev": _number(r.annual_prev),
                "yoy": r.yoy,
                "projection": _number(r.projection),
                "gap": _number(r.gap),
                "vacant_area": _number(r.vacant_area),
                "tax_per_m2": _number(r.tax_per_m2),
                "vacancy_potential": _number(r.vacancy_potential),
                "pipeline_potential": _number(r.pipeline_potential),
                "verdict": r.verdict,
            }
            for r in report.candidates
        ],
    }


@derived(OCCUPANCY)  # asked by every page (the 演示数据 banner); buildings are of the occupancy kind
def holds_demo_data(session) -> bool:
    """Whether the database holds invented demo buildings, so reports label themselves 演示数据."""
    return session.scalar(select(Building.id).where(Building.is_demo.is_(True)).limit(1)) is not None


def report_years(session) -> list[int]:
    """Years that hold tax data, newest first (the report's year choices)."""
    year = func.substr(BuildingTaxMonth.period, 1, 4)
    return sorted((int(y) for y in session.scalars(select(year).group_by(year))), reverse=True)
