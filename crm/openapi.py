"""The OpenAPI 3 document of /api/v1, generated from the routes themselves (apispec).

Each API view documents its operation in YAML after a ``---`` line in its docstring; this module
walks ``app.url_map``, so a route added without documentation shows up as an undocumented path
(and the API test suite, which checks every route is described, fails).
"""
from __future__ import annotations

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin

API_PREFIX = "/api/v1/"

NUMBER_OR_NULL = {"type": "number", "nullable": True}
COMPONENTS = {
    "Error": {"type": "object", "properties": {"error": {"type": "string"}, "field": {"type": "string", "nullable": True},
                                                 "status": {"type": "integer"}}},
    "BuildingFigures": {
        "type": "object",
        "required": ["code", "name", "street", "leasable_area", "occupied_area", "occupancy", "vacant_area",
                     "tenants", "tax_ytd", "tax_per_m2", "tier"],
        "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "street": {"type": "string"},
            "zone": {"type": "string", "nullable": True},
            "leasable_area": {"type": "number"}, "occupied_area": {"type": "number"},
            "occupancy": NUMBER_OR_NULL, "vacant_area": {"type": "number"}, "tenants": {"type": "integer"},
            "tax_ytd": {"type": "number"}, "tax_per_m2": NUMBER_OR_NULL,
            "tier": {"type": "string", "enum": ["yi", "wuqianwan", "qianwan"], "nullable": True},
        },
    },
}


def build_spec(app) -> dict:
    spec = APISpec(
        title="楼宇招商通 API", version="1", openapi_version="3.0.3", plugins=[FlaskPlugin()],
        info={"description": "西岗区商务楼宇数据接口。面积单位 m²，金额单位元，比率为 0–1 的小数。"},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "description": "个人 API 令牌"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "session"})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.rule.startswith(API_PREFIX) and rule.endpoint != "api.openapi":
                spec.path(view=app.view_functions[rule.endpoint], app=app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}, {"cookie": []}]
    return document
