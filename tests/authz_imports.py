"""Builder for the authorization matrix: the admin's import batch (a previewed companies file),
so the batch routes have an object that only its uploader and admins may open."""

from __future__ import annotations

from datetime import date

from crm.io.imports import preview
from tests.factories import make_uscc


def authz_imports_world(session, world) -> dict:
    csv = f"统一社会信用代码,企业名称\n{make_uscc()},矩阵导入测试有限公司\n".encode("utf-8")
    batch = preview(session, world["users"]["admin"], "companies", "companies.csv", csv, date(2026, 11, 15))
    return {"batch": batch.id}
