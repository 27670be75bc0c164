"""The imports page, preview, confirm and history; export downloads and buttons — as each role sees them."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from crm.io.kinds import all_kinds
from crm.models import Company, ImportBatch
from tests import factories as f
from tests.io.helpers import csv_bytes, db_state, xlsx

NEW = f.make_uscc(103)


@pytest.fixture()
def login(app, session):
    """A fresh signed-in client per user (the shared ``login`` reuses one client, one user)."""

    def sign_in(username):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": f.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    return sign_in


def upload(client, kind, name, data):
    return client.post(
        "/imports", data={"kind": kind, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def batch_id(response) -> int:
    return int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))


def test_who_may_open_the_imports_page(app, login, district):
    assert app.test_client().get("/imports").status_code == 302
    assert login("leader").get("/imports").status_code == 403
    page = login("zs").get("/imports").get_data(as_text=True)  # promoters import leads only, when that kind exists
    assert "下载“企业”模板" not in page and "下载“税收”模板" not in page
    if "leads" in {k.name for k in all_kinds()}:
        assert "下载“招商项目”模板" in page
    else:
        assert "您的角色目前没有可以导入的数据类型" in page
    page = login("ly").get("/imports").get_data(as_text=True)
    assert "下载“单元（房源）”模板" in page and "下载“税收”模板" not in page
    page = login("admin").get("/imports").get_data(as_text=True)
    assert all(f"下载“{label}”模板" in page for label in ("楼宇", "单元（房源）", "企业", "租约（入驻）", "税收"))
    assert "还没有导入记录" in page


def test_upload_preview_confirm_and_history(login, district, session):
    client = login("admin")
    data = xlsx(
        [
            ["统一社会信用代码", "企业名称", "属地注册"],
            [NEW, "新上传科技有限公司", "是"],
            [f.make_uscc(101), "注册甲有限公司", "是"],
        ]
    )
    response = upload(client, "companies", "企业名录.xlsx", data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="count-create">1 行' in page and 'data-testid="count-unchanged">1 行' in page
    assert "确认导入" in page and "新上传科技有限公司" not in client.get("/companies").get_data(as_text=True)

    bid = batch_id(response)
    done = client.post(f"/imports/{bid}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "导入完成：新增 1 条，更新 0 条记录。" in done and "本次导入改动的记录" in done and NEW in done
    assert "新上传科技有限公司" in client.get(f"/companies?q={NEW}").get_data(as_text=True)
    history = client.get("/imports").get_data(as_text=True)
    assert "企业名录.xlsx" in history and "已导入" in history
    assert client.get(f"/imports/{bid}/file").data == data


def test_a_bad_file_shows_each_error_with_row_and_column_and_cannot_be_confirmed(login, district, session):
    client = login("admin")
    data = csv_bytes([["统一社会信用代码", "企业名称"], ["91310110666007217U", "甲"]])
    before = db_state()
    response = upload(client, "companies", "bad.csv", data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "有错误，未导入" in page and "确认导入" not in page
    assert re.search(
        r'<td class="text-end">2</td>\s*<td>A 列 统一社会信用代码</td><td>统一社会信用代码校验位错误', page
    )
    assert client.post(f"/imports/{batch_id(response)}/confirm", follow_redirects=True).status_code == 200
    assert db_state() == before


def test_confirm_after_a_change_writes_nothing_and_shows_a_fresh_preview(login, district, session):
    client = login("admin")
    data = csv_bytes([["统一社会信用代码", "企业名称", "从业人数"], [f.make_uscc(101), "注册甲有限公司", 80]])
    bid = batch_id(upload(client, "companies", "c.csv", data))
    district["reg"].employees = 99
    session.commit()
    page = client.post(f"/imports/{bid}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "预览之后数据已有变化" in page
    session.expire_all()
    assert district["reg"].employees == 99
    assert session.get(ImportBatch, bid).status == "previewed"


def test_unmatched_tax_codes_can_be_rejected(login, district, session):
    client = login("admin")
    data = csv_bytes([["统一社会信用代码", "企业名称", "所属期", "全口径税收（元）"], [NEW, "陌生企业", "2026-10", 10]])
    bid = batch_id(upload(client, "tax", "tax.csv", data))
    page = client.get(f"/imports/{bid}").get_data(as_text=True)
    assert "未匹配的统一社会信用代码（1 行）" in page and "陌生企业" in page and "新建 1 行中的企业并导入" in page
    assert "已拒绝此文件" in client.post(f"/imports/{bid}/reject", follow_redirects=True).get_data(as_text=True)
    assert session.scalar(select(Company).where(Company.uscc == NEW)) is None


def test_others_cannot_see_a_batch_and_managers_cannot_import_tax(login, district):
    admin = login("admin")
    bid = batch_id(upload(admin, "companies", "c.csv", csv_bytes([["统一社会信用代码", "企业名称"], [NEW, "甲"]])))
    manager = login("ly")
    assert manager.get(f"/imports/{bid}").status_code == 403
    assert manager.post(f"/imports/{bid}/confirm").status_code == 403
    assert manager.get("/imports/templates/tax.xlsx").status_code == 404
    response = upload(manager, "tax", "t.csv", b"x")
    assert response.status_code == 400 and "您没有导入“税收”的权限" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused_with_a_chinese_message(login, district):
    response = upload(login("admin"), "companies", "big.csv", b"a" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "上传的文件太大：单个文件不能超过 10 MB" in response.get_data(as_text=True)


def test_template_download(login, district):
    response = login("admin").get("/imports/templates/leases.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["数据"]
    assert [c.value for c in sheet[1]][:3] == ["统一社会信用代码", "楼宇编码", "单元"]


def test_exports_are_filtered_as_on_screen_and_scoped(login, district):
    leader = login("leader")
    rows = list(
        csv.reader(io.StringIO(leader.get("/exports/buildings?street=白云&format=csv").data.decode("utf-8-sig")))
    )
    assert [r[0] for r in rows[1:]] == ["B01"]
    response = leader.get("/exports/companies?q=甲")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["注册甲有限公司"]

    manager = login("ly")
    rows = list(csv.reader(io.StringIO(manager.get("/exports/companies?format=csv").data.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["外地乙有限公司"]  # the tenant of B01 only
    assert manager.get("/exports/units?building=A01").status_code == 403
    assert manager.get("/exports/units?building=B01").status_code == 200
    assert manager.get("/exports/nothing").status_code == 404


def test_list_pages_have_an_export_button_keeping_the_filters(login, district):
    client = login("leader")
    page = client.get("/buildings?street=白云").get_data(as_text=True)
    assert 'href="/exports/buildings?street=%E7%99%BD%E4%BA%91"' in page
    page = client.get("/companies?q=甲&registered=yes").get_data(as_text=True)
    assert "/exports/companies?q=%E7%94%B2&amp;registered=yes" in page


def test_uploads_never_keep_more_than_the_total_and_a_removed_original_is_said_so(
    app, login, district, session, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_ORIGINALS_MB", 0.05)  # 52,428 bytes in all
    client = login("admin")
    junk = b"PK\x03\x04" + b"\x00" * 20_000  # refused: not a workbook
    ids = [batch_id(upload(client, "companies", f"junk{n}.xlsx", junk)) for n in range(4)]
    session.expire_all()
    stored = session.scalar(select(func.sum(func.length(ImportBatch.content))))
    assert stored <= 52_428 and len(session.scalars(select(ImportBatch)).all()) == 4  # the batches stay
    first = session.get(ImportBatch, ids[0])
    assert first.original_removed_at is not None and first.report["error_count"] == 1
    page = client.get(f"/imports/{ids[0]}").get_data(as_text=True)
    assert "原始文件已于" in page and "按保留期限删除，不能再下载" in page and f"/imports/{ids[0]}/file" not in page
    response = client.get(f"/imports/{ids[0]}/file")
    assert response.status_code == 302
    assert "按保留期限删除" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/imports/{ids[-1]}/file").data == junk  # the newest is still there


def test_company_preview_names_rows_and_warns_of_an_existing_name_under_another_uscc(login, district, session):
    client = login("admin")
    data = xlsx(
        [
            ["统一社会信用代码", "企业名称", "属地注册"],
            [NEW, "注册甲有限责任公司", "是"],  # 注册甲有限公司's name (legal-form variant), another code
            [f.make_uscc(104), "全新科技有限公司", "否"],
        ]
    )
    page = client.get(upload(client, "companies", "企业.xlsx", data).headers["Location"]).get_data(as_text=True)
    assert 'data-testid="count-create">2 行' in page
    warning = re.search(r"<li>第 2 行[^<]*</li>", page).group(0)
    assert (
        "「企业名称」" in warning
        and (
            f"企业名称与已有企业「注册甲有限公司」相同，但统一社会信用代码不同"
            f"（已有 {f.make_uscc(101)}，本行 {NEW}）：本行将作为新企业导入，请核对代码"
        )
        in warning
    )
    assert (
        'data-testid="sample-name">注册甲有限责任公司<' in page
        and 'data-testid="sample-name">全新科技有限公司<' in page
    )
    assert "<li>第 3 行" not in page  # the company with a new name is not warned
