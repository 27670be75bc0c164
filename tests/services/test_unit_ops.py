"""Unit operations: add, split, merge, resize, retire; self-use and reservation; the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import Unit
from crm.services import unit_ops as ops
from crm.services.errors import DomainError
from crm.cache.versions import tokens
from crm.services.occupancy import occupancy_on
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def b(session):
    building = f.building(session, "U01", declared=Decimal("1000"), gross_floor_area=Decimal("1500"), floors=10)
    f.unit(session, building, 3, "01", 100)
    f.unit(session, building, 3, "02", 200)
    f.unit(session, building, 3, "03", 300)
    return building


def unit(session, b, floor, number):
    return session.scalar(select(Unit).where(Unit.building_id == b.id, Unit.floor == floor, Unit.number == number))


def units_count(session):
    return session.scalar(select(func.count(Unit.id)))


def test_add_unit_counts_from_its_first_day(session, b):
    u = ops.add_unit(session, b, 4, "01", "250.5", date(2026, 11, 1))
    assert u.area == Decimal("250.50") and u.active_from == date(2026, 11, 1)
    assert occupancy_on(session, date(2026, 10, 31), [b.id])[b.id].leasable_area == 600
    assert occupancy_on(session, date(2026, 11, 1), [b.id])[b.id].leasable_area == Decimal("850.50")


@pytest.mark.parametrize(
    "area, message",
    [
        ("0.5", "小于 1 m²"),
        ("1600", "超过整栋楼的面积 1,500.00"),
        ("500", "调整后可租面积 1,100.00 m² 将超过登记办公面积 1,000.00 m²"),
        ("abc", "面积应为数字"),
    ],
)
def test_add_unit_refuses_bad_areas(session, b, area, message):
    with pytest.raises(DomainError) as error:
        ops.add_unit(session, b, 4, "01", area, TODAY)
    assert message in error.value.message and error.value.field == "area"
    assert units_count(session) == 3


def test_add_unit_refuses_a_taken_number_and_a_floor_outside_the_building(session, b):
    with pytest.raises(DomainError, match="3F 已有（或曾有）单元号 01"):
        ops.add_unit(session, b, 3, "01", 10, TODAY)
    with pytest.raises(DomainError, match="楼层应在 -5 到 10 之间"):
        ops.add_unit(session, b, 11, "01", 10, TODAY)


def test_split_retires_the_unit_and_creates_parts_that_add_up(session, b):
    parts = ops.split_unit(
        session, unit(session, b, 3, "03"), TODAY, [ops.Part("03A", Decimal("120")), ops.Part("03B", Decimal("180"))]
    )
    assert [(u.number, u.area, u.active_from) for u in parts] == [("03A", 120, TODAY), ("03B", 180, TODAY)]
    assert unit(session, b, 3, "03").retired_on == TODAY
    # Leasable area is the same before and after; the day before, the old unit still counts.
    assert occupancy_on(session, TODAY, [b.id])[b.id].leasable_area == 600
    assert occupancy_on(session, date(2026, 11, 14), [b.id])[b.id].leasable_area == 600


def test_split_whose_parts_do_not_add_up_is_refused(session, b):
    with pytest.raises(DomainError) as error:
        ops.split_unit(
            session,
            unit(session, b, 3, "03"),
            TODAY,
            [ops.Part("03A", Decimal("100")), ops.Part("03B", Decimal("150"))],
        )
    assert error.value.message == "拆分后各部分面积之和 250.00 m² 与原单元面积 300.00 m² 不一致"
    assert units_count(session) == 3 and unit(session, b, 3, "03").retired_on is None


def test_only_vacant_units_may_be_split_merged_or_retired(session, b):
    c = f.company(session, "占用有限公司")
    f.lease(session, c, b, [unit(session, b, 3, "02")], date(2027, 1, 1))  # let from next year
    with pytest.raises(
        DomainError, match="单元 3F-02 在 2026-11-15 之后仍有租约（占用有限公司），只有空置单元可以拆分"
    ):
        ops.split_unit(
            session, unit(session, b, 3, "02"), TODAY, [ops.Part("A", Decimal(100)), ops.Part("B", Decimal(100))]
        )
    with pytest.raises(DomainError, match="只有空置单元可以合并"):
        ops.merge_units(session, b, [unit(session, b, 3, "01"), unit(session, b, 3, "02")], TODAY, "01-02")
    with pytest.raises(DomainError, match="只有空置单元可以停用"):
        ops.retire_unit(session, unit(session, b, 3, "02"), TODAY)
    unit(session, b, 3, "01").reserved_until = date(2026, 12, 31)
    with pytest.raises(DomainError, match="已预留至 2026-12-31"):
        ops.retire_unit(session, unit(session, b, 3, "01"), TODAY)


def test_merge_adjacent_units_on_one_floor(session, b):
    merged = ops.merge_units(session, b, [unit(session, b, 3, "01"), unit(session, b, 3, "02")], TODAY, "01-02")
    assert (merged.floor, merged.number, merged.area) == (3, "01-02", 300)
    assert unit(session, b, 3, "01").retired_on == TODAY and unit(session, b, 3, "02").retired_on == TODAY
    assert occupancy_on(session, TODAY, [b.id])[b.id].leasable_area == 600


def test_merge_refuses_units_that_are_not_neighbours_or_on_two_floors(session, b):
    f.unit(session, b, 4, "01", 50)
    with pytest.raises(DomainError, match="只能合并相邻的单元"):
        ops.merge_units(session, b, [unit(session, b, 3, "01"), unit(session, b, 3, "03")], TODAY, "X")
    with pytest.raises(DomainError, match="只能合并同一楼层的单元"):
        ops.merge_units(session, b, [unit(session, b, 3, "03"), unit(session, b, 4, "01")], TODAY, "X")
    with pytest.raises(DomainError, match="请至少选择两个"):
        ops.merge_units(session, b, [unit(session, b, 3, "03")], TODAY, "X")


def test_retire_takes_the_unit_out_from_that_day(session, b):
    ops.retire_unit(session, unit(session, b, 3, "03"), date(2026, 11, 20))
    assert occupancy_on(session, date(2026, 11, 19), [b.id])[b.id].leasable_area == 600
    assert occupancy_on(session, date(2026, 11, 20), [b.id])[b.id].leasable_area == 300


def test_resize_and_reserve(session, b):
    u = unit(session, b, 3, "01")
    ops.update_unit(session, u, u.version, "150", date(2026, 12, 31), TODAY)
    assert (u.area, u.reserved_until) == (150, date(2026, 12, 31))
    assert occupancy_on(session, TODAY, [b.id])[b.id].leasable_area == 650


def test_resize_refuses_below_one_square_metre_and_past_the_declared_area(session, b):
    u = unit(session, b, 3, "01")
    with pytest.raises(DomainError, match="小于 1 m²"):
        ops.update_unit(session, u, u.version, "0.9", None, TODAY)
    with pytest.raises(DomainError, match="将超过登记办公面积"):
        ops.update_unit(session, u, u.version, "501", None, TODAY)
    assert u.area == 100


def test_a_let_unit_cannot_become_self_use_or_reserved(session, b):
    u = unit(session, b, 3, "01")
    f.lease(session, f.company(session, "租户有限公司"), b, [u], date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(DomainError, match="不能设为自用"):
        ops.start_self_use(session, u, TODAY)
    with pytest.raises(DomainError, match="目前已出租，不能预留"):
        ops.update_unit(session, u, u.version, "100", date(2026, 12, 1), TODAY)
    # Self-use may begin once the lease has ended.
    ops.start_self_use(session, u, date(2027, 1, 1))
    with pytest.raises(DomainError, match="为自用（2027-01-01起），不能出租"):
        f.lease(session, f.company(session), b, [u], date(2027, 3, 1))


def test_self_use_is_dated_and_leaves_earlier_months_as_they_were(session, b):
    u = unit(session, b, 3, "01")
    ops.start_self_use(session, u, date(2026, 10, 16))
    assert occupancy_on(session, date(2026, 10, 15), [b.id])[b.id].leasable_area == 600
    assert occupancy_on(session, date(2026, 10, 16), [b.id])[b.id].leasable_area == 500
    with pytest.raises(DomainError, match="已有自用期（2026-10-16起），与所填日期重叠"):
        ops.start_self_use(session, u, date(2026, 12, 1))
    ops.end_self_use(session, u, date(2026, 11, 30))
    assert occupancy_on(session, date(2026, 11, 30), [b.id])[b.id].leasable_area == 500
    assert occupancy_on(session, date(2026, 12, 1), [b.id])[b.id].leasable_area == 600
    with pytest.raises(DomainError, match="不是自用，无需结束"):
        ops.end_self_use(session, u, date(2026, 12, 5))


def test_ending_self_use_may_not_pass_the_declared_area(session, b):
    u = f.unit(session, b, 4, "01", 450, self_use=date(2026, 1, 1))
    with pytest.raises(DomainError, match="将超过登记办公面积"):
        ops.end_self_use(session, u, date(2026, 10, 31))


def test_split_and_merge_keep_self_use(session, b):
    own = f.unit(session, b, 5, "01", 100, self_use=date(2026, 1, 1))
    a, c = ops.split_unit(session, own, date(2026, 11, 1), [ops.Part("01A", Decimal(60)), ops.Part("01B", Decimal(40))])
    assert occupancy_on(session, date(2026, 11, 1), [b.id])[b.id].leasable_area == 600
    merged = ops.merge_units(session, b, [a, c], date(2026, 11, 10), "01C")
    assert occupancy_on(session, date(2026, 11, 10), [b.id])[b.id].leasable_area == 600
    let = f.unit(session, b, 5, "02", 50)
    with pytest.raises(DomainError, match="自用单元与出租单元不能合并"):
        ops.merge_units(session, b, [merged, let], TODAY, "X")


def test_a_stale_form_is_refused_with_what_changed(session, b):
    actor = f.user(session, "ly", "manager", buildings=[b])
    session.info["actor_id"] = actor.id
    u = unit(session, b, 3, "01")
    loaded = u.version
    ops.update_unit(session, u, loaded, "110", None, TODAY)
    session.commit()
    with pytest.raises(DomainError) as error:
        ops.update_unit(session, u, loaded, "120", None, TODAY)
    assert error.value.field == "version"
    assert "ly 于" in error.value.message and "面积（m²）：100 → 110" in error.value.message
    assert u.area == 110
    session.info.pop("actor_id")


def test_a_self_use_period_gives_occupancy_figures_a_new_data_version(session, b):
    before = tokens(session)["occupancy"]
    period = ops.start_self_use(session, unit(session, b, 3, "01"), date(2026, 12, 1))
    assert tokens(session)["occupancy"] != before
    middle = tokens(session)["occupancy"]
    period.end_date = date(2027, 1, 31)
    session.flush()
    assert tokens(session)["occupancy"] != middle
