"""Forms that forgive: every error at once beside its field with what was typed kept, numbers
with thousands separators, dates in four ways, required marks; stage moves (next stage offered, a
backward move needs a reason); the move-in picker dated; error pages leading back."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import Lead, LeadStageChange, Lease
from tests import factories as f


@pytest.fixture()
def world(session):
    a = f.building(session, "A01", "甲大厦")
    a1, a2 = f.unit(session, a, 3, "01", 400), f.unit(session, a, 3, "02", 300)
    lease = f.lease(session, f.company(session, "甲租户有限公司"), a, [a1], date(2025, 1, 1), date(2026, 11, 20))
    zs = f.user(session, "zs1", "promoter")
    f.user(session, "ly", "manager", buildings=[a])
    contact = f.lead(session, zs, "大连蓝港数据科技有限公司", stage="contact", next_followup_on=date(2026, 11, 20))
    session.commit()
    return dict(a=a, a1=a1, a2=a2, lease=lease, contact=contact.id)


def page(response) -> str:
    return response.get_data(as_text=True)


def error_of(html: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="error-{name}">([^<]*)<', html)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


LEAD = {
    "company_name": "东祥教育咨询（广州）有限公司",
    "source": "网络",
    "industry_group": "",
    "hq_type": "none",
    "priority": "normal",
}


def test_the_lead_form_shows_every_error_at_once_and_keeps_what_was_typed(login, world, session):
    html = page(
        login("zs1").post(
            "/leads/new",
            data=LEAD
            | {
                "company_name": "",
                "uscc": "91310110666007217U",
                "intended_area": "一千二",
                "expected_annual_tax": "-5",
                "next_followup_on": "28/11/2026",
                "contact_phone": "0411-8888",
            },
        )
    )
    assert error_of(html, "company_name") == ["请填写企业名称"]
    assert error_of(html, "uscc") == ["统一社会信用代码校验位错误：末位应为 T，实为 U"]
    assert error_of(html, "intended_area") == ["意向面积（m²）应为数字，当前为“一千二”"]
    assert error_of(html, "expected_annual_tax") == ["预计年税收不能为负数"]
    assert error_of(html, "next_followup_on")[0].startswith("请按 2026-11-28 的格式填写下次跟进日期")
    assert 'value="一千二"' in html and 'value="0411-8888"' in html and 'value="91310110666007217U"' in html
    assert count(session, Lead) == 1


def test_numbers_with_separators_and_slash_dates_are_taken(login, world, session):
    response = login("zs1").post(
        "/leads/new",
        data=LEAD
        | {"intended_area": "1,200.5", "expected_annual_tax": "１，２００", "next_followup_on": "2026年11月28日"},
    )
    assert response.status_code == 302
    lead = session.scalar(select(Lead).where(Lead.company_name == LEAD["company_name"]))
    assert lead.intended_area == Decimal("1200.50") and lead.expected_annual_tax == Decimal("12000000.00")
    assert lead.next_followup_on == date(2026, 11, 28)
    assert lead.company_name == "东祥教育咨询（广州）有限公司"  # stored as typed


def test_required_fields_are_marked(login, world):
    html = page(login("ly").get(f"/buildings/A01/leases/{world['lease'].id}/move-out"))
    label = re.search(r'<label class="form-label" for="moved_out_on">[^\n]*</label>', html).group(0)
    assert "迁出日期" in label and 'aria-hidden="true" title="必填">*</span>' in label
    assert re.search(r'<input aria-required="true"[^>]*id="moved_out_on"[^>]*required', html)


@pytest.mark.parametrize(
    "typed, stored",
    [("2026.11.01", date(2026, 11, 1)), ("2026/11/01", date(2026, 11, 1)), ("2026年11月1日", date(2026, 11, 1))],
)
def test_a_move_out_date_is_read_in_every_format(login, world, session, typed, stored):
    lease = world["lease"]
    response = login("ly").post(
        f"/buildings/A01/leases/{lease.id}/move-out",
        data={"version": str(lease.version), "moved_out_on": typed, "reason": "提前退租"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Lease, lease.id).moved_out_on == stored


def test_a_bad_move_out_date_says_the_format_not_that_it_is_empty(login, world, session):
    lease = world["lease"]
    html = page(
        login("ly").post(
            f"/buildings/A01/leases/{lease.id}/move-out",
            data={"version": str(lease.version), "moved_out_on": "28/11/2026", "reason": ""},
        )
    )
    assert error_of(html, "moved_out_on") == [
        "请按 2026-11-28 的格式填写迁出日期（也可写 2026/11/28、2026.11.28 或 2026年11月28日），当前为“28/11/2026”"
    ]
    assert error_of(html, "reason") == ["请选择迁出原因"]  # both at once
    session.expire_all()
    assert session.get(Lease, lease.id).moved_out_on is None


def test_the_stage_form_offers_the_next_stage_and_marks_backward_ones(login, world):
    html = page(login("zs1").get(f"/leads/{world['contact']}"))
    select_html = re.search(
        r'<select class="form-select form-select-sm" id="stage" name="stage">.*?</select>', html, re.S
    ).group(0)
    assert re.search(r'<option value="visit" selected>考察', select_html)
    assert '<option value="lead" data-backward="true">线索（10%） · 退回</option>' in select_html
    assert "selected" not in select_html.split('value="visit"')[0]  # 线索 is not the default any more


def test_a_backward_move_needs_a_reason_which_the_timeline_shows(login, world, session):
    client = login("zs1")
    lead = session.get(Lead, world["contact"])
    refused = client.post(
        f"/leads/{lead.id}/stage", data={"stage": "lead", "version": lead.version}, follow_redirects=True
    )
    assert "从「接洽」退回「线索」须填写退回原因" in page(refused)
    session.expire_all()
    assert session.get(Lead, lead.id).stage == "contact"
    client.post(f"/leads/{lead.id}/stage", data={"stage": "lead", "version": lead.version, "reason": "企业换了对接人"})
    session.expire_all()
    assert session.get(Lead, lead.id).stage == "lead"
    change = session.scalar(
        select(LeadStageChange).where(LeadStageChange.lead_id == lead.id).order_by(LeadStageChange.id.desc()).limit(1)
    )
    assert (change.from_stage, change.to_stage, change.note) == ("contact", "lead", "退回原因：企业换了对接人")
    assert "退回原因：企业换了对接人" in page(client.get(f"/leads/{lead.id}"))


def test_the_api_answers_a_backward_move_without_reason_with_422(login, world, session):
    client = login("zs1")
    lead = session.get(Lead, world["contact"])
    response = client.post(f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "lead", "version": lead.version})
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "从「接洽」退回「线索」须填写退回原因（reason）",
        "field": "reason",
        "status": 422,
    }
    forward = client.post(f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "visit", "version": lead.version})
    assert forward.status_code == 200 and forward.get_json()["stage"] == "visit"


def test_the_move_in_picker_shows_status_on_the_chosen_day(login, world):
    client = login("ly")
    a1 = world["a1"].id  # let until 2026-11-20
    today_picker = page(client.get("/buildings/A01/move-in/units?on=2026-11-15"))
    later = page(client.get(f"/buildings/A01/move-in/units?on=2026/11/21&unit={a1}"))

    def label(html):
        return re.search(rf'<label[^>]*for="u{a1}"[^>]*>.*?</label>', html, re.S).group(0)

    assert "已出租" in label(today_picker) and "（2026-11-15 的状态）" in today_picker
    assert "空置" in label(later) and "（2026-11-21 的状态）" in later  # the lease ends on the 20th
    assert f'value="{a1}" id="u{a1}" autocomplete="off" checked' in later  # the ticked unit stays ticked
    form = page(client.post("/buildings/A01/move-in", data={"company": "", "start_date": "2026.11.21"}))
    assert "（2026-11-21 的状态）" in form and error_of(form, "company") == ["请填写企业名称或统一社会信用代码"]


def test_error_pages_lead_back_to_the_page_before(login, world, app):
    client = login("zs1")
    html = page(client.get("/leads/999999", headers={"Referer": "http://localhost/leads?stage=contact"}))
    assert '<a class="btn btn-primary" href="/leads?stage=contact" data-testid="back">返回上一页</a>' in html
    assert "返回总览" in html
    elsewhere = page(client.get("/leads/999999", headers={"Referer": "http://evil.example/leads"}))
    assert "返回上一页" not in elsewhere and "返回总览" in elsewhere
