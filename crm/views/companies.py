"""Companies: search and filters, and a company's page with its leases and monthly tax."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from crm.extensions import db
from crm.models import Company
from crm.permissions import allow, ensure, visible_building_ids
from crm.services.companies import SORTS, CompanyFilters, current_buildings, search_companies
from crm.services.leases import last_active_day
from crm.services.tax import company_monthly_tax
from crm.views.params import page_number, sort_args, today

bp = Blueprint("companies", __name__)


def filters_from_request() -> CompanyFilters:
    args = request.args
    return CompanyFilters(
        q=args.get("q", ""),
        industry_group=args.get("industry_group", ""),
        hq_type=args.get("hq_type", ""),
        registered=args.get("registered", ""),
        building_ids=visible_building_ids(current_user),
    )


@bp.route("/companies")
@allow("companies.view")
def index():
    sort, descending = sort_args(set(SORTS), "name")
    result = search_companies(
        db.session, filters_from_request(), sort, descending, page_number(), per_page=50
    )
    scope = visible_building_ids(current_user)
    where = {
        company_id: [b for b in found if scope is None or b.id in scope]  # a manager sees only their buildings
        for company_id, found in current_buildings(db.session, [c.id for c in result.companies], today()).items()
    }
    return render_template(
        "companies/index.html", result=result, where=where, args=request.args, sort=sort, descending=descending
    )


@bp.route("/companies/<int:company_id>")
@allow("companies.view")
def show(company_id):
    company = db.session.get(Company, company_id)
    if company is None:
        abort(404)
    ensure("companies.view", company)
    taxes = company_monthly_tax(db.session, company.id)
    scope = visible_building_ids(current_user)
    leases = [l for l in company.leases if scope is None or l.building_id in scope]
    return render_template(
        "companies/show.html", company=company, leases=leases, taxes=taxes, today=today(), scope=scope,
        last_active_day=last_active_day,
    )
