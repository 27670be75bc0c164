"""Monthly tax: each company's natural tax by month, where it is paid, and the factor per building
and year that makes the tiers (亿元楼, candidates) land where the profiles say."""

from __future__ import annotations

from collections import defaultdict

from crm.demo.chance import seeded
from crm.demo.clock import Window, history_window
from crm.demo.profiles import SEASON
from crm.demo.records import GCompany, GLease
from crm.services import periods as P


def _company_tax(scale: int, c: int, company: GCompany, leases: list[GLease], window: Window, bounds):
    """The company's natural (uncalibrated) tax: [(period index, building, yuan)]."""
    if not company.taxed:
        return []
    rng = seeded(scale, "tax", c)
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
        days_in = (
            min(last_day, max(lease.last_active for lease in active)) - max(first, min(lease.start for lease in active))
        ).days + 1
        part = max(days_in / ((last_day - first).days + 1), 0.2)
        amount = (
            company.tax_base
            * SEASON[month - 1]
            * (1 + company.tax_growth) ** ((k - last) / 12)
            * rng.lognormvariate(0, 0.12)
            * part
        )
        rows.append((k, where.building, amount))
    return rows


def _bounds(window: Window):
    return [(P.month_start(p), P.month_end(p), P.split(p)[1]) for p in window.periods]


def calibrate(scale: int, buildings, companies, leases, window: Window) -> dict[tuple[int, int], float]:
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


def tax_rows(data):
    """(company, period, total cents, district cents, building) of ``data`` (``DemoData``), lazily."""
    window = history_window(data.as_of)
    bounds = _bounds(window)
    years = [P.split(p)[0] for p in window.periods]
    for c, company in enumerate(data.companies):
        share = company.district_share
        for k, b, amount in _company_tax(data.scale, c, company, data.leases, window, bounds):
            total = max(int(round(amount * data.tax_factors[(b, years[k])] * 100)), 100)
            yield c, window.periods[k], total, int(round(total * share)), b
