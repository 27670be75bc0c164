"""属地化 lists, tax at stake, the dated flags and the work list's states — hand-computed.

The world, on ON = 2026-11-15 (tax window 2025-11..2026-10):

- XG01 (八一路): A 100 m² (unregistered, to 2027), B 200 m² (unregistered, lease ends 11-14, the
  day before ON), R 50 m² (registered and taxed, registered at XG01, open-ended), T 50 m²
  (registered, not taxed). Tax 150,000 (R, 2026-10) ÷ occupied 200 m² on ON = 750.00 /m².
- XG02 (白云): C 300 m² (unregistered, lease ends on ON), E 60 m² (registered at XG02, moves out
  11-16), F 40 m² (registered on ON itself), D 50 m² (registered at XG02, moved out on ON).
  Tax 90,000 (C, 2026-09) ÷ 400 m² = 225.00 /m².
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.models import Company, LocalisationItem
from crm.services import localisation as L
from crm.services.district_flags import set_flag
from crm.services.localisation import flag_changes
from crm.services.errors import DomainError
from crm.services.figures import district_summary
from tests import factories as f

ON = date(2026, 11, 15)


def _company(session, name, registered, taxed, registered_building=None):
    c = Company(
        name=name,
        uscc=f.make_uscc(),
        registered_in_district=registered,
        taxed_in_district=taxed,
        registered_building=registered_building,
        hq_type="none",
        industry_group="商务服务",
        employees=12,
    )
    session.add(c)
    session.flush()
    return c


@pytest.fixture()
def world(session):
    x1 = f.building(session, "XG01", street="八一路")
    x2 = f.building(session, "XG02", street="白云")
    u = {n: f.unit(session, x1, 1, n, a) for n, a in (("A", 100), ("B", 200), ("R", 50), ("T", 50))}
    v = {n: f.unit(session, x2, 2, n, a) for n, a in (("C", 300), ("E", 60), ("F", 40), ("D", 50))}
    c = {
        "A": _company(session, "甲", False, False),
        "B": _company(session, "乙", False, False),
        "R": _company(session, "丙", True, True, x1),
        "T": _company(session, "丁", True, False),
        "C": _company(session, "戊", False, False),
        "E": _company(session, "己", True, True, x2),
        "F": _company(session, "庚", False, False),
        "D": _company(session, "辛", True, True, x2),
    }
    start = date(2025, 1, 1)
    f.lease(session, c["A"], x1, [u["A"]], start, date(2027, 12, 31))
    f.lease(session, c["B"], x1, [u["B"]], start, date(2026, 11, 14))
    f.lease(session, c["R"], x1, [u["R"]], start)
    f.lease(session, c["T"], x1, [u["T"]], start)
    f.lease(session, c["C"], x2, [v["C"]], date(2025, 6, 1), ON)
    f.lease(session, c["E"], x2, [v["E"]], start, None, moved_out_on=date(2026, 11, 16))
    f.lease(session, c["F"], x2, [v["F"]], start)
    f.lease(session, c["D"], x2, [v["D"]], start, None, moved_out_on=ON)
    set_flag(session, c["F"], "registered_in_district", True, ON)
    f.tax(session, c["R"], "2026-10", 150000, building=x1)
    f.tax(session, c["C"], "2026-09", 90000, building=x2)
    return {"x1": x1, "x2": x2, **c}


def names(rows):
    return [r.company_name for r in rows]


def test_occupying_unregistered_on_the_date_with_tax_at_stake(session, world):
    rows = L.targets(session, "occupying_unregistered", ON)
    assert names(rows) == ["甲", "戊"]  # by tax at stake, highest first
    a, c = rows
    assert (a.building_code, a.area, a.tax_at_stake) == ("XG01", Decimal("100"), Decimal("75000.00"))
    assert (a.start_date, a.end_date, a.industry_group, a.employees) == (
        date(2025, 1, 1),
        date(2027, 12, 31),
        "商务服务",
        12,
    )
    assert (c.building_code, c.street, c.tax_at_stake, c.state_label) == ("XG02", "白云", Decimal("67500.00"), "待核实")
    # The day before: B's lease still runs (ends that day) and F is not yet registered.
    assert sorted(names(L.targets(session, "occupying_unregistered", date(2026, 11, 14)))) == ["乙", "庚", "戊", "甲"]
    assert names(L.targets(session, "occupying_unregistered", ON, filters=L.Filters(street="白云"))) == ["戊"]


def test_registered_but_untaxed_and_registered_not_occupying(session, world):
    untaxed = L.targets(session, "occupying_untaxed", ON)
    # F registered on ON but was never taxed here: 40 m² × 225.00.
    assert [(r.company_name, r.tax_at_stake) for r in untaxed] == [
        ("丁", Decimal("37500.00")),
        ("庚", Decimal("9000.00")),
    ]
    # D moved out on ON: no longer occupying; E moves out the day after: still a tenant.
    assert names(L.targets(session, "registered_not_occupying", ON)) == ["辛"]
    assert names(L.targets(session, "registered_not_occupying", date(2026, 11, 14))) == []
    # A manager of XG01 sees the targets of XG01 only.
    assert names(L.targets(session, "occupying_unregistered", ON, [world["x1"].id])) == ["甲"]
    assert names(L.targets(session, "registered_not_occupying", ON, [world["x1"].id])) == []


def test_completing_sets_the_flag_from_its_date_and_moves_that_months_rate(session, world):
    today = date(2026, 12, 3)
    # The end of November: A, R, T, F (B and C ended, D and E moved out).
    before = district_summary(session, "2026-11")
    assert (before.occupancy.tenants, before.occupancy.registered_tenants) == (4, 3)  # A, R, T, F
    item = L.item_for(session, world["A"], "occupying_unregistered", world["x1"].id)
    L.move(session, item, "visited", today)
    L.move(session, item, "mobilised", today)
    L.move(session, item, "done", today, completed_on=date(2026, 11, 20))
    assert world["A"].registered_in_district is True and item.completed_on == date(2026, 11, 20)
    assert district_summary(session, "2026-11").occupancy.registered_tenants == 4
    assert district_summary(session, "2026-10").occupancy.registered_tenants == 4  # R, T, E, D (F not yet)
    # A completed item stays on the list under its state, and is no open target any more.
    assert [
        (r.company_name, r.state_label)
        for r in L.targets(session, "occupying_unregistered", today, filters=L.Filters(state="done"))
    ] == [("甲", "已完成")]
    assert "甲" not in names(L.targets(session, "occupying_unregistered", today, filters=L.Filters(state="open")))
    changes = flag_changes(session, date(2026, 11, 1), date(2026, 11, 30))
    assert [(c.company_name, c.flag, c.value, c.on) for c in changes] == [
        ("庚", "registered_in_district", True, ON),
        ("甲", "registered_in_district", True, date(2026, 11, 20)),
    ]


def test_flag_changes_list_a_company_that_stopped_being_registered(session, world):
    set_flag(session, world["R"], "registered_in_district", False, date(2026, 11, 30))
    assert world["R"].registered_in_district is False
    changes = flag_changes(session, date(2026, 11, 30), date(2026, 12, 31))
    assert [(c.company_name, c.value, c.label) for c in changes] == [("丙", False, "不再属地注册")]
    assert district_summary(session, "2026-11").occupancy.registered_tenants == 2  # T, F


def test_states_move_forward_and_refuse_what_does_not_follow(session, world):
    today = date(2026, 12, 3)
    item = L.item_for(session, world["C"], "occupying_unregistered", world["x2"].id)
    assert L.item_for(session, world["C"], "occupying_unregistered", world["x2"].id) is item
    with pytest.raises(DomainError, match="原因") as error:
        L.move(session, item, "blocked", today)
    assert error.value.field == "reason" and item.state == "pending"
    L.move(session, item, "blocked", today, reason="集团总部统一注册在外地")
    assert (item.state_label, item.reason) == ("不可迁", "集团总部统一注册在外地")
    with pytest.raises(DomainError, match="只能转为：待核实"):
        L.move(session, item, "done", today)
    L.move(session, item, "pending", today)
    with pytest.raises(DomainError, match="晚于今天") as error:
        L.move(session, item, "done", today, completed_on=date(2026, 12, 4))
    assert error.value.field == "completed_on" and world["C"].registered_in_district is False
    L.move(session, item, "done", today)
    with pytest.raises(DomainError, match="无（已完成）"):
        L.move(session, item, "visited", today)


def test_followups_and_owners(session, world):
    today = date(2026, 12, 3)
    zs = f.user(session, "zs", "promoter")
    other_manager = f.user(session, "ly2", "manager", buildings=[world["x1"]])
    own_manager = f.user(session, "ly", "manager", buildings=[world["x2"]])
    item = L.item_for(session, world["C"], "occupying_unregistered", world["x2"].id)
    with pytest.raises(DomainError, match="负责人") as error:
        L.assign(session, item, other_manager.id)
    assert error.value.field == "owner" and item.owner_id is None
    L.assign(session, item, own_manager.id)
    L.assign(session, item, zs.id)
    with pytest.raises(DomainError, match="已经过去") as error:
        L.add_followup(session, item, zs, today, "走访", "上门拜访", next_on=date(2026, 12, 2))
    assert error.value.field == "next_on" and item.followups == []
    L.add_followup(session, item, zs, today, "走访", "上门拜访，财务负责人同意研究", next_on=date(2026, 12, 10))
    assert item.next_followup_on == date(2026, 12, 10) and len(item.followups) == 1
    assert L.due_followups(session, date(2026, 12, 9)) == {}
    assert L.due_followups(session, date(2026, 12, 10)) == {zs.id: [item]}


def test_summary_and_briefing_part(session, world):
    s = L.summary(session, "2026-11", date(2026, 12, 3))
    assert (s.tenants, s.registered_tenants, s.open_targets) == (4, 3, 1)  # A (C's lease ended)
    assert s.rate == pytest.approx(3 / 4)
    assert s.area_rate == pytest.approx(140 / 240)  # R 50 + T 50 + F 40 of A 100 + 140
    assert s.tax_at_stake == Decimal("75000.00") and [t.company_name for t in s.top] == ["甲"]
    assert len(s.trend) == 12 and s.trend[-1][0] == "2026-11"
    part = L.briefing_part(session, "2026-11", date(2026, 12, 3))
    assert part["tax_at_stake"] == 75000.0 and part["top_targets"][0]["company"] == "甲"
    assert part["registered_rate"] == pytest.approx(3 / 4) and part["top_targets"][0]["tax_at_stake"] == 75000.0
    assert session.query(LocalisationItem).count() == 0  # reading makes no items


def test_a_companies_import_dates_the_flag_on_its_day(session, world):
    from crm.io import imports as workflow
    from tests.io.helpers import csv_bytes

    admin = f.user(session, "root", "admin")
    data = csv_bytes([["统一社会信用代码", "企业名称", "属地注册"], [world["A"].uscc, "甲", "是"]])
    plan, _ = workflow.import_now(session, admin, "companies", "c.csv", data, date(2026, 11, 20))
    assert plan.ok and world["A"].registered_in_district is True
    assert [(c.company_name, c.on) for c in flag_changes(session, date(2026, 11, 16), date(2026, 11, 30))] == [
        ("甲", date(2026, 11, 20))
    ]
    assert "甲" in names(L.targets(session, "occupying_unregistered", date(2026, 11, 19)))
    assert "甲" not in names(L.targets(session, "occupying_unregistered", date(2026, 11, 20)))


def test_the_briefing_section_says_the_figures_and_a_sentence_for_the_summary(session, world):
    section = L.briefing_section(session, "2026-11", date(2026, 12, 3)).as_json()
    assert section["title"] == "属地化（入驻不注册）"
    assert section["paragraphs"][0].startswith(
        "2026年11月末，属地注册率按企业数 75.0%（3 / 4 家），按面积 58.3%。"
        "入驻不注册的企业 1 家待办，税收影响约 7.5 万元"
    )
    trend, top = section["tables"]
    assert [c["header"] for c in trend["columns"]][1::11] == ["25/12", "26/11"]
    # October's end: R, T, E and D registered of eight tenants (F only from 11-15).
    assert trend["rows"][0][-2:] == [0.5, 0.75]
    assert top["rows"] == [["甲", "测试大厦XG01", "八一路", 100.0, "商务服务", "—", 75000.0, "待核实"]]
    assert section["summary"] == (
        "属地注册率按企业数75.0%（较上月上升25.0个百分点）、按面积58.3%；"
        "入驻不注册企业1家待办，税收影响约7.5 万元（估算）。"
    )


def test_no_briefing_section_for_a_district_without_tenants(session):
    f.building(session, "XG09")
    assert L.briefing_section(session, "2026-11", date(2026, 12, 3)) is None


def test_a_completion_dated_in_a_confirmed_month_corrects_that_month_and_says_why(session, world):
    from sqlalchemy import select

    from crm.models import Correction, OccupancySnapshot
    from crm.services.confirmation import confirm_month

    today = date(2026, 12, 3)
    manager = f.user(session, "ly", "manager", buildings=[world["x1"]])
    confirm_month(session, manager, world["x1"], "2026-10", today)
    october = session.scalar(select(OccupancySnapshot).where(OccupancySnapshot.building_id == world["x1"].id))
    # XG01 at the end of October: A and B unregistered, R and T registered.
    assert (october.tenants, october.registered_tenants, october.registered_area) == (4, 2, Decimal("100.00"))
    item = L.item_for(session, world["A"], "occupying_unregistered", world["x1"].id)
    L.move(session, item, "done", today, completed_on=date(2026, 10, 20))
    session.refresh(october)
    assert (october.registered_tenants, october.registered_area) == (3, Decimal("200.00"))
    (correction,) = session.scalars(select(Correction)).all()
    assert (correction.building_id, correction.period, correction.operation_label) == (
        world["x1"].id,
        "2026-10",
        "属地化完成",
    )
    assert correction.reason == "甲 自 2026-10-20 起属地注册（属地化事项已完成）"
    assert correction.figures["registered_tenants"] == [2, 3]
    assert district_summary(session, "2026-10").occupancy.registered_tenants == 5  # R, T, E, D and now A


def test_a_completion_dated_after_the_confirmed_months_corrects_none(session, world):
    from sqlalchemy import func, select

    from crm.models import Correction
    from crm.services.confirmation import confirm_month

    today = date(2026, 12, 3)
    manager = f.user(session, "ly", "manager", buildings=[world["x1"]])
    confirm_month(session, manager, world["x1"], "2026-10", today)
    item = L.item_for(session, world["A"], "occupying_unregistered", world["x1"].id)
    L.move(session, item, "done", today, completed_on=date(2026, 11, 1))
    assert session.scalar(select(func.count()).select_from(Correction)) == 0
