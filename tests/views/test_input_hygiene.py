"""Control characters and bounds on every input path: forms, the JSON API, imports, the command
line — and exports that cannot fail on whatever was stored before.

A company name or a lead contact holding ``\\x1b`` made the district-wide .xlsx exports answer
500 (openpyxl IllegalCharacterError); ``?page=99999999999999999999`` and unknown query parameters
answered 500 on the lists; ``expected_annual_tax=1e400`` answered 500 on the lead form and 1e21
was stored.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select, text

from crm.io.kinds import all_kinds
from crm.models import Company, FollowUp, ImportBatch, Lead, User
from crm.services.bounds import MAX_TAX
from tests import factories as f

CONTROLS = "\x1b\x07\x0b\x7f\x85"


def signed_in(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": f.PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def lead_form(**values) -> dict:
    return {
        "company_name": "大连控制字符科技有限公司",
        "source": "以商招商",
        "industry_group": "",
        "hq_type": "none",
        "priority": "normal",
        "next_followup_on": "2026-11-20",
        **values,
    }


# ------------------------------------------------------------------------------------------
# control characters


def test_a_form_stores_text_without_control_characters(app, world, session):
    client = signed_in(app, "zs1")
    response = client.post(
        "/leads/new",
        data=lead_form(
            company_name="大连\x1b控制字符\x00科技有限公司", contact_name="王\x1b经理", notes="第一行\r\n第二行\x07\t完"
        ),
    )
    assert response.status_code == 302, page(response)[:500]
    lead = session.scalar(select(Lead).where(Lead.company_name == "大连控制字符科技有限公司"))
    assert (lead.contact_name, lead.notes) == ("王经理", "第一行\n第二行\t完")


def test_the_api_stores_text_without_control_characters(caller, world, session):
    lead = world["followed"]
    body = '{"method": "电话", "notes": "约\\u001b好\\ud800下周\\u0000考察", "\\u0007next_on": "2026-11-25"}'
    response = caller("zs1").post(
        f"/api/v1/leads/{lead.id}/followups", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.get_json()
    notes = session.scalar(select(FollowUp.notes).where(FollowUp.lead_id == lead.id))
    assert notes == "约好下周考察"


def test_an_import_stores_text_without_control_characters_even_after_the_first_4_kb(app, world, session):
    admin = signed_in(app, "admin")
    filler = "".join(f"{f.make_uscc(500 + i)},填充企业{i}有限公司,\r\n" for i in range(120))
    assert len(filler.encode()) > 4096
    data = (
        "统一社会信用代码,企业名称,备\x1b注\r\n" + filler + f"{f.make_uscc(999)},大连\x00空字符\x1b有限公司,\r\n"
    ).encode()
    response = admin.post(
        "/imports",
        data={"kind": "companies", "file": (io.BytesIO(data), "企业.csv")},
        content_type="multipart/form-data",
    )
    batch = session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert batch.status == "previewed", batch.report
    assert batch.report["warnings"][0][1] == "备注"  # the unknown column, named as cleaned
    admin.post(f"/imports/{batch.id}/confirm")
    assert session.scalar(select(Company.name).where(Company.uscc == f.make_uscc(999))) == "大连空字符有限公司"


def test_the_command_line_stores_text_without_control_characters(app, world, session):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "wang\x1b",
            "--role",
            "leader",
            "--name",
            "王\x1b五",
            "--password",
            "a-long-Passphrase-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.display_name).where(User.username == "wang")) == "王五"


def store_control_characters_everywhere(session) -> None:
    """What a database written before this release may hold: control characters in every
    text column that an export writes."""
    updates = {
        "buildings": ("name", "address", "owner", "operator", "positioning", "grade"),
        "units": ("number",),
        "companies": ("name", "contact_name", "contact_phone"),
        "leads": ("company_name", "contact_name", "contact_phone", "notes"),
        "users": ("display_name",),
    }
    for table, columns in updates.items():
        sets = ", ".join(f"{c} = COALESCE({c}, '') || :bad" for c in columns)
        session.execute(text(f"UPDATE {table} SET {sets}"), {"bad": CONTROLS})
    session.commit()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_export_writes_whatever_is_stored(app, world, session, fmt):
    store_control_characters_everywhere(session)
    client = signed_in(app, "admin")
    for kind in all_kinds():
        response = client.get(f"/exports/{kind.name}?format={fmt}")
        assert response.status_code == 200, (kind.name, fmt)
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
            cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        else:
            cells = [v for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig"))) for v in row]
        assert len(cells) > len(kind.columns), kind.name  # a header and some rows
        assert not any(ch in cell for cell in cells for ch in CONTROLS), kind.name
        if kind.name == "buildings":
            assert "甲大厦" in cells


# ------------------------------------------------------------------------------------------
# bounds


@pytest.mark.parametrize("path", ["/companies", "/leads", "/notifications", "/imports"])
def test_a_page_number_too_large_is_explained_and_the_first_page_shown(app, world, path):
    response = signed_in(app, "admin").get(f"{path}?page=99999999999999999999")
    assert response.status_code == 200
    assert "页码（page）应为 1 到 100,000 之间的整数，已显示第 1 页" in page(response)


def test_the_api_answers_a_page_number_too_large_with_400(caller, world):
    response = caller("admin").get("/api/v1/companies?page=99999999999999999999")
    assert response.status_code == 400
    assert response.get_json() == {"error": "页码（page）应为 1 到 100,000 之间的整数", "field": "page", "status": 400}


@pytest.mark.parametrize("path, kind", [("/companies", "companies"), ("/leads", "leads"), ("/buildings", "buildings")])
def test_export_links_carry_the_validated_filters_only(app, world, path, kind):
    query = "kind_name=x&endpoint=y&_external=1&_scheme=javascript&industry_group=金融服务&stage=nonsense&q=甲"
    response = signed_in(app, "admin").get(f"{path}?{query}")
    assert response.status_code == 200
    links = re.findall(rf'href="(/exports/{kind}[^"]*)"', page(response))
    assert links
    for link in links:
        assert not re.search(r"[?&](kind_name|endpoint|_external|_scheme|stage)=", link), link
        assert "q=%E7%94%B2" in link  # the search itself is kept
    if kind != "buildings":
        assert "阶段（stage）“nonsense”不是可选的值，已忽略" in page(response) or kind != "leads"


@pytest.mark.parametrize(
    "tax, message",
    [
        ("1e400", "预计年税收过大：最多 100,000,000,000 元"),
        ("1e21", "预计年税收过大：最多 100,000,000,000 元"),
        ("10000000.01", "预计年税收过大：最多 100,000,000,000 元"),
        ("NaN", "预计年税收（万元）应为数字"),
        ("-5", "预计年税收不能为负数"),
    ],
)
def test_the_lead_form_refuses_an_impossible_expected_tax_beside_the_field(app, world, session, tax, message):
    before = session.scalar(select(func.count()).select_from(Lead))
    response = signed_in(app, "zs1").post("/leads/new", data=lead_form(expected_annual_tax=tax))
    assert response.status_code == 200 and message in page(response)
    assert session.scalar(select(func.count()).select_from(Lead)) == before


def test_the_largest_expected_tax_is_stored_exactly(app, world, session):
    response = signed_in(app, "zs1").post("/leads/new", data=lead_form(expected_annual_tax="10000000"))  # 万元
    assert response.status_code == 302
    assert (
        session.scalar(select(Lead.expected_annual_tax).where(Lead.company_name == "大连控制字符科技有限公司"))
        == MAX_TAX
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("intended_area", "1e400", "意向面积 1.00E+400 m² 超过上限 3,000,000.00 m²"),
        ("next_followup_on", "9999-12-31", "不在 1990 年到 2100 年之间"),
        ("contact_name", "王" * 51, "字段长度不能超过 50 个字符"),
    ],
)
def test_the_lead_form_refuses_other_values_out_of_bounds(app, world, session, field, value, message):
    response = signed_in(app, "zs1").post("/leads/new", data=lead_form(**{field: value}))
    assert response.status_code == 200 and message in page(response)
    assert (
        session.scalar(select(func.count()).select_from(Lead).where(Lead.company_name == "大连控制字符科技有限公司"))
        == 0
    )


def test_the_api_refuses_a_date_outside_1990_to_2100(caller, world, session):
    response = caller("zs1").post(
        f"/api/v1/leads/{world['followed'].id}/followups",
        json={"method": "电话", "notes": "约见", "next_on": "2200-01-01"},
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == "next_on" and "不在 1990 年到 2100 年之间" in response.get_json()["error"]
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 0


@pytest.mark.parametrize(
    "kind, rows, message",
    [
        ("leads", [["企业名称", "来源", "预计年税收（元）"], ["大连一号有限公司", "展会", "1e21"]], "预计年税收过大"),
        (
            "tax",
            [["统一社会信用代码", "所属期", "全口径税收（元）"], ["{uscc}", "2026-10", "100000000000.01"]],
            "全口径税收过大",
        ),
        (
            "leases",
            [["统一社会信用代码", "楼宇编码", "单元", "开始日期"], ["{uscc}", "A01", "3F-01", "1899-12-01"]],
            "不在 1990 年到 2100 年之间",
        ),
        ("units", [["楼宇编码", "楼层", "单元号", "面积"], ["A01", 5, "01", 200000]], "超过整栋楼的面积"),
        (
            "buildings",
            [
                ["楼宇编码", "楼宇名称", "街道", "楼层数", "建筑面积", "登记办公面积"],
                ["C01", "丙", "白云", 10, 100, 200],
            ],
            "登记办公面积 200.00 m² 大于建筑面积 100.00 m²",
        ),
        (
            "companies",
            [["统一社会信用代码", "企业名称", "联系人"], ["{uscc}", "甲租户有限公司", "王" * 51]],
            "内容过长：最多 50 个字符",
        ),
    ],
)
def test_imports_refuse_values_out_of_bounds_with_row_and_column(app, world, session, kind, rows, message):
    uscc = session.get(Company, world["tenant_a"].id).uscc
    rows = [[str(c).format(uscc=uscc) for c in row] for row in rows]
    data = "\r\n".join(",".join(row) for row in rows).encode("utf-8-sig")
    response = signed_in(app, "admin").post(
        "/imports", data={"kind": kind, "file": (io.BytesIO(data), "x.csv")}, content_type="multipart/form-data"
    )
    batch = session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert batch.status == "invalid"
    row, _column, _letter, text_ = batch.report["errors"][0]
    assert row == 2 and message in text_, batch.report["errors"]


def test_the_command_line_refuses_a_user_name_longer_than_its_column(app, world, session):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "u" * 65, "--role", "leader", "--password", "a-long-Passphrase-2026"]
    )
    assert result.exit_code == 1 and "用户名最多 64 个字，当前 65 个" in result.output
    assert session.scalar(select(func.count()).select_from(User).where(User.username == "u" * 65)) == 0


def test_a_year_out_of_range_is_explained_on_pages_and_the_api(app, caller, world):
    assert "年份应在 1990 年到 2100 年之间，当前为 9999" in page(signed_in(app, "leader").get("/reports?year=9999"))
    response = caller("leader").get("/api/v1/reports/candidates?year=0000")
    assert response.status_code == 400 and response.get_json()["field"] == "year"
