"""Tax pages: a building's tax tab and the district tax page."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_login import current_user
from markupsafe import Markup

from crm.extensions import db
from crm.formats import chart_amounts, chart_unit, in_unit
from crm.cache.versions import OCCUPANCY, TAX
from crm.permissions import allow
from crm.services import periods as P
from crm.services.bounds import year_of
from crm.services.errors import DomainError
from crm.services.tax import tier_rules
from crm.services.tax_analysis import building_tax, district_tax
from crm.cache.fragments import cached_fragments, render_part
from crm.web.params import page_month, today
from crm.web.lookup import building_or_404

bp = Blueprint("tax", __name__)


@bp.route("/buildings/<code>/tax")
@allow("tax.building")
def building(code):
    b = building_or_404(code, "tax.building")
    month = page_month()
    day = P.as_of_day(month, today())  # leases as at the month's end (today while it runs)

    def render() -> dict[str, str]:
        page = building_tax(db.session, b, month, day)
        unit = chart_unit([a for m in page.months for a in (m.total, m.district, m.total_prev)])
        chart = {
            "labels": [P.label(m.period) for m in page.months],
            "total": in_unit((m.total for m in page.months), unit),
            "district": in_unit((m.district for m in page.months), unit),
            "total_prev": in_unit((m.total_prev for m in page.months), unit),
            "unit": unit,
        }
        return {
            "content": render_part("tax/_building.html", building=b, page=page, month=month, chart=chart, as_of=day)
        }

    # The tabs and the export button follow the role; the rest follows the data and the dates.
    key = (b.id, month, request.args.get("month"), day, current_user.role, tier_rules(db.session))
    content = cached_fragments("building-tax", (OCCUPANCY, TAX), key, render)["content"]
    return render_template("tax/building.html", building=b, content=content)


def slices_chart(slices) -> dict:
    values, unit = chart_amounts(s.amount for s in slices)
    return {"labels": [s.label for s in slices], "values": values, "unit": unit}


def requested_year() -> int | None:
    try:
        return year_of(request.args.get("year"))
    except DomainError as error:
        flash(error.message, "warning")
        return None


@bp.route("/tax")
@allow("tax.district")
def district():
    year = requested_year()
    try:
        content = district_content(year)
    except DomainError as error:
        flash(error.message, "warning")
        try:
            content = district_content(None)
        except DomainError:
            content = Markup(render_part("tax/_district.html", page=None))
    return render_template("tax/district.html", content=content)


def district_content(year: int | None):
    """The district tax page's body for ``year`` (None: the last complete one), a cached part."""

    def render() -> dict[str, str]:
        page = district_tax(db.session, year)
        chart = {
            "years": [page.year_labels[y] for y in page.years],
            "tiers": {
                tier or "none": [page.tier_counts[y][tier] for y in page.years]
                for tier in ("yi", "wuqianwan", "qianwan")
            },
            "industries": slices_chart(page.industries),
            "streets": slices_chart(page.streets),
        }
        return {"content": render_part("tax/_district.html", page=page, chart=chart)}

    return cached_fragments("district-tax", (OCCUPANCY, TAX), (year, tier_rules(db.session)), render)["content"]
