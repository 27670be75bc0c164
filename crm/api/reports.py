"""JSON of the reports: ``/api/v1/reports/candidates?year=&as_of=`` (exact yuan, m², fractions)."""

from __future__ import annotations

from flask import Blueprint, request

from crm.extensions import db
from crm.permissions import allow
from crm.services import periods as P
from crm.services.bounds import year_of
from crm.services.candidates import as_json, candidate_report
from crm.api.support import json_api
from crm.web.params import today

bp = json_api(Blueprint("api_reports", __name__, url_prefix="/api/v1/reports"))


@bp.route("/candidates")
@allow("reports.view")
def candidates():
    """The 亿元楼 candidate list of a year as of a month (DESIGN.md's definition).
    ---
    get:
      summary: 亿元楼候选名单
      parameters:
        - in: query
          name: year
          schema: {type: string, pattern: "^[0-9]{4}$"}
        - in: query
          name: as_of
          schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}
      responses:
        200:
          description: 候选名单（金额单位元，面积 m²，同比为小数）
          content:
            application/json:
              schema:
                type: object
                required: [year, as_of, basis, threshold, candidate_threshold, yi_buildings, candidates]
                properties:
                  year: {type: integer}
                  as_of: {type: string}
                  basis: {type: string}
                  threshold: {type: number}
                  candidate_threshold: {type: number}
                  prev_year_label: {type: string, description: "上年全年；税收数据只覆盖上年部分月份时如 上年（11–12月）"}
                  yi_buildings:
                    type: array
                    items:
                      type: object
                      properties: {code: {type: string}, name: {type: string}, ytd: {type: number},
                                   annual_prev: {type: number, nullable: true}}
                  candidates:
                    type: array
                    items:
                      type: object
                      properties:
                        rank: {type: integer}
                        code: {type: string}
                        name: {type: string}
                        street: {type: string}
                        tier_prev: {type: string, nullable: true}
                        ytd: {type: number}
                        ytd_prev: {type: number, nullable: true}
                        annual_prev: {type: number, nullable: true}
                        yoy: {type: number, nullable: true}
                        projection: {type: number}
                        gap: {type: number}
                        vacant_area: {type: number}
                        tax_per_m2: {type: number, nullable: true}
                        vacancy_potential: {type: number, nullable: true}
                        pipeline_potential: {type: number, description: "截至月末在谈且以该楼为目标的项目：预计年税收 × 阶段概率 ÷ 目标楼宇数，之和"}
                        verdict:
                          type: string
                          description: "研判，如：差 1,226.0 万元；空置可补 800.0 万元，储备项目可补 347.0 万元，仍缺 79.0 万元"
        400: {description: 参数无效, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        401: {description: 未登录, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        403: {description: 无权查看, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        404: {description: 没有税收数据, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    """
    report = candidate_report(
        db.session,
        year_of(request.args.get("year")),
        request.args.get("as_of", "").strip() or None,
        latest_allowed=P.period_of(today()),
        today=today(),
    )
    return as_json(report)
