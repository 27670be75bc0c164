"""The OpenAPI 3 document of /api/v1, generated from the routes themselves (apispec).

Each API view documents its operation in YAML after a ``---`` line in its docstring; this module
walks ``app.url_map``, so a route added without documentation shows up as an undocumented path
(and the API test suite, which checks every route is described, fails).
"""

from __future__ import annotations

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin

from crm.services.leads import ALL_STAGES

API_PREFIX = "/api/v1/"

NUMBER_OR_NULL = {"type": "number", "nullable": True}
STRING_OR_NULL = {"type": "string", "nullable": True}
DATE = {"type": "string", "format": "date"}
DATE_OR_NULL = {"type": "string", "format": "date", "nullable": True}
DATETIME_OR_NULL = {"type": "string", "format": "date-time", "nullable": True}
LEAD_STAGES = list(ALL_STAGES)
COMPONENTS = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "field": {"type": "string", "nullable": True},
            "status": {"type": "integer"},
        },
    },
    "BuildingFigures": {
        "type": "object",
        "required": [
            "code",
            "name",
            "street",
            "declared_office_area",
            "leasable_area",
            "occupied_area",
            "occupancy",
            "vacant_area",
            "tenants",
            "tax_ytd",
            "tax_per_m2",
            "tier",
        ],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "street": {"type": "string"},
            "zone": {"type": "string", "nullable": True},
            "declared_office_area": {"type": "number", "description": "登记办公面积（m²）：楼宇登记记录中的办公面积"},
            "leasable_area": {
                "type": "number",
                "description": "可租面积（m²）：月末现有且非自用单元的面积之和，为入驻率的分母",
            },
            "occupied_area": {"type": "number"},
            "occupancy": NUMBER_OR_NULL,
            "vacant_area": {"type": "number"},
            "tenants": {"type": "integer", "description": "入驻企业：月末在该楼有有效租约的企业数"},
            "tax_ytd": {"type": "number"},
            "tax_per_m2": NUMBER_OR_NULL,
            "tier": {"type": "string", "enum": ["yi", "wuqianwan", "qianwan"], "nullable": True},
        },
    },
    # The integration API: lists come a page at a time (Page), objects as below.
    "Page": {
        "type": "object",
        "required": ["items", "total", "page", "per_page", "pages"],
        "properties": {
            "items": {"type": "array", "items": {}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
    "Ref": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    },
    "BuildingRef": {
        "type": "object",
        "required": ["code", "name"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
    },
    "UnitRef": {
        "type": "object",
        "required": ["id", "floor", "number", "label", "area"],
        "properties": {
            "id": {"type": "integer"},
            "floor": {"type": "integer"},
            "number": {"type": "string"},
            "label": {"type": "string"},
            "area": {"type": "number"},
        },
    },
    "Unit": {
        "allOf": [
            {"$ref": "#/components/schemas/UnitRef"},
            {
                "type": "object",
                "required": ["status", "self_use", "self_use_period", "reserved_until", "lease"],
                "properties": {
                    "status": {"type": "string", "enum": ["occupied", "reserved", "self_use", "vacant"]},
                    "self_use": {"type": "boolean", "description": "当日是否自用"},
                    "self_use_period": {
                        "type": "object",
                        "nullable": True,
                        "description": "覆盖当日的自用期",
                        "properties": {"start_date": DATE_OR_NULL, "end_date": DATE_OR_NULL},
                    },
                    "reserved_until": DATE_OR_NULL,
                    "lease": {
                        "type": "object",
                        "nullable": True,
                        "properties": {
                            "id": {"type": "integer"},
                            "company": {"$ref": "#/components/schemas/Ref"},
                            "start_date": DATE,
                            "end_date": DATE_OR_NULL,
                        },
                    },
                },
            },
        ],
    },
    "Company": {
        "type": "object",
        "required": [
            "id",
            "name",
            "uscc",
            "industry_group",
            "hq_type",
            "registered_in_district",
            "taxed_in_district",
            "buildings",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "uscc": STRING_OR_NULL,
            "industry_section": STRING_OR_NULL,
            "industry_group": STRING_OR_NULL,
            "hq_type": {"type": "string"},
            "registered_in_district": {"type": "boolean"},
            "taxed_in_district": {"type": "boolean"},
            "employees": {"type": "integer", "nullable": True},
            "registered_capital": NUMBER_OR_NULL,
            "registered_building": {"allOf": [{"$ref": "#/components/schemas/BuildingRef"}], "nullable": True},
            "buildings": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/BuildingRef"},
                "description": "今天有有效租约的楼宇（楼宇管理员只看到自己的楼宇）",
            },
        },
    },
    "Lease": {
        "type": "object",
        "required": ["id", "building", "company", "units", "area", "start_date", "end_date", "moved_out_on", "active"],
        "properties": {
            "id": {"type": "integer"},
            "building": {"$ref": "#/components/schemas/BuildingRef"},
            "company": {"$ref": "#/components/schemas/Ref"},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/UnitRef"}},
            "area": {"type": "number"},
            "start_date": DATE,
            "end_date": DATE_OR_NULL,
            "moved_out_on": DATE_OR_NULL,
            "active": {"type": "boolean", "description": "在 active_on 日期（未给出时为今天）是否有效"},
        },
    },
    "Lead": {
        "type": "object",
        "required": [
            "id",
            "company_name",
            "stage",
            "stage_label",
            "version",
            "owner",
            "source",
            "priority",
            "next_followup_on",
            "last_followup_on",
            "created_on",
            "target_buildings",
            "flags",
        ],
        "properties": {
            "id": {"type": "integer"},
            "company_name": {"type": "string"},
            "uscc": STRING_OR_NULL,
            "company_id": {"type": "integer", "nullable": True},
            "stage": {"type": "string", "enum": LEAD_STAGES},
            "stage_label": {"type": "string"},
            "version": {"type": "integer", "description": "阶段变更时原样带回，用于并发检查"},
            "owner": {"$ref": "#/components/schemas/Ref"},
            "source": {"type": "string"},
            "industry_group": STRING_OR_NULL,
            "hq_type": {"type": "string"},
            "priority": {"type": "string"},
            "intended_area": NUMBER_OR_NULL,
            "expected_annual_tax": NUMBER_OR_NULL,
            "next_followup_on": DATE_OR_NULL,
            "last_followup_on": DATE_OR_NULL,
            "created_on": DATE,
            "signed_on": DATE_OR_NULL,
            "paused_until": DATE_OR_NULL,
            "lost_reason": STRING_OR_NULL,
            "target_buildings": {"type": "array", "items": {"$ref": "#/components/schemas/BuildingRef"}},
            "flags": {"type": "array", "items": {"type": "string"}},
        },
    },
    "FollowUp": {
        "type": "object",
        "required": ["id", "lead_id", "author", "on", "method", "notes", "next_followup_on"],
        "properties": {
            "id": {"type": "integer"},
            "lead_id": {"type": "integer"},
            "author": {"$ref": "#/components/schemas/Ref"},
            "on": DATE,
            "method": {"type": "string"},
            "notes": {"type": "string"},
            "next_followup_on": DATE_OR_NULL,
            "created_at": DATETIME_OR_NULL,
        },
    },
    "StageChange": {
        "type": "object",
        "required": ["from_stage", "to_stage", "note", "changed_at", "user"],
        "properties": {
            "from_stage": STRING_OR_NULL,
            "to_stage": {"type": "string"},
            "note": STRING_OR_NULL,
            "changed_at": DATETIME_OR_NULL,
            "user": {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True},
        },
    },
    "MoveInRequest": {
        "type": "object",
        "required": [
            "id",
            "status",
            "lead",
            "company",
            "building",
            "units",
            "start_date",
            "end_date",
            "lease_id",
            "note",
        ],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "confirmed", "rejected"]},
            "lead": {"$ref": "#/components/schemas/Ref"},
            "company": {"$ref": "#/components/schemas/Ref"},
            "building": {"$ref": "#/components/schemas/BuildingRef"},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/UnitRef"}},
            "start_date": DATE,
            "end_date": DATE_OR_NULL,
            "lease_id": {"type": "integer", "nullable": True},
            "note": STRING_OR_NULL,
            "requested_by": {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True},
            "decided_by": {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True},
            "created_at": DATETIME_OR_NULL,
            "decided_at": DATETIME_OR_NULL,
        },
    },
    "WorkList": {
        "type": "array",
        "items": {
            "allOf": [
                {"$ref": "#/components/schemas/Lead"},
                {"type": "object", "required": ["days"], "properties": {"days": {"type": "integer"}}},
            ]
        },
    },
    "LocalisationTarget": {
        "type": "object",
        "required": [
            "type",
            "company",
            "uscc",
            "building",
            "street",
            "buildings",
            "area",
            "start_date",
            "end_date",
            "industry_group",
            "hq_type",
            "employees",
            "tax_at_stake",
            "tax_12m",
            "state",
            "state_label",
            "owner",
            "item_id",
        ],
        "properties": {
            "type": {
                "type": "string",
                "enum": ["occupying_unregistered", "occupying_untaxed", "registered_not_occupying"],
            },
            "company": {"$ref": "#/components/schemas/Ref"},
            "uscc": STRING_OR_NULL,
            "building": {
                "allOf": [{"$ref": "#/components/schemas/BuildingRef"}],
                "nullable": True,
                "description": "入驻面积最大的楼宇；注册不入驻为注册地楼宇",
            },
            "street": STRING_OR_NULL,
            "buildings": {"type": "integer", "description": "当日入驻的本区楼宇数"},
            "area": {"type": "number", "description": "当日占用面积（m²）"},
            "start_date": DATE_OR_NULL,
            "end_date": DATE_OR_NULL,
            "industry_group": STRING_OR_NULL,
            "hq_type": {"type": "string"},
            "employees": {"type": "integer", "nullable": True},
            "tax_at_stake": {
                "type": "number",
                "nullable": True,
                "description": "税收影响（估算，元）= 占用面积 × 所在楼宇近12个月每平方米税收",
            },
            "tax_12m": {"type": "number", "nullable": True, "description": "注册不入驻：企业近12个完整月的税收（元）"},
            "state": {"type": "string", "enum": ["pending", "visited", "mobilised", "blocked", "done"]},
            "state_label": {"type": "string"},
            "owner": {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True},
            "item_id": {"type": "integer", "nullable": True, "description": "工作事项编号；尚无人办理时为 null"},
        },
    },
    "TaxMonth": {
        "type": "object",
        "required": ["month", "total_tax", "district_tax"],
        "properties": {
            "month": {"type": "string"},
            "total_tax": {"type": "number"},
            "district_tax": {"type": "number"},
        },
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


RESPONSES = {
    "BadRequest": _error("参数或请求体无效（error 说明原因，field 指出字段），未写入任何数据"),
    "Unauthorized": _error("未登录或令牌无效"),
    "Forbidden": _error("无权执行此操作"),
    "NotFound": _error("对象不存在"),
    "Conflict": _error("数据已被他人修改或已处理（error 说明当前状态），未写入任何数据"),
    "Unprocessable": _error(
        "请求格式无误，但这次操作还缺少必填内容（field 指出字段，如退回阶段的 reason），未写入任何数据"
    ),
}
PARAMETERS = {
    "page": {
        "in": "query",
        "name": "page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
        "description": "页码，从 1 开始",
    },
    "per_page": {
        "in": "query",
        "name": "per_page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
        "description": "每页条数，默认 50，最多 200",
    },
}


def build_spec(app) -> dict:
    spec = APISpec(
        title="楼宇招商通 API",
        version="1",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin()],
        info={"description": "西岗区商务楼宇数据接口。面积单位 m²，金额单位元，比率为 0–1 的小数。"},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "description": "个人 API 令牌"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "session"})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for name, response in RESPONSES.items():
        spec.components.response(name, response)
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], {k: v for k, v in parameter.items() if k != "in"})
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.rule.startswith(API_PREFIX) and rule.endpoint != "api.openapi":
                spec.path(view=app.view_functions[rule.endpoint], app=app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}, {"cookie": []}]
    return document
