"""JSON API v1, warnings (预警): the list with its filters, scoped like the page — a building
manager sees the warnings of their buildings only."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from crm.api.support import json_api, page_json, paging, query_choice, query_int, query_text
from crm.web.lookup import building_or_404
from crm.extensions import db
from crm.models.warning import STATES
from crm.permissions import allow, scope_of
from crm.warnings.queries import WarningFilters, search_warnings
from crm.warnings.rules import RULES
from crm.warnings.settings import warning_settings
from crm.web.params import today

bp = json_api(Blueprint("api_warnings", __name__, url_prefix="/api/v1"))


def warning_json(w) -> dict:
    return {
        "id": w.id,
        "rule": w.rule,
        "rule_label": RULES.get(w.rule, w.rule),
        "title": w.title,
        "severity": w.severity,
        "state": w.state,
        "state_label": w.state_label,
        "object_type": w.object_type,
        "object_id": w.object_id,
        "period": w.period,
        "building": {"code": w.building.code, "name": w.building.name} if w.building else None,
        "company": {"id": w.company.id, "name": w.company.name} if w.company else None,
        "owner": {"id": w.owner.id, "name": w.owner.display_name} if w.owner else None,
        "figures": w.figures,
        "tax_at_stake": float(w.tax_at_stake or 0),
        "created_on": w.created_on,
        "resolved_on": w.resolved_on,
        "resolve_reason": w.resolve_reason,
        "resolve_note": w.resolve_note,
    }


@bp.route("/warnings")
@allow("warnings.view")
def warnings():
    """Warnings, open first, then newest.
    ---
    get:
      summary: 预警列表
      parameters:
        - in: query
          name: rule
          description: >-
            预警类型：tax_drop 大户税收下滑、lease_expiry 大户租约临期未续、outflow 企业外迁、
            occupancy_drop 入驻率下滑、tier_at_risk 楼宇档次不保、unconfirmed 月度数据逾期未确认
          schema: {type: string, enum: [tax_drop, lease_expiry, outflow, occupancy_drop, tier_at_risk, unconfirmed]}
        - in: query
          name: state
          description: "处置状态：pending 待处置、handling 处置中、resolved 已解除、auto_resolved 自动解除、open 未解除（前两者）"
          schema: {type: string, enum: [pending, handling, resolved, auto_resolved, open]}
        - {in: query, name: building, description: 楼宇代码, schema: {type: string}}
        - {in: query, name: owner, description: 责任人用户 id, schema: {type: integer, minimum: 1}}
        - page
        - per_page
      responses:
        200:
          description: 一页预警及总数；楼宇管理员只看到其楼宇的预警
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Page"
                  - type: object
                    properties:
                      items:
                        type: array
                        items:
                          type: object
                          required: [id, rule, title, severity, state, building, owner, figures, tax_at_stake, created_on]
                          properties:
                            id: {type: integer}
                            rule: {type: string}
                            rule_label: {type: string}
                            title: {type: string}
                            severity: {type: string, enum: [high, medium, low]}
                            state: {type: string, enum: [pending, handling, resolved, auto_resolved]}
                            state_label: {type: string}
                            object_type: {type: string, enum: [company, lease, building]}
                            object_id: {type: integer}
                            period: {type: string, description: 规则所指的月份（YYYY-MM）或日期（YYYY-MM-DD）}
                            building: {allOf: [{$ref: "#/components/schemas/BuildingRef"}], nullable: true}
                            company: {allOf: [{$ref: "#/components/schemas/Ref"}], nullable: true}
                            owner: {allOf: [{$ref: "#/components/schemas/Ref"}], nullable: true}
                            figures: {type: object, description: 触发预警的数据}
                            tax_at_stake: {type: number, description: 涉及税收（元）}
                            created_on: {type: string, format: date}
                            resolved_on: {type: string, format: date, nullable: true}
                            resolve_reason: {type: string, nullable: true}
                            resolve_note: {type: string, nullable: true}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    rule = query_choice("rule", "预警类型", list(RULES))
    state = query_choice("state", "处置状态", [*STATES, "open"])
    code = query_text("building", "楼宇代码")
    building = building_or_404(code) if code else None
    owner = query_int("owner", "责任人")
    page, per_page = paging()
    filters = WarningFilters(
        rule=rule,
        state=state,
        building_id=building.id if building else None,
        owner_id=owner,
        building_ids=scope_of(current_user).building_ids,
    )
    rows, total = search_warnings(
        db.session, filters, today(), warning_settings(db.session).overdue_days, page, per_page
    )
    return page_json([warning_json(w) for w in rows], total, page, per_page)
