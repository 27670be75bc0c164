"""create_lease: a unit has at most one active lease on any date (DESIGN.md "Lease"), and a refused
lease writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import Lease, lease_units
from crm.services.errors import DomainError
from crm.services.leases import active_leases, clashes, create_lease, last_active_day

try:
    from tests import factories as f
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    import factories as f


def lease_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Lease))


def lease_unit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(lease_units))


@pytest.fixture()
def setup(session):
    b = f.building(session, "B01", name="测试大厦")
    u301 = f.unit(session, b, 3, "01", 120)
    u302 = f.unit(session, b, 3, "02", 80)
    return b, u301, u302


def refused(session, *args, **kwargs) -> DomainError:
    """Call create_lease expecting a refusal; check that not a row was written."""
    leases, links = lease_count(session), lease_unit_count(session)
    with pytest.raises(DomainError) as info:
        create_lease(session, *args, **kwargs)
    session.flush()
    assert lease_count(session) == leases
    assert lease_unit_count(session) == links
    return info.value


# --- clashes ----------------------------------------------------------------------------------


def test_overlapping_periods_are_refused_naming_the_unit(session, setup):
    b, u301, u302 = setup
    first = f.company(session, name="甲公司")
    f.lease(session, first, b, [u301], date(2026, 1, 1), date(2026, 6, 30))
    # 2026-06-01..2026-12-31 overlaps 2026-06-01..06-30 on 3F-01
    error = refused(session, f.company(session), b, [u302, u301], date(2026, 6, 1), date(2026, 12, 31))
    assert "3F-01" in error.message
    assert "甲公司" in error.message
    assert error.field == "units"


def test_overlap_of_a_single_day_is_refused(session, setup):
    b, u301, _ = setup
    f.lease(session, f.company(session), b, [u301], date(2026, 1, 1), date(2026, 3, 31))
    # The new lease starts on the old one's last day: both would be active on 2026-03-31.
    error = refused(session, f.company(session), b, [u301], date(2026, 3, 31), date(2026, 12, 31))
    assert "3F-01" in error.message


def test_new_lease_inside_an_open_ended_one_is_refused(session, setup):
    b, u301, _ = setup
    f.lease(session, f.company(session), b, [u301], date(2025, 1, 1))  # no end, no move-out
    error = refused(session, f.company(session), b, [u301], date(2027, 1, 1), date(2027, 12, 31))
    assert "3F-01" in error.message


def test_new_open_ended_lease_over_a_future_lease_is_refused(session, setup):
    b, _, u302 = setup
    f.lease(session, f.company(session), b, [u302], date(2027, 1, 1), date(2027, 12, 31))
    # open-ended from 2026-06-01 would still be running on 2027-01-01
    error = refused(session, f.company(session), b, [u302], date(2026, 6, 1), None)
    assert "3F-02" in error.message


def test_new_lease_before_an_open_ended_future_lease_is_refused_only_when_it_reaches_it(session, setup):
    b, u301, _ = setup
    f.lease(session, f.company(session), b, [u301], date(2026, 7, 1))  # open-ended from July
    refused(session, f.company(session), b, [u301], date(2026, 1, 1), date(2026, 7, 1))
    ok = create_lease(session, f.company(session), b, [u301], date(2026, 1, 1), date(2026, 6, 30))
    assert ok.id is not None


# --- accepted ---------------------------------------------------------------------------------


def test_back_to_back_leases_are_accepted(session, setup):
    b, u301, _ = setup
    first = f.lease(session, f.company(session), b, [u301], date(2026, 1, 1), date(2026, 3, 31))
    second = create_lease(session, f.company(session), b, [u301], date(2026, 4, 1), date(2026, 12, 31))
    assert second.id is not None
    assert lease_count(session) == 2
    assert [lease.id for lease in active_leases(session, b.id, date(2026, 3, 31))] == [first.id]
    assert [lease.id for lease in active_leases(session, b.id, date(2026, 4, 1))] == [second.id]


def test_lease_starting_on_the_previous_move_out_date_is_accepted(session, setup):
    b, u301, _ = setup
    old = f.lease(session, f.company(session), b, [u301], date(2025, 1, 1), moved_out_on=date(2026, 5, 10))
    new = create_lease(session, f.company(session), b, [u301], date(2026, 5, 10))
    assert new.id is not None
    # last active day of the old lease = the day before its move-out
    assert last_active_day(old) == date(2026, 5, 9)
    assert [lease.id for lease in active_leases(session, b.id, date(2026, 5, 10))] == [new.id]


def test_lease_after_an_expired_lease_without_move_out_is_accepted(session, setup):
    b, u301, _ = setup
    f.lease(session, f.company(session), b, [u301], date(2025, 1, 1), date(2025, 12, 31))
    new = create_lease(session, f.company(session), b, [u301], date(2026, 2, 1))
    assert new.id is not None


def test_lease_on_another_unit_is_accepted(session, setup):
    b, u301, u302 = setup
    f.lease(session, f.company(session), b, [u301], date(2026, 1, 1))
    new = create_lease(session, f.company(session), b, [u302], date(2026, 1, 1))
    assert [u.label for u in new.units] == ["3F-02"]


def test_created_lease_is_written_with_its_units(session, setup):
    b, u301, u302 = setup
    c = f.company(session)
    lease = create_lease(session, c, b, [u301, u302], date(2026, 1, 1), date(2028, 12, 31))
    session.expire_all()
    stored = session.get(Lease, lease.id)
    assert stored.company_id == c.id
    assert stored.building_id == b.id
    assert (stored.start_date, stored.end_date, stored.moved_out_on) == (date(2026, 1, 1), date(2028, 12, 31), None)
    assert sorted(u.label for u in stored.units) == ["3F-01", "3F-02"]


def test_clashes_lists_the_clashing_unit(session, setup):
    b, u301, u302 = setup
    existing = f.lease(session, f.company(session), b, [u301], date(2026, 1, 1))
    found = clashes(session, [u301, u302], date(2026, 2, 1), None)
    assert [(c.unit.label, c.lease.id) for c in found] == [("3F-01", existing.id)]
    assert clashes(session, [u301], date(2026, 2, 1), None, ignore_lease_id=existing.id) == []


# --- refused for other reasons ----------------------------------------------------------------


def test_end_before_start_is_refused(session, setup):
    b, u301, _ = setup
    error = refused(session, f.company(session), b, [u301], date(2026, 5, 1), date(2026, 4, 30))
    assert error.field == "end_date"
    assert "2026-04-30" in error.message and "2026-05-01" in error.message


def test_end_equal_to_start_is_a_one_day_lease(session, setup):
    b, u301, _ = setup
    lease = create_lease(session, f.company(session), b, [u301], date(2026, 5, 1), date(2026, 5, 1))
    assert lease.is_active_on(date(2026, 5, 1))
    assert not lease.is_active_on(date(2026, 5, 2))


def test_unit_of_another_building_is_refused(session, setup):
    b, u301, _ = setup
    other = f.building(session, "B02", name="别的大厦")
    foreign = f.unit(session, other, 5, "07", 60)
    error = refused(session, f.company(session), b, [u301, foreign], date(2026, 1, 1))
    assert "5F-07" in error.message
    assert "测试大厦" in error.message


def test_self_use_unit_is_refused(session, setup):
    b, _, _ = setup
    own = f.unit(session, b, 1, "01", 40, self_use=True)
    error = refused(session, f.company(session), b, [own], date(2026, 1, 1))
    assert "1F-01" in error.message
    assert "自用" in error.message


def test_empty_units_are_refused(session, setup):
    b, _, _ = setup
    error = refused(session, f.company(session), b, [], date(2026, 1, 1))
    assert error.field == "units"
    assert "单元" in error.message


def test_the_same_unit_twice_is_not_a_database_error(session, setup):
    # DESIGN.md rule 2: a bad input raises a domain error, nothing half-written survives it. A form
    # that posts 3F-01 twice must give either one lease over 3F-01 once, or a DomainError — never an
    # IntegrityError from the lease_units primary key (a 500 page).
    b, u301, _ = setup
    leases = lease_count(session)
    try:
        lease = create_lease(session, f.company(session), b, [u301, u301], date(2026, 1, 1))
    except DomainError:
        assert lease_count(session) == leases
        return
    assert [u.label for u in lease.units] == ["3F-01"]
    assert lease_unit_count(session) == 1
