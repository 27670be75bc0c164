"""JSON API v1, landing (落地入驻): a promoter records where a registered lead's company moves in
(a move-in request); the building's manager — or an admin — confirms it (the lease is created,
the lead settles) or sends it back with a reason.

The services and permission actions of ``crm/views/leads.py`` (land) and
``crm/views/movein_requests.py``: recording needs ``leads.edit`` on the lead (a promoter: their
own); reading needs ``movein.view`` and shows a manager only their buildings; deciding needs
``movein.decide`` on the request's building.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building, MoveInRequest
from crm.permissions import allow, ensure, visible_building_ids
from crm.services.errors import DomainError
from crm.services.landing import (
    LandingInput,
    confirm_move_in,
    move_in_requests,
    record_landing,
    reject_move_in,
    request_units,
    units_by_request,
)
from crm.api.serialize import movein_json
from crm.api.support import (
    body_date,
    body_flag,
    body_ints,
    body_text,
    editable_lead_or_404,
    get_or_404,
    json_api,
    json_body,
    query_choice,
    service_errors,
    write,
)
from crm.web.params import today

bp = json_api(Blueprint("api_movein", __name__, url_prefix="/api/v1"))

STATUSES = ["pending", "confirmed", "rejected", "all"]


def as_json(request: MoveInRequest) -> dict:
    return movein_json(request, request_units(db.session, request))


@bp.route("/movein-requests")
@allow("movein.view")
def requests():
    """Move-in requests of the caller's buildings (a manager: theirs), pending ones by default.
    ---
    get:
      summary: 入驻申请列表
      parameters:
        - in: query
          name: status
          description: 默认 pending；all 为全部
          schema: {type: string, enum: [pending, confirmed, rejected, all]}
      responses:
        200:
          description: 入驻申请（新的在前，最多 200 条）
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties: {items: {type: array, items: {$ref: "#/components/schemas/MoveInRequest"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    status = query_choice("status", "申请状态", STATUSES) or "pending"
    found = move_in_requests(db.session, visible_building_ids(current_user), None if status == "all" else status)
    units = units_by_request(db.session, found)
    return {"items": [movein_json(r, units[r.id]) for r in found]}


def landing_input(body: dict) -> LandingInput:
    code = body_text(body, "building", "落地楼宇代码", max_length=16)
    building_id = None
    if code:
        building_id = db.session.scalar(select(Building.id).where(Building.code == code))
        if building_id is None:
            raise DomainError(f"落地楼宇代码（building）{code} 不存在", field="building")
    return LandingInput(
        building_id=building_id,
        unit_ids=body_ints(body, "unit_ids", "入驻单元 id"),
        start_date=body_date(body, "start_date", "入驻日期"),
        end_date=body_date(body, "end_date", "租期结束日期"),
        uscc=body_text(body, "uscc", "统一社会信用代码", max_length=30),
        company_name=body_text(body, "company_name", "企业名称", max_length=200),
        registered_in_district=body_flag(body, "registered_in_district", "是否属地注册", True),
        uscc_override=body_flag(body, "uscc_override", "确认代码无误", False),
    )


@bp.route("/leads/<int:lead_id>/movein-requests", methods=["POST"])
@allow("leads.edit")
def create(lead_id):
    """Record where a registered lead lands: building, units, move-in date, the company's USCC.
    ---
    post:
      summary: 登记落地（提交入驻申请）
      description: >
        项目须处于「注册落地」阶段且没有待确认的申请；单元须在入驻日期空置（或为本项目预留）。
        由该楼宇的楼宇管理员确认后生成租约，项目变为「入驻」。招商专员只能为自己负责的项目登记。
      parameters:
        - {in: path, name: lead_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [building, unit_ids, start_date, uscc]
              properties:
                building: {type: string, description: 楼宇代码}
                unit_ids: {type: array, items: {type: integer}, description: "单元 id（见 /buildings/{code}/units）"}
                start_date: {type: string, format: date, description: 入驻日期}
                end_date: {type: string, format: date, description: 租期结束日期，可不填}
                uscc: {type: string, description: 统一社会信用代码}
                company_name: {type: string, description: 企业登记名称，默认项目名称}
                registered_in_district: {type: boolean, description: 是否属地注册，默认 true}
                uscc_override: {type: boolean, description: 管理员确认代码无误（校验位不符时）}
      responses:
        201:
          description: 已提交，待楼宇管理员确认
          content: {application/json: {schema: {$ref: "#/components/schemas/MoveInRequest"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    lead = editable_lead_or_404(lead_id)
    data = landing_input(json_body())
    with write(), service_errors(building_id="building"):
        move_in = record_landing(db.session, lead, data, current_user, today())
    return as_json(move_in), 201


def decidable_or_404(request_id: int) -> MoveInRequest:
    move_in = get_or_404(MoveInRequest, request_id)
    ensure("movein.decide", move_in)  # a manager: only requests into their buildings
    return move_in


@bp.route("/movein-requests/<int:request_id>/confirm", methods=["POST"])
@allow("movein.decide")
def confirm(request_id):
    """Confirm a pending move-in: the lease is created and the lead settles.
    ---
    post:
      summary: 确认入驻申请
      description: >
        该楼宇的楼宇管理员或系统管理员。申请已处理过时返回 409；单元已不再空置时返回 400。
        入驻日期落在已确认（月度填报）的月份时，须在 correction_reason 中说明更正原因，否则返回 400。
      parameters:
        - {in: path, name: request_id, required: true, schema: {type: integer}}
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              properties:
                correction_reason: {type: string, description: 更正原因（入驻日期落在已确认的月份时必填）}
      responses:
        200:
          description: 已确认；lease_id 为生成的租约
          content: {application/json: {schema: {$ref: "#/components/schemas/MoveInRequest"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {$ref: "#/components/responses/Conflict"}
    """
    move_in = decidable_or_404(request_id)
    reason = body_text(json_body(optional=True), "correction_reason", "更正原因", max_length=500)
    with write(), service_errors(conflicts=("status",)):
        confirm_move_in(db.session, move_in, current_user, today(), reason)
    return as_json(move_in)


@bp.route("/movein-requests/<int:request_id>/reject", methods=["POST"])
@allow("movein.decide")
def reject(request_id):
    """Send a pending move-in back to the promoter, with the reason.
    ---
    post:
      summary: 退回入驻申请
      description: 该楼宇的楼宇管理员或系统管理员，须说明原因。申请已处理过时返回 409。
      parameters:
        - {in: path, name: request_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [note]
              properties:
                note: {type: string, description: 退回原因}
      responses:
        200:
          description: 已退回
          content: {application/json: {schema: {$ref: "#/components/schemas/MoveInRequest"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {$ref: "#/components/responses/Conflict"}
    """
    move_in = decidable_or_404(request_id)
    note = body_text(json_body(), "note", "退回原因")
    with write(), service_errors(conflicts=("status",)):
        reject_move_in(db.session, move_in, current_user, note)
    return as_json(move_in)
