"""Tax pages: a building's tax tab and the district tax page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building
from crm.models.version import OCCUPANCY, TAX
from crm.permissions import allow, ensure
from crm.services import periods as P
from crm.services.bounds import year_of
from crm.services.errors import DomainError
from crm.services.tax import tier_rules
from crm.services.tax_analysis import building_tax, district_tax
from crm.views.fragments import cached_fragments, render_part
from crm.views.params import page_month, today

bp = Blueprint("tax", __name__)


def wan_values(amounts) -> list[float]:
    return [round(float(a) / 10000, 1) for a in amounts]


@bp.route("/buildings/<code>/tax")
@allow("tax.building")
def building(code):
    b = db.session.scalar(select(Building).where(Building.code == code))
    if b is None:
        abort(404)
    ensure("tax.building", b)
    month, day = page_month(), today()

    def render() -> dict[str, str]:
        page = building_tax(db.session, b, month, day)
        chart = {
            "labels": [P.label(m.period) for m in page.months],
            "total": wan_values(m.total for m in page.months),
            "district": wan_values(m.district for m in page.months),
            "total_prev": wan_values(m.total_prev for m in page.months),
        }
        return {"content": render_part("tax/_building.html", building=b, page=page, month=month, chart=chart, today=day)}

    # The tabs and the export button follow the role; the rest follows the data and the dates.
    key = (b.id, month, request.args.get("month"), day, current_user.role, tier_rules(db.session))
    content = cached_fragments("building-tax", (OCCUPANCY, TAX), key, render)["content"]
    return render_template("tax/building.html", building=b, content=content)


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
            "years": [f"{y}（至{P.split(page.latest_month)[1]}月）" if y == page.in_progress else str(y) for y in page.years],
            "tiers": {tier or "none": [page.tier_counts[y][tier] for y in page.years] for tier in ("yi", "wuqianwan", "qianwan")},
            "industries": {"labels": [s.label for s in page.industries], "values": wan_values(s.amount for s in page.industries)},
            "streets": {"labels": [s.label for s in page.streets], "values": wan_values(s.amount for s in page.streets)},
        }
        return {"content": render_part("tax/_district.html", page=page, chart=chart)}

    return cached_fragments("district-tax", (OCCUPANCY, TAX), (year, tier_rules(db.session)), render)["content"]
