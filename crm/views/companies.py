"""Companies: search and filters, and a company's page with its leases and monthly tax."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user

from crm.extensions import db
from crm.models import Company
from crm.cache.versions import OCCUPANCY
from crm.permissions import allow, ensure, scope_of
from crm.services.companies import SORTS, current_buildings, read_company_filters, search_companies
from crm.services.leases import last_active_day
from crm.services.tax import company_monthly_tax
from crm.cache.fragments import cached_fragments, render_part
from crm.web.params import page_number, sort_args, today

bp = Blueprint("companies", __name__)


@bp.route("/companies")
@allow("companies.view")
def index():
    sort, descending = sort_args(set(SORTS), "name")
    scope = scope_of(current_user)
    day, page = today(), page_number()
    filters, query = read_company_filters(request.args, scope.building_ids)
    for problem in query.problems:
        flash(problem, "warning")
    query.keep("sort", sort if sort != "name" else None)
    query.keep("dir", "desc" if descending else None)

    def render() -> dict[str, str]:
        result = search_companies(db.session, filters, sort, descending, page, per_page=50)
        where = {
            company_id: scope.only_visible(found)  # a manager sees only their buildings
            for company_id, found in current_buildings(db.session, [c.id for c in result.companies], day).items()
        }
        return {
            "count": f"{result.total:,}",
            "results": render_part(
                "companies/_results.html", result=result, where=where, args=query.kept, sort=sort, descending=descending
            ),
        }

    # The results follow the companies and leases (the occupancy token), the filters, the reader's
    # buildings and the day (which leases are current).
    key = (tuple(sorted(query.kept.items())), page, scope.building_ids, day)
    parts = cached_fragments("company-search", (OCCUPANCY,), key, render)
    return render_template("companies/index.html", parts=parts, args=query.kept, sort=sort, descending=descending)


@bp.route("/companies/<int:company_id>")
@allow("companies.view")
def show(company_id):
    company = db.session.get(Company, company_id)
    if company is None:
        abort(404)
    ensure("companies.view", company)
    scope = scope_of(current_user)
    taxes = company_monthly_tax(db.session, company.id, scope.building_ids)
    leases = [lease for lease in company.leases if scope.has_building(lease.building_id)]
    return render_template(
        "companies/show.html",
        company=company,
        leases=leases,
        taxes=taxes,
        today=today(),
        scope=scope.building_ids,
        last_active_day=last_active_day,
    )
