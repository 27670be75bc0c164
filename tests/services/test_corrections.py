"""Corrections: every change reaching a confirmed month needs a reason, moves the month's snapshot
to a new version by exactly its own effect, and is recorded with exactly its own changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import ChangeLog, Correction, OccupancySnapshot
from crm.services import moves, unit_ops
from crm.services.confirmation import confirm_month
from crm.services.errors import DomainError
from crm.services.reach import NEVER, LeaseState, Span, lease_span
from crm.services.snapshots import occupancy_for_months
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def world(session):
    """K01: 1,000 m² in three units (200, 300, 500). A tenant has let 2F-01 since 2025; September and
    October are confirmed (200 m² let at both month ends)."""
    b = f.building(session, "K01", declared=Decimal("2000"))
    u1, u2, u3 = f.unit(session, b, 2, "01", 200), f.unit(session, b, 2, "02", 300), f.unit(session, b, 2, "03", 500)
    first = f.lease(session, f.company(session, "老租户有限公司"), b, [u1], date(2025, 1, 1))
    manager = f.user(session, "ly", "manager", buildings=[b])
    session.info["actor_id"] = manager.id
    for period in ("2026-09", "2026-10"):
        confirm_month(session, manager, b, period, TODAY)
    session.commit()
    yield dict(b=b, u1=u1, u2=u2, u3=u3, manager=manager, first=first)
    session.info.pop("actor_id", None)


def snapshot(session, b, period) -> OccupancySnapshot:
    return session.scalar(
        select(OccupancySnapshot).where(OccupancySnapshot.building_id == b.id, OccupancySnapshot.period == period)
    )


def corrections(session) -> list[Correction]:
    return list(session.scalars(select(Correction).order_by(Correction.period, Correction.id)))


def published(session, b, period):
    return occupancy_for_months(session, [period], [b.id])[(b.id, period)]


# ------------------------------------------------------------------------------------------ reach


def test_a_move_out_on_the_end_date_reaches_only_that_month():
    lease = LeaseState(date(2024, 1, 1), date(2026, 8, 15))
    span = lease_span(lease, LeaseState(lease.start, lease.end, date(2026, 8, 15)))
    assert span == Span(date(2026, 8, 15), date(2026, 8, 16))
    assert span.months(["2026-07", "2026-08", "2026-09"]) == ["2026-08"]


def test_a_new_open_lease_reaches_its_month_and_every_later_one():
    span = lease_span(None, LeaseState(date(2026, 10, 16)))
    assert span == Span(date(2026, 10, 16), NEVER)
    assert span.months(["2026-09", "2026-10", "2026-11"]) == ["2026-10", "2026-11"]


def test_changing_only_the_move_out_reason_reaches_nothing():
    lease = LeaseState(date(2024, 1, 1), None, date(2026, 8, 15))
    assert lease_span(lease, lease) is None


# ------------------------------------------------------------------------------------------ refusal


def test_a_write_reaching_a_confirmed_month_without_a_reason_is_refused_on_any_path(session, world):
    b, u2 = world["b"], world["u2"]
    with pytest.raises(DomainError) as refused:
        moves.move_in(session, b, f.company(session).name, [u2], date(2026, 10, 16))
    assert refused.value.field == "correction_reason" and "2026年10月的入驻数据已确认" in refused.value.message
    session.rollback()
    # A path that never asks (here the lease service itself) is refused at the flush.
    with pytest.raises(DomainError, match="测试大厦K01 2026年10月的入驻数据已确认"):
        f.lease(session, f.company(session), b, [u2], date(2026, 10, 16))
    session.rollback()
    assert corrections(session) == [] and snapshot(session, b, "2026-10").version == 1


def test_a_change_after_the_confirmed_months_needs_no_reason(session, world):
    moves.move_in(session, world["b"], f.company(session).name, [world["u2"]], date(2026, 11, 3))
    session.commit()
    assert corrections(session) == []


# ------------------------------------------------------------------------------------------ recording


def test_a_move_in_as_a_correction_is_one_record_with_its_own_change(session, world):
    b, u2 = world["b"], world["u2"]
    lease = moves.move_in(
        session,
        b,
        f.company(session, "补登有限公司").name,
        [u2],
        date(2026, 10, 16),
        correction_reason="10 月 16 日入驻漏登记",
    )
    session.commit()
    [correction] = corrections(session)
    assert (correction.building_id, correction.period, correction.operation) == (b.id, "2026-10", "move_in")
    assert (correction.reason, correction.actor_id) == ("10 月 16 日入驻漏登记", world["manager"].id)
    assert (correction.version_before, correction.version_after) == (1, 2)
    assert snapshot(session, b, "2026-10").version == 2
    assert correction.figures["occupied_area"] == ["200", "500"] and correction.figures["tenants"] == [1, 2]
    assert [(i.change.object_type, i.change.object_id, i.change.action) for i in correction.items] == [
        ("lease", lease.id, "create")
    ]
    assert published(session, b, "2026-10").occupied_area == 500
    assert published(session, b, "2026-09").occupied_area == 200 and snapshot(session, b, "2026-09").version == 1


def test_a_later_correction_does_not_sweep_in_earlier_changes(session, world):
    b = world["b"]
    # A change that reached October before corrections were enforced (behind the application's back).
    f.legacy_lease(session, f.company(session, "静默有限公司"), b, [world["u3"]], date(2026, 10, 5))
    session.commit()
    lease = moves.move_in(
        session,
        b,
        f.company(session, "补登有限公司").name,
        [world["u2"]],
        date(2026, 10, 16),
        correction_reason="10 月 16 日入驻漏登记",
    )
    session.commit()
    [correction] = corrections(session)
    # The month moves by the 300 m² of this move-in only, not by the silent 500 m² as well …
    assert correction.figures["occupied_area"] == ["200", "500"]
    assert published(session, b, "2026-10").occupied_area == 500
    # … and the correction lists this move-in alone.
    assert [(i.change.object_type, i.change.object_id) for i in correction.items] == [("lease", lease.id)]


def test_one_correction_per_confirmed_month_reached(session, world):
    b = world["b"]
    moves.move_in(
        session, b, f.company(session).name, [world["u2"]], date(2026, 9, 20), correction_reason="9 月入驻漏登记"
    )
    session.commit()
    assert [(c.period, c.version_before, c.version_after) for c in corrections(session)] == [
        ("2026-09", 1, 2),
        ("2026-10", 1, 2),
    ]
    assert {c.figures["occupied_area"][1] for c in corrections(session)} == {"500"}


def test_a_move_out_and_a_renewal_are_corrections_of_the_months_they_reach(session, world):
    b, first = world["b"], world["first"]
    with pytest.raises(DomainError, match="2026年10月的入驻数据已确认"):
        moves.move_out(session, first, first.version, date(2026, 10, 10), "到期")
    session.rollback()
    first = session.get(type(first), first.id)
    moves.move_out(session, first, first.version, date(2026, 10, 10), "到期", correction_reason="10 月迁出漏登记")
    session.commit()
    [correction] = corrections(session)
    assert (correction.period, correction.operation, correction.figures["occupied_area"]) == (
        "2026-10",
        "move_out",
        ["200", "0"],
    )
    # Renewing a lease that starts after the confirmed months reaches none of them.
    lease = moves.move_in(session, b, f.company(session).name, [world["u2"]], date(2026, 11, 1), date(2027, 10, 31))
    moves.renew(session, lease, lease.version, date(2028, 10, 31))
    session.commit()
    assert len(corrections(session)) == 1


def test_unit_operations_are_corrections(session, world):
    b = world["b"]
    with pytest.raises(DomainError, match="2026年10月的入驻数据已确认"):
        unit_ops.split_unit(
            session,
            world["u3"],
            date(2026, 10, 20),
            [unit_ops.Part("03A", Decimal(250)), unit_ops.Part("03B", Decimal(250))],
        )
    session.rollback()
    made = unit_ops.split_unit(
        session,
        world["u3"],
        date(2026, 10, 20),
        [unit_ops.Part("03A", Decimal(250)), unit_ops.Part("03B", Decimal(250))],
        correction_reason="10 月 20 日已拆分",
    )
    session.commit()
    [split] = corrections(session)
    assert (split.period, split.operation, split.version_after) == ("2026-10", "split", 2)
    logged = {(i.change.object_id, i.change.action) for i in split.items}
    assert logged == {(world["u3"].id, "update"), (made[0].id, "create"), (made[1].id, "create")}
    assert split.figure_changes() == []  # the same area, in two units

    # Resizing counts on every day the unit existed: each confirmed month is corrected.
    u2 = world["u2"]
    with pytest.raises(DomainError, match="2026年9月、2026年10月的入驻数据已确认"):
        unit_ops.update_unit(session, u2, u2.version, "320", None, TODAY)
    session.rollback()
    u2 = session.get(type(u2), u2.id)
    unit_ops.update_unit(session, u2, u2.version, "320", None, TODAY, correction_reason="复测面积为 320 m²")
    session.commit()
    resized = [c for c in corrections(session) if c.operation == "edit_unit"]
    assert [(c.period, c.figures["leasable_area"]) for c in resized] == [
        ("2026-09", ["1000", "1020"]),
        ("2026-10", ["1000", "1020"]),
    ]
    assert snapshot(session, b, "2026-10").version == 3


def test_self_use_is_dated_and_a_start_in_a_confirmed_month_is_a_correction(session, world):
    b, u3 = world["b"], world["u3"]
    with pytest.raises(DomainError, match="2026年10月的入驻数据已确认"):
        unit_ops.start_self_use(session, u3, date(2026, 10, 16))
    session.rollback()
    u3 = session.get(type(u3), u3.id)
    unit_ops.start_self_use(session, u3, date(2026, 10, 16), correction_reason="物业 10 月 16 日起自用")
    session.commit()
    [correction] = corrections(session)
    assert (correction.period, correction.operation, correction.figures["leasable_area"]) == (
        "2026-10",
        "self_use",
        ["1000", "500"],
    )
    assert [i.change.changes for i in correction.items] == [
        {"self_use": [False, True], "self_use_start": [None, "2026-10-16"]}
    ]
    # September keeps its figures: self-use began after it.
    assert published(session, b, "2026-09").leasable_area == 1000
    assert published(session, b, "2026-10").leasable_area == 500
    assert (
        session.scalar(
            select(func.count())
            .select_from(ChangeLog)
            .where(ChangeLog.object_type == "unit", ChangeLog.object_id == u3.id)
        )
        == 2
    )


def test_a_refused_operation_leaves_no_reason_behind_for_the_next_write(session, world):
    b, u2 = world["b"], world["u2"]
    with pytest.raises(DomainError, match="新登记的企业请填写统一社会信用代码"):
        moves.move_in(session, b, "未登记有限公司", [u2], date(2026, 10, 16), correction_reason="漏登记")
    # Same transaction, no rollback: a write without a reason is still refused.
    with pytest.raises(DomainError, match="2026年10月的入驻数据已确认"):
        f.lease(session, f.company(session), b, [u2], date(2026, 10, 16))
