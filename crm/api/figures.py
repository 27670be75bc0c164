"""JSON API v1 (signed in by session cookie): the same figures as the pages, exact units.

Areas in m², money in yuan, occupancy and rates as fractions 0–1, all as JSON numbers.
"""

from __future__ import annotations


from flask import Blueprint, current_app
from flask_login import current_user

from crm.extensions import db
from crm.permissions import PUBLIC, allow, may, visible_building_ids
from crm.services import periods as P
from crm.services.bridge import month_bridge
from crm.services.figures import BuildingFigures, building_figures, building_history, district_summary
from crm.services.pipeline import pipeline_month, summary_json
from crm.services.units import unit_states
from crm.api.support import json_api
from crm.api.serialize import number
from crm.web.params import as_of_month, today
from crm.web.lookup import building_or_404

bp = json_api(Blueprint("api", __name__, url_prefix="/api/v1"))


def building_json(row: BuildingFigures) -> dict:
    b, occ = row.building, row.occupancy
    return {
        "code": b.code,
        "name": b.name,
        "street": b.street,
        "zone": b.zone,
        "declared_office_area": number(b.declared_office_area),
        "leasable_area": number(occ.leasable_area),
        "occupied_area": number(occ.occupied_area),
        "occupancy": occ.occupancy,
        "vacant_area": number(occ.vacant_area),
        "tenants": occ.tenants,
        "tax_ytd": number(row.tax_ytd),
        "tax_per_m2": number(row.tax_per_m2),
        "tier": row.tier,
    }


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    from crm.api.openapi import build_spec

    return build_spec(current_app)


@bp.route("/summary")
@allow("dashboard.view")
def summary():
    """District figures for the as-of month, scoped to the caller's buildings, and the month's
    pipeline (for those who may see leads).
    ---
    get:
      summary: 全区汇总
      parameters:
        - in: query
          name: month
          schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}
      responses:
        200:
          description: 汇总数据
          content:
            application/json:
              schema:
                type: object
                required: [month, buildings, leasable_area, occupied_area, occupancy, vacant_area, tenants,
                           registered_tenants, registered_rate, tax_ytd, tax_ytd_prev, tiers, pipeline]
                properties:
                  month: {type: string}
                  buildings: {type: integer}
                  leasable_area: {type: number, description: "可租面积（m²）：月末现有且非自用单元的面积之和，不是登记办公面积"}
                  occupied_area: {type: number}
                  occupancy: {type: number, nullable: true}
                  vacant_area: {type: number}
                  tenants: {type: integer, description: "入驻企业：月末在所列楼宇中任一栋有有效租约的企业，每家只计一次"}
                  registered_tenants: {type: integer, description: "其中属地注册的企业（同样按企业去重）"}
                  registered_rate: {type: number, nullable: true, description: "属地注册率（按企业数）= registered_tenants ÷ tenants"}
                  tax_ytd: {type: number}
                  tax_ytd_prev: {type: number}
                  tier_year: {type: integer}
                  tiers:
                    type: object
                    properties: {yi: {type: integer}, wuqianwan: {type: integer}, qianwan: {type: integer}}
                  monthly_tax:
                    type: array
                    items: {type: object, properties: {month: {type: string}, tax: {type: number}}}
                  bridge:
                    type: object
                    description: >-
                      变动说明：上月末 + moved_in − moved_out − lapsed + other = 本月末，已出租面积（m²）与入驻企业（家）各一，
                      other_items 逐项列出“其他”（与总览、月度简报同一口径）
                    properties:
                      occupied_area: {type: object, properties: {moved_in: {type: number}, moved_out: {type: number},
                                      lapsed: {type: number}, other: {type: number}, other_items: {type: array, items: {type: object}}}}
                      tenants: {type: object, properties: {moved_in: {type: integer}, moved_out: {type: integer},
                                lapsed: {type: integer}, other: {type: integer}, other_items: {type: array, items: {type: object}}}}
                  pipeline:
                    type: object
                    nullable: true
                    description: "招商进度，截至所选月份月末（本月则截至今日），与总览和月度简报相同；无权查看招商项目时为 null"
                    required: [state_as_of, funnel, active_count, active_expected_tax, active_weighted_tax,
                               landed_month, landed_year, promoters, followups_total, overdue_total]
                    properties:
                      state_as_of: {type: string, format: date}
                      funnel:
                        type: array
                        items:
                          type: object
                          properties:
                            stage: {type: string}
                            label: {type: string}
                            probability: {type: number}
                            count: {type: integer}
                            expected_tax: {type: number}
                            weighted_tax: {type: number}
                      active_count: {type: integer}
                      active_expected_tax: {type: number}
                      active_weighted_tax: {type: number}
                      landed_month: {type: integer}
                      landed_year: {type: integer}
                      promoters:
                        type: array
                        items:
                          type: object
                          properties:
                            username: {type: string}
                            name: {type: string}
                            active: {type: integer}
                            expected_tax: {type: number}
                            followups_month: {type: integer}
                            overdue: {type: integer}
                      followups_total: {type: integer}
                      overdue_total: {type: integer}
        400: {description: 月份无效, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        401: {description: 未登录, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    month = as_of_month()
    ids = visible_building_ids(current_user)
    s = district_summary(db.session, month, ids)
    bridge = month_bridge(db.session, month, ids)
    occ = s.occupancy
    pipeline = summary_json(pipeline_month(db.session, month, today())) if may(current_user, "leads.view") else None
    return {
        "month": month,
        "buildings": s.buildings,
        "leasable_area": number(occ.leasable_area),
        "occupied_area": number(occ.occupied_area),
        "occupancy": occ.occupancy,
        "vacant_area": number(occ.vacant_area),
        "tenants": occ.tenants,
        "registered_tenants": occ.registered_tenants,
        "registered_rate": s.registered_rate,
        "tax_ytd": number(s.tax_ytd),
        "tax_ytd_prev": number(s.tax_ytd_prev),
        "tier_year": s.tier_year,
        "tiers": s.tiers,
        "monthly_tax": [{"month": p, "tax": number(v)} for p, v in s.monthly_tax],
        "bridge": {"occupied_area": bridge.area.as_json(), "tenants": bridge.tenants.as_json()},
        "pipeline": pipeline,
    }


@bp.route("/buildings")
@allow("buildings.view")
def buildings():
    """Every visible building with its figures for the as-of month.
    ---
    get:
      summary: 楼宇列表及指标
      parameters:
        - in: query
          name: month
          schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}
      responses:
        200:
          description: 楼宇指标
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/BuildingFigures"}}
        400: {description: 月份无效, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        401: {description: 未登录, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    month = as_of_month()
    return [building_json(row) for row in building_figures(db.session, month, visible_building_ids(current_user))]


@bp.route("/buildings/<code>")
@allow("buildings.view")
def building(code):
    """One building's figures, its units on the month's last day and 24 months of history.
    ---
    get:
      summary: 单栋楼宇详情
      parameters:
        - in: path
          name: code
          required: true
          schema: {type: string}
        - in: query
          name: month
          schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}
      responses:
        200:
          description: 楼宇详情
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/BuildingFigures"
                  - type: object
                    required: [units, months]
                    properties:
                      month: {type: string}
                      units:
                        type: array
                        items:
                          type: object
                          properties:
                            floor: {type: integer}
                            number: {type: string}
                            area: {type: number}
                            status: {type: string, enum: [occupied, reserved, self_use, vacant]}
                            tenant: {type: string, nullable: true}
                            lease_end: {type: string, nullable: true}
                      months:
                        type: array
                        items:
                          type: object
                          properties:
                            month: {type: string}
                            leasable_area: {type: number}
                            occupied_area: {type: number}
                            occupancy: {type: number, nullable: true}
                            tenants: {type: integer}
                            tax: {type: number}
                            district_tax: {type: number}
        400: {description: 月份无效, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        401: {description: 未登录, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        403: {description: 无权查看, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        404: {description: 楼宇不存在, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    b = building_or_404(code)
    month = as_of_month()
    data = building_json(building_figures(db.session, month, buildings=[b])[0])
    data["month"] = month
    data["units"] = [
        {
            "floor": s.unit.floor,
            "number": s.unit.number,
            "area": number(s.unit.area),
            "status": s.status,
            "tenant": s.lease.company.name if s.lease else None,
            "lease_end": s.lease.end_date.isoformat() if s.lease and s.lease.end_date else None,
        }
        for s in unit_states(db.session, b, P.month_end(month))
    ]
    data["months"] = [
        {
            "month": p.period,
            "leasable_area": number(p.occupancy.leasable_area),
            "occupied_area": number(p.occupancy.occupied_area),
            "occupancy": p.occupancy.occupancy,
            "tenants": p.occupancy.tenants,
            "tax": number(p.tax),
            "district_tax": number(p.district_tax),
        }
        for p in building_history(db.session, b, month)
    ]
    return data
