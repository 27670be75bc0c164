"""JSON API v1, the records: a building's units, companies, leases and tax aggregates.

Each read calls the service its page calls, scoped the same way: a manager sees only the
buildings assigned to them (``visible_building_ids``), and the companies and leases there.
Areas in m², money in yuan, dates ISO (see ``crm/api/serialize.py``).
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building, Company
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS, UNIT_STATUSES
from crm.permissions import allow, ensure, scope_of, visible_building_ids
from crm.services import periods as P
from crm.services.companies import SORTS as COMPANY_SORTS, CompanyFilters, current_buildings, search_companies
from crm.services.errors import DomainError
from crm.services.leases import LeaseFilters, search_leases
from crm.services.tax import company_monthly_tax, monthly_totals, tax_by_building_and_period
from crm.services.tax_analysis import building_tax
from crm.services.units import unit_states
from crm.api.serialize import building_ref, number, company_json, lease_json, ref, unit_json
from crm.api.support import (
    get_or_404,
    json_api,
    page_json,
    paging,
    query_choice,
    query_date,
    query_int,
    query_month,
    query_sort,
    query_text,
)
from crm.web.params import as_of_month, default_month, today
from crm.web.lookup import building_or_404

bp = json_api(Blueprint("api_records", __name__, url_prefix="/api/v1"))

MAX_TAX_MONTHS = 60


# ------------------------------------------------------------------------------------------
# units


@bp.route("/buildings/<code>/units")
@allow("buildings.view")
def units(code):
    """A building's current units with their status on a day (as the stacking plan shows them).
    ---
    get:
      summary: 楼宇的单元及状态
      description: 单元状态由租约推导（occupied 已租、reserved 预留、self_use 自用、vacant 空置）。登记入驻时用这里的单元 id。
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
        - {in: query, name: "on", description: 日期，默认今天, schema: {type: string, format: date}}
        - {in: query, name: status, schema: {type: string, enum: [occupied, reserved, self_use, vacant]}}
      responses:
        200:
          description: 单元列表（高楼层在前）
          content:
            application/json:
              schema:
                type: object
                required: [building, "on", items]
                properties:
                  building: {$ref: "#/components/schemas/BuildingRef"}
                  "on": {type: string, format: date}
                  items: {type: array, items: {$ref: "#/components/schemas/Unit"}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    building = building_or_404(code)
    day = query_date("on", "日期") or today()
    status = query_choice("status", "单元状态", list(UNIT_STATUSES))
    states = [s for s in unit_states(db.session, building, day) if not status or s.status == status]
    return {"building": building_ref(building), "on": day.isoformat(), "items": [unit_json(s) for s in states]}


# ------------------------------------------------------------------------------------------
# companies


@bp.route("/companies")
@allow("companies.view")
def companies():
    """Companies with the filters of the /companies page, a page at a time.
    ---
    get:
      summary: 企业列表
      parameters:
        - {in: query, name: q, description: 名称或统一社会信用代码的一部分, schema: {type: string}}
        - {in: query, name: industry_group, schema: {type: string}}
        - {in: query, name: hq_type, description: 总部类型代码，any 为任一总部类型, schema: {type: string}}
        - {in: query, name: registered, description: 属地注册, schema: {type: string, enum: ["yes", "no"]}}
        - {in: query, name: sort, schema: {type: string, enum: [name, uscc, industry, hq, employees, registered]}}
        - {in: query, name: dir, schema: {type: string, enum: [asc, desc]}}
        - page
        - per_page
      responses:
        200:
          description: 一页企业及总数（楼宇管理员只看到在其楼宇的企业）
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Page"
                  - type: object
                    properties: {items: {type: array, items: {$ref: "#/components/schemas/Company"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    scope = scope_of(current_user)
    filters = CompanyFilters(
        q=query_text("q", "关键词"),
        industry_group=query_choice("industry_group", "产业类别", INDUSTRY_GROUPS),
        hq_type=query_choice("hq_type", "总部类型", [*HQ_TYPES, "any"]),
        registered=query_choice("registered", "属地注册", ["yes", "no"]),
        building_ids=scope.building_ids,
    )
    sort, descending = query_sort(COMPANY_SORTS, "name")
    page, per_page = paging()
    result = search_companies(db.session, filters, sort, descending, page, per_page)
    where = current_buildings(db.session, [c.id for c in result.companies], today())
    items = [company_json(c, scope.only_visible(where.get(c.id, []))) for c in result.companies]
    return page_json(items, result.total, page, per_page)


@bp.route("/companies/<int:company_id>")
@allow("companies.view")
def company(company_id):
    """One company with its leases and its monthly tax records (those of the caller's buildings).
    ---
    get:
      summary: 单个企业：租约与月度税收
      parameters:
        - {in: path, name: company_id, required: true, schema: {type: integer}}
      responses:
        200:
          description: 企业详情（楼宇管理员只看到其楼宇的租约与归属其楼宇的税收）
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Company"
                  - type: object
                    required: [leases, tax]
                    properties:
                      contact_name: {type: string, nullable: true}
                      contact_phone: {type: string, nullable: true}
                      leases: {type: array, items: {$ref: "#/components/schemas/Lease"}}
                      tax:
                        type: array
                        items:
                          type: object
                          required: [month, total_tax, district_tax, building]
                          properties:
                            month: {type: string}
                            total_tax: {type: number}
                            district_tax: {type: number, nullable: true}
                            building: {allOf: [{$ref: "#/components/schemas/BuildingRef"}], nullable: true}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    found = get_or_404(Company, company_id)
    ensure("companies.view", found)
    scope = scope_of(current_user)
    day = today()
    data = company_json(found, scope.only_visible(current_buildings(db.session, [found.id], day).get(found.id, [])))
    data["contact_name"], data["contact_phone"] = found.contact_name, found.contact_phone
    data["leases"] = [lease_json(lease, day) for lease in found.leases if scope.has_building(lease.building_id)]
    data["tax"] = [
        {
            "month": t.period,
            "total_tax": number(t.total_tax),
            "district_tax": number(t.district_tax),
            "building": building_ref(t.building),
        }
        for t in company_monthly_tax(db.session, found.id, scope.building_ids)
    ]
    return data


# ------------------------------------------------------------------------------------------
# leases


@bp.route("/leases")
@allow("buildings.view")
def leases():
    """Leases of a building or of a company, optionally only those active on a day.
    ---
    get:
      summary: 租约列表
      parameters:
        - {in: query, name: building, description: 楼宇代码, schema: {type: string}}
        - {in: query, name: company, description: 企业 id, schema: {type: integer, minimum: 1}}
        - {in: query, name: active_on, description: 只列出该日有效的租约, schema: {type: string, format: date}}
        - page
        - per_page
      responses:
        200:
          description: 一页租约（开始日期新的在前）及总数；楼宇管理员只看到其楼宇的租约
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Page"
                  - type: object
                    properties: {items: {type: array, items: {$ref: "#/components/schemas/Lease"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    code = query_text("building", "楼宇代码")
    building = building_or_404(code) if code else None
    company_id = query_int("company", "企业 id")
    if company_id is not None:
        ensure("companies.view", get_or_404(Company, company_id))
    active_on = query_date("active_on", "有效日期")
    page, per_page = paging()
    filters = LeaseFilters(
        building_id=building.id if building else None,
        company_id=company_id,
        active_on=active_on,
        building_ids=visible_building_ids(current_user),
    )
    rows, total = search_leases(db.session, filters, page, per_page)
    day = active_on or today()
    return page_json([lease_json(lease, day) for lease in rows], total, page, per_page)


# ------------------------------------------------------------------------------------------
# tax


def month_range() -> tuple[str, str]:
    """``first``..``last`` (YYYY-MM): by default January to the last complete month."""
    last = query_month("last", "截止月份") or default_month()
    first = query_month("first", "起始月份") or P.year_start(last)
    if first > last:
        raise DomainError(f"起始月份（first）{first} 晚于截止月份（last）{last}", field="first")
    if first < P.shift(last, -(MAX_TAX_MONTHS - 1)):
        raise DomainError(f"月份范围最多 {MAX_TAX_MONTHS} 个月，请缩小 first 到 last 的范围", field="first")
    return first, last


def periods_between(first: str, last: str) -> list[str]:
    count = (P.split(last)[0] - P.split(first)[0]) * 12 + P.split(last)[1] - P.split(first)[1] + 1
    return P.months_ending(last, count)


@bp.route("/tax/buildings")
@allow("tax.building")
def tax_buildings():
    """Each visible building's tax per month over a range of months, both bases, with the sums.
    ---
    get:
      summary: 各楼宇分月税收（全口径与区级）
      description: 与楼宇税收页同一数据源（按月汇总表）；楼宇管理员只看到自己的楼宇。最多 60 个月。
      parameters:
        - {in: query, name: first, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
        - {in: query, name: last, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
      responses:
        200:
          description: 各楼宇税收（元）
          content:
            application/json:
              schema:
                type: object
                required: [first, last, buildings]
                properties:
                  first: {type: string}
                  last: {type: string}
                  buildings:
                    type: array
                    items:
                      allOf:
                        - $ref: "#/components/schemas/BuildingRef"
                        - type: object
                          required: [total_tax, district_tax, months]
                          properties:
                            total_tax: {type: number}
                            district_tax: {type: number}
                            months: {type: array, items: {$ref: "#/components/schemas/TaxMonth"}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
    """
    first, last = month_range()
    scope = visible_building_ids(current_user)
    stmt = select(Building).order_by(Building.code)
    if scope is not None:
        stmt = stmt.where(Building.id.in_(scope))
    totals = tax_by_building_and_period(db.session, first, last, scope, "total")
    districts = tax_by_building_and_period(db.session, first, last, scope, "district")
    periods = periods_between(first, last)
    rows = []
    for b in db.session.scalars(stmt):
        total, district = totals.get(b.id, {}), districts.get(b.id, {})
        months = [
            {"month": p, "total_tax": number(total.get(p, 0)), "district_tax": number(district.get(p, 0))}
            for p in periods
        ]
        rows.append(
            building_ref(b)
            | {
                "total_tax": number(sum(total.values(), 0)),
                "district_tax": number(sum(district.values(), 0)),
                "months": months,
            }
        )
    return {"first": first, "last": last, "buildings": rows}


@bp.route("/tax/district")
@allow("tax.district")
def tax_district():
    """The district's tax per month over a range of months, both bases, with the sums.
    ---
    get:
      summary: 全区分月税收合计
      parameters:
        - {in: query, name: first, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
        - {in: query, name: last, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
      responses:
        200:
          description: 全区合计（元）
          content:
            application/json:
              schema:
                type: object
                required: [first, last, total_tax, district_tax, months]
                properties:
                  first: {type: string}
                  last: {type: string}
                  total_tax: {type: number}
                  district_tax: {type: number}
                  months: {type: array, items: {$ref: "#/components/schemas/TaxMonth"}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    first, last = month_range()
    periods = periods_between(first, last)
    totals = monthly_totals(db.session, periods, basis="total")
    districts = monthly_totals(db.session, periods, basis="district")
    return {
        "first": first,
        "last": last,
        "total_tax": number(sum(totals, 0)),
        "district_tax": number(sum(districts, 0)),
        "months": [
            {"month": p, "total_tax": number(t), "district_tax": number(d)}
            for p, t, d in zip(periods, totals, districts)
        ],
    }


@bp.route("/buildings/<code>/tax")
@allow("tax.building")
def building_tax_tab(code):
    """A building's tax tab: 24 months, the years with their tier, the top tenants of 12 months.
    ---
    get:
      summary: 单栋楼宇税收（与楼宇税收页相同）
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
        - {in: query, name: month, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
      responses:
        200:
          description: 楼宇税收（元）；tier 按设置的口径（basis）
          content:
            application/json:
              schema:
                type: object
                required: [building, month, basis, months, years, tenants, tenants_total]
                properties:
                  building: {$ref: "#/components/schemas/BuildingRef"}
                  month: {type: string}
                  basis: {type: string, enum: [total, district]}
                  months:
                    type: array
                    items:
                      allOf:
                        - $ref: "#/components/schemas/TaxMonth"
                        - type: object
                          properties: {total_tax_prev_year: {type: number}, yoy: {type: number, nullable: true}}
                  years:
                    type: array
                    items:
                      type: object
                      properties:
                        year: {type: integer}
                        label: {type: string, description: "2025年；只有部分月份数据的年份带月份，如 2023年（12月）、2026年（1–10月）"}
                        first_month: {type: integer}
                        last_month: {type: integer}
                        total_tax: {type: number}
                        district_tax: {type: number}
                        months: {type: integer}
                        complete: {type: boolean}
                        tier: {type: string, nullable: true, enum: [yi, wuqianwan, qianwan, null]}
                        yoy: {type: number, nullable: true}
                  tenants:
                    type: array
                    items:
                      type: object
                      properties:
                        company: {$ref: "#/components/schemas/Ref"}
                        tax: {type: number}
                        share: {type: number, nullable: true}
                  tenants_total: {type: number}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    building = building_or_404(code)
    ensure("tax.building", building)
    month = as_of_month()
    page = building_tax(db.session, building, month, P.as_of_day(month, today()))
    return {
        "building": building_ref(building),
        "month": page.month,
        "basis": page.basis,
        "months": [
            {
                "month": m.period,
                "total_tax": number(m.total),
                "district_tax": number(m.district),
                "total_tax_prev_year": number(m.total_prev),
                "yoy": m.yoy,
            }
            for m in page.months
        ],
        "years": [
            {
                "year": y.year,
                "label": y.label,
                "first_month": y.first_month,
                "last_month": y.last_month,
                "total_tax": number(y.total),
                "district_tax": number(y.district),
                "months": y.months,
                "complete": y.complete,
                "tier": y.tier,
                "yoy": y.yoy,
            }
            for y in page.years
        ],
        "tenants": [{"company": ref(t.company), "tax": number(t.tax), "share": t.share} for t in page.tenants],
        "tenants_total": number(page.tenants_total),
    }
