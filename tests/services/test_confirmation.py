"""Monthly confirmation: the derived figures, the flags, freezing, refusals and corrections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.models import ChangeLog, OccupancySnapshot
from crm.services.confirmation import confirm_month, confirmation_status, correct_month, due_period, month_checks
from crm.services.errors import DomainError
from crm.services.snapshots import occupancy_for_months, record_snapshots
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def world(session):
    """C01: 1,000 m² leasable. At the end of September 200 m² let; in October one more company
    (500 m²) moves in and a 200 m² tenant leaves → 500 m² at the end of October. A third lease
    ended in August and its tenant left the day after."""
    b = f.building(session, "C01", declared=Decimal("2000"))
    u1, u2, u3 = f.unit(session, b, 2, "01", 200), f.unit(session, b, 2, "02", 500), f.unit(session, b, 2, "03", 300)
    early, newer = f.company(session, "早期有限公司"), f.company(session, "新到有限公司", registered=False)
    f.lease(session, early, b, [u1], date(2025, 1, 1), moved_out_on=date(2026, 10, 20))
    f.lease(session, newer, b, [u2], date(2026, 10, 8), date(2028, 10, 7))
    f.lease(
        session,
        f.company(session, "过期有限公司"),
        b,
        [u3],
        date(2024, 1, 1),
        date(2026, 8, 31),
        moved_out_on=date(2026, 9, 1),
    )
    manager = f.user(session, "ly", "manager", buildings=[b])
    return dict(b=b, manager=manager, units=(u1, u2, u3))


def test_due_month_is_last_month_from_the_first_day():
    assert due_period(date(2026, 11, 1)) == "2026-10"
    assert due_period(date(2026, 11, 30)) == "2026-10"
    assert due_period(date(2027, 1, 1)) == "2026-12"


def test_month_check_figures_moves_and_flags(session, world):
    [check] = month_checks(session, [world["b"]], "2026-10")
    o = check.figures
    assert (o.leasable_area, o.occupied_area, o.vacant_area, o.tenants, o.registered_tenants) == (1000, 500, 500, 1, 0)
    assert (check.move_ins, check.move_outs) == (1, 1)
    # September: 200 of 1,000 = 20 %; October 50 % → up 30 points, flagged.
    assert check.change_points == pytest.approx(30.0)
    assert check.flags[0].startswith("入驻率较上月上升 30.0 个百分点")
    assert not check.confirmed and not check.lapsed and not check.blocked


def test_confirming_freezes_the_snapshot(session, world):
    b = world["b"]
    snapshot = confirm_month(session, world["manager"], b, "2026-10", TODAY)
    session.commit()
    assert (snapshot.occupied_area, snapshot.tenants, snapshot.confirmed_by_id) == (500, 1, world["manager"].id)
    entry = session.scalar(select(ChangeLog).where(ChangeLog.object_type == "snapshot"))
    assert (entry.action, entry.action_label, entry.building_id) == ("confirm", "确认", b.id)
    # A later change in October without a reason is refused on any path …
    with pytest.raises(DomainError, match="2026年10月的入驻数据已确认"):
        f.lease(session, f.company(session), b, [world["units"][2]], date(2026, 10, 25))
    session.rollback()
    # … and one made behind the application's back does not change the published month.
    f.legacy_lease(session, f.company(session), b, [world["units"][2]], date(2026, 10, 25))
    figures = occupancy_for_months(session, ["2026-10"], [b.id])[(b.id, "2026-10")]
    assert figures.confirmed and figures.occupied_area == 500
    [check] = month_checks(session, [b], "2026-10")
    assert check.confirmed and check.differs_from_derived
    assert "已确认的数字与现有租约推算结果不一致，如有漏登记请提交更正" in check.flags


def test_confirming_a_month_that_has_not_ended_is_refused(session, world):
    with pytest.raises(DomainError) as error:
        confirm_month(session, world["manager"], world["b"], "2026-11", TODAY)
    assert "2026年11月尚未结束" in error.value.message
    assert session.scalar(select(OccupancySnapshot.id)) is None


def test_confirming_twice_is_refused(session, world):
    confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)
    with pytest.raises(DomainError, match="已由 ly 确认；如需修改，请提交更正并说明原因"):
        confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)


def test_an_unconfirmed_snapshot_row_is_confirmed_in_place(session, world):
    record_snapshots(session, ["2026-10"], [world["b"].id])
    snapshot = confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)
    assert snapshot.confirmed_at is not None
    assert len(list(session.scalars(select(OccupancySnapshot)))) == 1


def test_correction_needs_a_reason_and_is_recorded(session, world):
    b = world["b"]
    confirm_month(session, world["manager"], b, "2026-10", TODAY)
    session.commit()
    f.legacy_lease(session, f.company(session), b, [world["units"][2]], date(2026, 10, 25))
    with pytest.raises(DomainError, match="请填写更正原因"):
        correct_month(session, b, "2026-10", " ")
    corrected = correct_month(session, b, "2026-10", "10 月 25 日入驻漏登记")
    session.commit()
    snapshot = session.get(OccupancySnapshot, corrected.snapshot_id)
    assert snapshot.occupied_area == 800 and snapshot.correction_reason == "10 月 25 日入驻漏登记"
    assert (corrected.operation, corrected.version_before, corrected.version_after) == ("recompute", 1, 2)
    assert corrected.figures["occupied_area"] == ["500", "800"] and corrected.items == []
    entry = session.scalar(select(ChangeLog).where(ChangeLog.action == "correct"))
    assert entry.reason == "10 月 25 日入驻漏登记" and entry.changes["occupied_area"] == ["500", "800"]
    assert correct_month(session, b, "2026-10", "再算一次") is None  # nothing changed: nothing recorded


def test_status_grid(session, world):
    confirm_month(session, world["manager"], world["b"], "2026-09", TODAY)
    grid = confirmation_status(session, [world["b"]], "2026-10", months=3)
    assert grid.periods == ["2026-10", "2026-09", "2026-08"]
    assert grid.confirmed_count("2026-09") == 1 and grid.confirmed_count("2026-10") == 0
