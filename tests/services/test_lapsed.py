"""Lapsed leases (到期未处置): shown in the month bridge, blocking the month's confirmation until
resolved by one of 续租, 迁出 or 转不定期 — each reaching a confirmed month only as a correction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.models import OccupancySnapshot
from crm.services import moves
from crm.services.bridge import month_bridge
from crm.services.confirmation import confirm_month, lapsed_leases, month_checks, reaching_confirmed
from crm.services.errors import DomainError
from crm.services.snapshots import record_snapshots
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def world(session):
    """L01: a 300 m² lease that ends on 2026-10-15 with nobody resolving it, and a 200 m² one
    that runs on."""
    b = f.building(session, "L01", declared=Decimal("2000"))
    manager = f.user(session, "ly", "manager", buildings=[b])
    u1, u2 = f.unit(session, b, 3, "01", 300), f.unit(session, b, 3, "02", 200)
    lapsing = f.lease(session, f.company(session, "到期未续有限公司"), b, [u1], date(2024, 10, 16), date(2026, 10, 15))
    f.lease(session, f.company(session, "长期有限公司"), b, [u2], date(2024, 1, 1))
    return dict(b=b, manager=manager, lease=lapsing, units=(u1, u2))


def snapshot_count(session) -> int:
    return len(session.scalars(select(OccupancySnapshot)).all())


def test_a_lease_lapsing_mid_month_is_in_the_bridge_and_blocks_the_month(session, world):
    bridge = month_bridge(session, "2026-10").area
    assert (bridge.prev, bridge.lapsed, bridge.moved_out, bridge.value) == (500, 300, 0, 200)
    [check] = month_checks(session, [world["b"]], "2026-10")
    assert check.lapsed == [world["lease"]] and check.blocked
    assert "1 份租约到期未处置：请逐份续租、登记迁出或转为不定期，之后才能确认" in check.flags
    with pytest.raises(DomainError) as error:
        confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)
    assert error.value.field == "lapsed"
    assert "有 1 份租约到期未处置：到期未续有限公司（2026-10-15 到期）" in error.value.message
    assert snapshot_count(session) == 0
    # September ended before the lease did: it may be confirmed.
    confirm_month(session, world["manager"], world["b"], "2026-09", TODAY)


def resolve_by_renewal(session, lease):
    moves.renew(session, lease, lease.version, date(2027, 10, 15), today=TODAY)


def resolve_by_move_out_after_the_end(session, lease):
    moves.move_out(session, lease, lease.version, date(2026, 10, 16), "到期")


def resolve_by_move_out_on_the_end_date(session, lease):
    moves.move_out(session, lease, lease.version, date(2026, 10, 15), "到期")


def resolve_open_ended(session, lease):
    moves.make_open_ended(session, lease, lease.version)


@pytest.mark.parametrize(
    "resolve, occupied, moved_out, end",
    [
        (resolve_by_renewal, 500, 0, date(2027, 10, 15)),
        (resolve_by_move_out_after_the_end, 200, 300, date(2026, 10, 15)),
        (resolve_by_move_out_on_the_end_date, 200, 300, date(2026, 10, 15)),
        (resolve_open_ended, 500, 0, None),
    ],
)
def test_each_resolution_unblocks_the_month(session, world, resolve, occupied, moved_out, end):
    lease = world["lease"]
    resolve(session, lease)
    assert lease.end_date == end
    assert lapsed_leases(session, [world["b"].id], "2026-10") == {}
    bridge = month_bridge(session, "2026-10").area
    assert (bridge.lapsed, bridge.moved_out, bridge.value) == (0, moved_out, occupied) and bridge.balances
    snapshot = confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)
    assert snapshot.occupied_area == occupied


def test_a_lease_ending_on_the_last_day_blocks_its_month(session, world):
    lease = world["lease"]
    moves.renew(session, lease, lease.version, date(2026, 10, 31))
    assert month_bridge(session, "2026-10").area.lapsed == 0  # still let on the 31st
    with pytest.raises(DomainError, match="到期未处置"):
        confirm_month(session, world["manager"], world["b"], "2026-10", TODAY)


def test_an_older_lapse_blocks_every_later_month(session, world):
    b = world["b"]
    f.lease(
        session,
        f.company(session, "八月到期公司"),
        b,
        [f.unit(session, b, 4, "01", 50)],
        date(2025, 1, 1),
        date(2026, 8, 20),
    )
    lapsed = lapsed_leases(session, [b.id], "2026-09")[b.id]
    assert [lease.company.name for lease in lapsed] == ["八月到期公司"]
    assert [lease.company.name for lease in lapsed_leases(session, [b.id], "2026-10")[b.id]] == [
        "八月到期公司",
        "到期未续有限公司",
    ]


def test_renewing_a_lapsed_lease_to_a_past_date_is_refused(session, world):
    lease = world["lease"]
    with pytest.raises(DomainError) as error:
        moves.renew(session, lease, lease.version, date(2026, 11, 1), today=TODAY)
    assert error.value.field == "end_date" and "续租后租约仍为到期未处置" in error.value.message
    assert lease.end_date == date(2026, 10, 15)


def test_a_move_out_after_the_end_means_the_company_stayed_until_then(session, world):
    lease = world["lease"]
    moves.move_out(session, lease, lease.version, date(2026, 11, 10), "到期")
    assert (lease.end_date, lease.moved_out_on) == (date(2026, 11, 9), date(2026, 11, 10))
    october = month_bridge(session, "2026-10").area
    assert (october.lapsed, october.value) == (0, 500)
    assert month_bridge(session, "2026-11").area.moved_out == 300


def test_a_move_out_after_the_end_is_refused_when_the_unit_was_let_again(session, world):
    lease, b = world["lease"], world["b"]
    f.lease(session, f.company(session, "新租户有限公司"), b, [world["units"][0]], date(2026, 11, 1))
    with pytest.raises(DomainError) as error:
        moves.move_out(session, lease, lease.version, date(2026, 11, 10), "到期")
    assert error.value.field == "moved_out_on"
    assert "单元 3F-01 在 2026-11-01 起已租给 新租户有限公司，迁出日期不能延至此后" == error.value.message
    assert lease.moved_out_on is None


def test_resolving_into_a_confirmed_month_is_a_correction(session, world):
    """A month confirmed before the rule (the lease lapsed in it): the resolution needs a reason and
    re-derives the month as a corrected snapshot."""
    lease, b = world["lease"], world["b"]
    moves.renew(session, lease, lease.version, date(2026, 9, 10))  # ended in September after all
    record_snapshots(session, ["2026-09", "2026-10"], [b.id], confirmed_by=world["manager"])
    assert reaching_confirmed(session, [lease]) == {lease.id}
    with pytest.raises(DomainError) as error:
        moves.make_open_ended(session, lease, lease.version)
    assert error.value.field == "correction_reason"
    moves.make_open_ended(session, lease, lease.version, "9 月到期后已续签，漏登记")
    september = session.scalar(select(OccupancySnapshot).where(OccupancySnapshot.period == "2026-09"))
    assert (september.occupied_area, september.version, september.correction_reason) == (
        500,
        2,
        "9 月到期后已续签，漏登记",
    )


def test_an_open_ended_lease_cannot_be_made_open_ended(session, world):
    lease = world["lease"]
    moves.make_open_ended(session, lease, lease.version)
    with pytest.raises(DomainError, match="该租约已是不定期租约"):
        moves.make_open_ended(session, lease, lease.version)
