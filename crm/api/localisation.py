"""JSON API v1, 属地化: the three lists of the /localisation page on a date, scoped and filtered
the same way (``crm.services.localisation``). Money in yuan, areas in m²."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select

from crm.api.serialize import number
from crm.api.support import json_api, page_json, paging, query_choice, query_date, query_int, query_sort, query_text
from crm.extensions import db
from crm.models import User
from crm.models.localisation import KINDS, STATES
from crm.permissions import allow, scope_of
from crm.services import localisation
from crm.web.params import today

bp = json_api(Blueprint("api_localisation", __name__, url_prefix="/api/v1"))


def _target_json(row: localisation.Target, owners: dict[int, str]) -> dict:
    return {
        "type": row.kind,
        "company": {"id": row.company_id, "name": row.company_name},
        "uscc": row.uscc,
        "building": {"code": row.building_code, "name": row.building_name} if row.building_code else None,
        "street": row.street,
        "buildings": row.buildings,
        "area": number(row.area),
        "start_date": row.start_date.isoformat() if row.start_date else None,
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "industry_group": row.industry_group,
        "hq_type": row.hq_type,
        "employees": row.employees,
        "tax_at_stake": number(row.tax_at_stake) if row.tax_at_stake is not None else None,
        "tax_12m": number(row.tax_12m) if row.tax_12m is not None else None,
        "state": row.state,
        "state_label": row.state_label,
        "owner": {"id": row.owner_id, "name": owners.get(row.owner_id, "")} if row.owner_id else None,
        "item_id": row.item.id if row.item else None,
    }


@bp.route("/localisation")
@allow("localisation.view")
def targets():
    """属地化 targets of one list on a date, as on /localisation.
    ---
    get:
      summary: 属地化名单（入驻不注册、注册不纳税、注册不入驻）
      description: 楼宇管理员只看到其楼宇的企业。税收影响为估算值（元）。
      parameters:
        - in: query
          name: type
          schema: {type: string, enum: [occupying_unregistered, occupying_untaxed, registered_not_occupying]}
          description: 名单，默认 occupying_unregistered
        - {in: query, name: "on", description: 日期，默认今天, schema: {type: string, format: date}}
        - {in: query, name: street, schema: {type: string}}
        - {in: query, name: building, description: 楼宇编码, schema: {type: string}}
        - {in: query, name: state, schema: {type: string, enum: [open, pending, visited, mobilised, blocked, done]}}
        - {in: query, name: owner, description: 负责人用户编号, schema: {type: integer, minimum: 1}}
        - {in: query, name: sort, schema: {type: string, enum: [tax, area, name, building, state]}}
        - {in: query, name: dir, schema: {type: string, enum: [asc, desc]}}
        - page
        - per_page
      responses:
        200:
          description: 一页名单及总数
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Page"
                  - type: object
                    properties: {items: {type: array, items: {$ref: "#/components/schemas/LocalisationTarget"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    kind = query_choice("type", "名单", list(KINDS)) or "occupying_unregistered"
    on = query_date("on", "日期") or today()
    sort, descending = query_sort(localisation.SORTS, "tax")
    if not query_text("sort", "排序字段"):
        descending = True  # the most tax at stake first, as on the page
    filters = localisation.Filters(
        street=query_text("street", "街道") or None,
        building=query_text("building", "楼宇编码") or None,
        state=query_choice("state", "状态", ["open", *STATES]) or None,
        owner=query_int("owner", "负责人"),
        sort=sort,
        descending=descending,
    )
    page, per_page = paging()
    rows = localisation.targets(db.session, kind, on, scope_of(current_user).building_ids, filters)
    shown = rows[(page - 1) * per_page : page * per_page]
    ids = {r.owner_id for r in shown if r.owner_id}
    owners = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    return page_json([_target_json(r, owners) for r in shown], len(rows), page, per_page)
