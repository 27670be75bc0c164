"""JSON API v1, the pipeline: leads (with the /leads page's filters), a lead with its follow-ups
and stage history, a promoter's due and overdue follow-ups, and the two writes promoters do every
day — recording a follow-up and moving a lead's stage.

The same services and permission actions as the pages (``crm/views/leads.py``,
``crm/views/followups.py``): everyone but managers reads leads; a promoter writes only their own
(``ensure("leads.edit", lead)``); a leader reads only. A write commits once, at the end; a refusal
rolls back and answers 400 naming the field, or 409 when the lead changed since the caller read it.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building, Lead, MoveInRequest
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.models.lead import FOLLOWUP_METHODS, SOURCES
from crm.permissions import allow, ensure
from crm.services.leads import ALL_STAGES, SORTS, LeadFilters, lead_history, pipeline_rules, search_leads
from crm.services.leads import BackwardWithoutReason
from crm.services.leads import move_stage as move_lead_stage
from crm.services.errors import DomainError
from crm.services.followups import add_followup, followups_of, my_work
from crm.services.landing import units_by_request
from crm.api.serialize import followup_json, lead_json, movein_json, stage_change_json
from crm.api.support import (
    body_date,
    body_int,
    body_text,
    editable_lead_or_404,
    get_or_404,
    json_api,
    json_body,
    page_json,
    paging,
    query_choice,
    query_int,
    query_sort,
    query_text,
    service_errors,
    write,
)
from crm.web.params import today

bp = json_api(Blueprint("api_leads", __name__, url_prefix="/api/v1"))


def lead_or_404(lead_id: int) -> Lead:
    lead = get_or_404(Lead, lead_id)
    ensure("leads.view", lead)
    return lead


def as_json(lead: Lead) -> dict:
    return lead_json(lead, today(), pipeline_rules(db.session))


# ------------------------------------------------------------------------------------------
# reading


def owner_filter() -> int | None:
    if request.args.get("owner", "").strip() == "me":
        return current_user.id
    return query_int("owner", "负责人 id")


def building_filter() -> int | None:
    code = query_text("building", "目标楼宇代码")
    if not code:
        return None
    building_id = db.session.scalar(select(Building.id).where(Building.code == code))
    if building_id is None:
        raise DomainError(f"目标楼宇代码（building）{code} 不存在", field="building")
    return building_id


def lead_filters() -> LeadFilters:
    return LeadFilters(
        stage=query_choice("stage", "阶段", [*ALL_STAGES, "active"]),
        owner_id=owner_filter(),
        source=query_choice("source", "来源", SOURCES),
        industry_group=query_choice("industry_group", "产业类别", INDUSTRY_GROUPS),
        hq_type=query_choice("hq_type", "总部类型", [*HQ_TYPES, "any"]),
        building_id=building_filter(),
        overdue=query_choice("overdue", "逾期筛选", ["followup", "deadline"]),
        q=query_text("q", "关键词"),
    )


@bp.route("/leads")
@allow("leads.view")
def leads():
    """Leads with the filters of the /leads page, a page at a time.
    ---
    get:
      summary: 招商项目列表
      parameters:
        - in: query
          name: stage
          description: 阶段代码，active 为进行中的全部阶段
          schema:
            type: string
            enum: [lead, contact, visit, negotiation, signed, registered, settled, paused, lost, active]
        - {in: query, name: owner, description: 负责人 id，或 me, schema: {type: string}}
        - {in: query, name: source, schema: {type: string}}
        - {in: query, name: industry_group, schema: {type: string}}
        - {in: query, name: hq_type, schema: {type: string}}
        - {in: query, name: building, description: 目标楼宇代码, schema: {type: string}}
        - in: query
          name: overdue
          description: followup 跟进逾期；deadline 任一期限超期（首次跟进超期、久未跟进、签约未注册）
          schema: {type: string, enum: [followup, deadline]}
        - {in: query, name: q, description: 企业名称或统一社会信用代码的一部分, schema: {type: string}}
        - in: query
          name: sort
          schema: {type: string, enum: [company, stage, owner, source, industry, area, tax, next, last, created, priority]}
        - {in: query, name: dir, schema: {type: string, enum: [asc, desc]}}
        - page
        - per_page
      responses:
        200:
          description: 一页项目及总数
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Page"
                  - type: object
                    properties: {items: {type: array, items: {$ref: "#/components/schemas/Lead"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    filters = lead_filters()
    sort, descending = query_sort(SORTS, "next")
    page, per_page = paging()
    day, rules = today(), pipeline_rules(db.session)
    result = search_leads(db.session, filters, day, rules, sort, descending, page, per_page)
    return page_json([lead_json(lead, day, rules) for lead in result.leads], result.total, page, per_page)


@bp.route("/leads/<int:lead_id>")
@allow("leads.view")
def lead(lead_id):
    """One lead with its contact, follow-ups, stage history and move-in requests.
    ---
    get:
      summary: 单个招商项目
      parameters:
        - {in: path, name: lead_id, required: true, schema: {type: integer}}
      responses:
        200:
          description: 项目详情；version 用于阶段变更的并发检查
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Lead"
                  - type: object
                    required: [followups, stage_history, movein_requests]
                    properties:
                      contact_name: {type: string, nullable: true}
                      contact_phone: {type: string, nullable: true}
                      notes: {type: string, nullable: true}
                      merged_into_id: {type: integer, nullable: true}
                      followups: {type: array, items: {$ref: "#/components/schemas/FollowUp"}}
                      stage_history: {type: array, items: {$ref: "#/components/schemas/StageChange"}}
                      movein_requests: {type: array, items: {$ref: "#/components/schemas/MoveInRequest"}}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    found = lead_or_404(lead_id)
    requests = list(
        db.session.scalars(
            select(MoveInRequest).where(MoveInRequest.lead_id == found.id).order_by(MoveInRequest.id.desc())
        )
    )
    units = units_by_request(db.session, requests)
    return as_json(found) | {
        "contact_name": found.contact_name,
        "contact_phone": found.contact_phone,
        "notes": found.notes,
        "merged_into_id": found.merged_into_id,
        "followups": [followup_json(f) for f in followups_of(db.session, found)],
        "stage_history": [stage_change_json(c) for c in lead_history(db.session, found)],
        "movein_requests": [movein_json(r, units[r.id]) for r in requests],
    }


@bp.route("/leads/<int:lead_id>/followups")
@allow("followups.view")
def lead_followups(lead_id):
    """The follow-ups of a lead, newest first.
    ---
    get:
      summary: 项目的跟进记录
      parameters:
        - {in: path, name: lead_id, required: true, schema: {type: integer}}
      responses:
        200:
          description: 跟进记录（新的在前）
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties: {items: {type: array, items: {$ref: "#/components/schemas/FollowUp"}}}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    return {"items": [followup_json(f) for f in followups_of(db.session, lead_or_404(lead_id))]}


@bp.route("/followups")
@allow("followups.view")
def my_followups():
    """My work, as on /followups: due today, overdue (by days), never followed up, the coming week.
    ---
    get:
      summary: 我的跟进（今日到期、逾期、从未跟进、未来一周）
      description: 招商专员总是看到自己的项目；管理员和领导可用 owner 看某位专员的，不给则看全部。
      parameters:
        - {in: query, name: owner, description: 负责人 id（招商专员忽略此参数）, schema: {type: integer, minimum: 1}}
      responses:
        200:
          description: 四组项目；days 为逾期天数（从未跟进时为建档天数）
          content:
            application/json:
              schema:
                type: object
                required: [today, due_today, overdue, never, upcoming]
                properties:
                  today: {type: string, format: date}
                  due_today: {$ref: "#/components/schemas/WorkList"}
                  overdue: {$ref: "#/components/schemas/WorkList"}
                  never: {$ref: "#/components/schemas/WorkList"}
                  upcoming: {$ref: "#/components/schemas/WorkList"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
    """
    owner_id = current_user.id if current_user.role == "promoter" else query_int("owner", "负责人 id")
    day, rules = today(), pipeline_rules(db.session)
    work = my_work(db.session, day, owner_id)

    def items(group):
        return [lead_json(item.lead, day, rules) | {"days": item.days_overdue} for item in group]

    return {
        "today": day.isoformat(),
        "due_today": items(work.due_today),
        "overdue": items(work.overdue),
        "never": items(work.never),
        "upcoming": items(work.upcoming),
    }


# ------------------------------------------------------------------------------------------
# writing


@bp.route("/leads/<int:lead_id>/followups", methods=["POST"])
@allow("leads.edit")
def create_followup(lead_id):
    """Record a follow-up on a lead; it sets the lead's next follow-up date.
    ---
    post:
      summary: 记录跟进
      description: 招商专员只能跟进自己负责的项目。next_on 不填时为跟进日期后 7 天。
      parameters:
        - {in: path, name: lead_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [method, notes]
              properties:
                method: {type: string, enum: [电话, 走访, 会谈, 来访, 微信, 邮件, 其他]}
                notes: {type: string, description: 跟进内容}
                "on": {type: string, format: date, description: 跟进日期，默认今天，不能晚于今天}
                next_on: {type: string, format: date, description: 下次跟进日期，不能早于今天}
      responses:
        201:
          description: 已记录；lead 为项目的最新状态（含新的 version）
          content:
            application/json:
              schema:
                type: object
                required: [followup, lead]
                properties:
                  followup: {$ref: "#/components/schemas/FollowUp"}
                  lead: {$ref: "#/components/schemas/Lead"}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {$ref: "#/components/responses/Conflict"}
    """
    target = editable_lead_or_404(lead_id)
    body = json_body_of_followup()
    with write():
        followup = add_followup(db.session, target, current_user, today(), **body)
    return {"followup": followup_json(followup), "lead": as_json(target)}, 201


def json_body_of_followup() -> dict:
    body = json_body()
    method = body_text(body, "method", "跟进方式", max_length=8)
    if method not in FOLLOWUP_METHODS:
        raise DomainError(f"跟进方式（method）应为：{'、'.join(FOLLOWUP_METHODS)}", field="method")
    return dict(
        method=method,
        notes=body_text(body, "notes", "跟进内容"),
        on=body_date(body, "on", "跟进日期"),
        next_on=body_date(body, "next_on", "下次跟进日期"),
    )


@bp.route("/leads/<int:lead_id>/stage", methods=["POST"])
@allow("leads.edit")
def move_stage(lead_id):
    """Move a lead to another stage, with the version read (optimistic concurrency).
    ---
    post:
      summary: 变更项目阶段
      description: >
        version 为读取项目时的 version；项目此后被他人修改过时返回 409，不做任何修改。
        退出（lost）须填写 reason；搁置（paused）须填写晚于今天的 resume_on。
        入驻（settled）只能由楼宇管理员确认入驻申请完成。招商专员只能变更自己负责的项目。
        退回到较早的阶段（如 接洽 → 线索）须填写 reason，缺少时返回 422。
      parameters:
        - {in: path, name: lead_id, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [to_stage, version]
              properties:
                to_stage: {type: string, enum: [lead, contact, visit, negotiation, signed, registered, paused, lost]}
                version: {type: integer, description: 读取项目时得到的 version}
                reason: {type: string, description: 退出原因（lost 必填）、退回原因（移至较早阶段时必填）；其他阶段为备注}
                resume_on: {type: string, format: date, description: 恢复跟进日期（paused 必填）}
      responses:
        200:
          description: 已变更；返回项目的最新状态（含新的 version）
          content: {application/json: {schema: {$ref: "#/components/schemas/Lead"}}}
        400: {$ref: "#/components/responses/BadRequest"}
        401: {$ref: "#/components/responses/Unauthorized"}
        403: {$ref: "#/components/responses/Forbidden"}
        404: {$ref: "#/components/responses/NotFound"}
        409: {$ref: "#/components/responses/Conflict"}
        422: {$ref: "#/components/responses/Unprocessable"}
    """
    target = editable_lead_or_404(lead_id)
    body = json_body()
    to_stage = body_text(body, "to_stage", "目标阶段", max_length=16)
    if not to_stage:
        raise DomainError("请填写目标阶段（to_stage）", field="to_stage")
    version = body_int(body, "version", "版本号", required=True)
    reason = body_text(body, "reason", "原因")
    resume_on = body_date(body, "resume_on", "恢复跟进日期")
    with write(), service_errors(conflicts=("version",), missing=(BackwardWithoutReason,), stage="to_stage"):
        move_lead_stage(
            db.session, target, to_stage, current_user, today(), version=version, reason=reason, resume_on=resume_on
        )
    return as_json(target)
