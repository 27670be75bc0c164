"""Occupancy on a date (DESIGN.md "Occupancy of a building on date D" and "Lease … Active on date D").

Every case is small and computed by hand in the comments: areas in m², dates in 2026 unless said.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from crm.models import Lease, UnitSelfUse
from crm.services.occupancy import Occupancy, occupancy_on, occupancy_on_days, registered_rate

try:
    from tests import factories as f
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    import factories as f

D = Decimal


def occ(session, day, building, building_ids=None) -> Occupancy:
    """The building's figures on ``day``; a building without leasable units reads as empty."""
    return occupancy_on(session, day, building_ids).get(building.id, Occupancy())


@pytest.fixture()
def b(session):
    return f.building(session, "B01")


# --- month boundaries -------------------------------------------------------------------------


def test_lease_starting_on_the_first(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.unit(session, b, 1, "02", 300)  # vacant: leasable = 100 + 300 = 400
    f.lease(session, f.company(session), b, [u], date(2026, 3, 1))
    assert occ(session, date(2026, 2, 28), b).occupied_area == 0  # February end: not started
    march = occ(session, date(2026, 3, 31), b)
    assert march.occupied_area == D("100")
    assert march.leasable_area == D("400")
    assert march.vacant_area == D("300")
    assert march.occupancy == pytest.approx(0.25)  # 100 ÷ 400
    assert occ(session, date(2026, 3, 1), b).occupied_area == D("100")  # start day itself counts


def test_lease_starting_on_the_last_day_of_the_month(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 3, 31))
    assert occ(session, date(2026, 3, 30), b).occupied_area == 0
    assert occ(session, date(2026, 3, 31), b).occupied_area == D("100")  # counted at March's end
    assert occ(session, date(2026, 3, 31), b).occupancy == 1.0  # 100 ÷ 100


def test_lease_ending_on_the_last_day_of_the_month(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 1, 1), date(2026, 3, 31))
    assert occ(session, date(2026, 3, 31), b).occupied_area == D("100")  # D ≤ end: still active
    assert occ(session, date(2026, 4, 1), b).occupied_area == 0
    assert occ(session, date(2026, 4, 30), b).occupied_area == 0


def test_lease_ending_on_the_first_of_the_next_month(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 1, 1), date(2026, 4, 1))
    assert occ(session, date(2026, 3, 31), b).occupied_area == D("100")
    assert occ(session, date(2026, 4, 1), b).occupied_area == D("100")
    assert occ(session, date(2026, 4, 2), b).occupied_area == 0
    assert occ(session, date(2026, 4, 30), b).occupied_area == 0  # not occupied at April's end


def test_lease_ending_mid_month_is_not_occupied_at_month_end(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 1, 1), date(2026, 3, 15))
    assert occ(session, date(2026, 3, 15), b).occupied_area == D("100")
    assert occ(session, date(2026, 3, 16), b).occupied_area == 0
    month_end = occ(session, date(2026, 3, 31), b)
    assert month_end.occupied_area == 0
    assert month_end.tenants == 0
    assert month_end.occupancy == 0.0  # 0 ÷ 100


# --- move-out and expiry ----------------------------------------------------------------------


def test_move_out_date_is_not_an_active_day(session, b):
    u = f.unit(session, b, 1, "01", 100)
    lease = f.lease(session, f.company(session), b, [u], date(2026, 1, 1), moved_out_on=date(2026, 5, 10))
    # moved_out_on == D → not active on D
    assert occ(session, date(2026, 5, 10), b).occupied_area == 0
    assert not lease.is_active_on(date(2026, 5, 10))
    # moved_out_on == D + 1 → active on D
    assert occ(session, date(2026, 5, 9), b).occupied_area == D("100")
    assert lease.is_active_on(date(2026, 5, 9))


def test_move_out_before_the_end_date_wins(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 1, 1), date(2026, 12, 31), moved_out_on=date(2026, 6, 1))
    assert occ(session, date(2026, 5, 31), b).occupied_area == D("100")
    assert occ(session, date(2026, 6, 30), b).occupied_area == 0


def test_lease_past_its_end_without_move_out_is_not_active(session, b):
    u = f.unit(session, b, 1, "01", 100)
    lease = f.lease(session, f.company(session), b, [u], date(2025, 1, 1), date(2025, 12, 31))
    assert lease.moved_out_on is None
    on = occ(session, date(2026, 1, 15), b)
    assert on.occupied_area == 0
    assert on.tenants == 0
    assert on.vacant_area == D("100")
    assert not lease.is_active_on(date(2026, 1, 15))


def test_unit_leased_twice_in_a_month_after_a_move_out(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.unit(session, b, 1, "02", 100)  # leasable = 200
    first, second = f.company(session), f.company(session)
    f.lease(session, first, b, [u], date(2026, 1, 1), moved_out_on=date(2026, 3, 10))
    f.lease(session, second, b, [u], date(2026, 3, 20))
    end = occ(session, date(2026, 3, 31), b)
    assert end.occupied_area == D("100")  # the unit once, not 2 × 100
    assert end.tenants == 1  # only the second company is in
    assert end.occupancy == pytest.approx(0.5)  # 100 ÷ 200
    mid = occ(session, date(2026, 3, 15), b)  # first moved out on the 10th, second not in until the 20th
    assert mid.occupied_area == 0
    assert mid.vacant_area == D("200")
    assert mid.tenants == 0


def test_unit_leased_twice_in_a_month_after_an_end_date(session, b):
    u = f.unit(session, b, 1, "01", 100)
    f.lease(session, f.company(session), b, [u], date(2026, 1, 1), date(2026, 3, 10))
    f.lease(session, f.company(session), b, [u], date(2026, 3, 20))
    assert occ(session, date(2026, 3, 10), b).occupied_area == D("100")  # last day of the first
    assert occ(session, date(2026, 3, 15), b).occupied_area == 0  # neither
    assert occ(session, date(2026, 3, 31), b).occupied_area == D("100")  # the second, once
    assert occ(session, date(2026, 3, 31), b).tenants == 1


# --- what counts as leasable ------------------------------------------------------------------


def test_self_use_units_are_excluded_from_leasable_and_from_occupied(session, b):
    u1 = f.unit(session, b, 1, "01", 100)
    u2 = f.unit(session, b, 1, "02", 200)
    f.unit(session, b, 2, "01", 50, self_use=True)
    f.lease(session, f.company(session), b, [u1, u2], date(2026, 1, 1))
    # leasable = 100 + 200 = 300 (the 50 m² self-use unit is not in it); occupied 300 → 100 %
    before = occ(session, date(2026, 2, 28), b)
    assert before.leasable_area == D("300")
    assert before.occupied_area == D("300")
    # The owner then takes 1F-02 for its own use from March while the lease still lists it:
    # leasable = 100, occupied = 100 (not 300), occupancy 100 % — and February stays as it was.
    session.add(UnitSelfUse(unit=u2, start_date=date(2026, 3, 1)))
    session.flush()
    assert occ(session, date(2026, 2, 28), b).leasable_area == D("300")
    after = occ(session, date(2026, 3, 31), b)
    assert after.leasable_area == D("100")
    assert after.occupied_area == D("100")
    assert after.occupancy == 1.0
    assert after.tenants == 1


def test_building_with_only_self_use_units_has_no_occupancy(session, b):
    f.unit(session, b, 1, "01", 500, self_use=True)
    on = occ(session, date(2026, 3, 31), b)
    assert on.leasable_area == 0
    assert on.occupancy is None  # 0 leasable: no ratio, no ZeroDivisionError
    assert on.vacant_area == 0


def test_building_without_units_has_no_occupancy(session, b):
    result = occupancy_on(session, date(2026, 3, 31))
    assert result.get(b.id, Occupancy()).occupancy is None
    assert Occupancy(leasable_area=D("0"), occupied_area=D("0")).occupancy is None


def test_retired_unit_is_excluded_from_the_day_it_is_retired(session, b):
    u1 = f.unit(session, b, 1, "01", 100)
    u2 = f.unit(session, b, 1, "02", 300, retired_on=date(2026, 6, 30))
    f.lease(session, f.company(session), b, [u1, u2], date(2026, 1, 1))
    # 06-29: leasable 400, occupied 400
    assert occ(session, date(2026, 6, 29), b).leasable_area == D("400")
    assert occ(session, date(2026, 6, 29), b).occupied_area == D("400")
    # 06-30 (retired on or before D): leasable 100, occupied 100 — the lease's 300 m² is gone too
    on = occ(session, date(2026, 6, 30), b)
    assert on.leasable_area == D("100")
    assert on.occupied_area == D("100")
    assert on.occupancy == 1.0


def test_future_unit_counts_from_its_active_from(session, b):
    f.unit(session, b, 1, "01", 100)
    f.unit(session, b, 1, "02", 300, active_from=date(2026, 7, 1))
    assert occ(session, date(2026, 6, 30), b).leasable_area == D("100")
    assert occ(session, date(2026, 7, 1), b).leasable_area == D("400")  # 100 + 300


def test_tenants_registered_tenants_and_registered_area(session, b):
    u = {n: f.unit(session, b, 1, f"0{n}", a) for n, a in [(1, 100), (2, 200), (3, 300), (4, 50), (5, 70), (6, 80)]}
    a = f.company(session, registered=True)
    b_co = f.company(session, registered=False)
    c = f.company(session, registered=True)
    f.lease(session, a, b, [u[1], u[2]], date(2026, 1, 1))  # A: one lease over two units, 300 m²
    f.lease(session, b_co, b, [u[3]], date(2026, 1, 1))  # B: not registered, 300 m²
    f.lease(session, c, b, [u[4]], date(2026, 1, 1))  # C: two leases, 50 + 70 = 120 m²
    f.lease(session, c, b, [u[5]], date(2026, 2, 1))
    on = occ(session, date(2026, 3, 31), b)
    # leasable = 100+200+300+50+70+80 = 800; occupied = 300+300+120 = 720; vacant = 80
    assert on.leasable_area == D("800")
    assert on.occupied_area == D("720")
    assert on.vacant_area == D("80")
    assert on.occupancy == pytest.approx(0.9)  # 720 ÷ 800
    assert on.tenants == 3  # A, B, C — each once
    assert on.registered_tenants == 2  # A and C
    assert on.registered_area == D("420")  # 300 + 120
    assert registered_rate(on.registered_tenants, on.tenants) == pytest.approx(2 / 3)
    assert registered_rate(0, 0) is None


def test_multi_unit_lease_counts_one_tenant(session, b):
    units = [f.unit(session, b, 3, f"0{n}", 100) for n in range(1, 5)]
    f.lease(session, f.company(session), b, units, date(2026, 1, 1))
    on = occ(session, date(2026, 3, 31), b)
    assert on.tenants == 1
    assert on.occupied_area == D("400")  # 4 × 100


def test_occupancy_is_never_above_one(session, b):
    # Bypass create_lease (as a bad import might) so one 100 m² unit is under two active leases:
    # occupied sums to 200 over a leasable 100 — the ratio must still be capped at 100 %.
    u = f.unit(session, b, 1, "01", 100)
    for _ in range(2):
        session.add(Lease(company=f.company(session), building=b, start_date=date(2026, 1, 1), units=[u]))
    session.flush()
    on = occ(session, date(2026, 3, 31), b)
    assert on.occupancy == 1.0
    assert on.vacant_area == 0


def test_building_ids_scoping(session, b):
    other = f.building(session, "B02")
    u1 = f.unit(session, b, 1, "01", 100)
    u2 = f.unit(session, other, 1, "01", 300)
    f.lease(session, f.company(session), b, [u1], date(2026, 1, 1))
    f.lease(session, f.company(session), other, [u2], date(2026, 1, 1))
    day = date(2026, 3, 31)
    everything = occupancy_on(session, day)
    assert set(everything) == {b.id, other.id}
    only_b = occupancy_on(session, day, [b.id])
    assert set(only_b) == {b.id}
    assert only_b[b.id] == everything[b.id]
    assert only_b[b.id].occupied_area == D("100")
    assert occupancy_on(session, day, [other.id])[other.id].occupied_area == D("300")
    assert occupancy_on(session, day, []) == {}


def test_several_days_in_one_call_equal_separate_calls(session, b):
    other = f.building(session, "B02")
    u1 = f.unit(session, b, 1, "01", 100)
    u2 = f.unit(session, b, 1, "02", 200, retired_on=date(2026, 5, 1))
    u3 = f.unit(session, other, 1, "01", 300, active_from=date(2026, 2, 1))
    f.unit(session, other, 1, "02", 40, self_use=True)
    f.lease(session, f.company(session), b, [u1], date(2026, 1, 15), moved_out_on=date(2026, 3, 10))
    f.lease(session, f.company(session, registered=False), b, [u1, u2], date(2026, 3, 20))
    f.lease(session, f.company(session), other, [u3], date(2026, 2, 1), date(2026, 4, 30))
    days = [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 15),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 1, 1),
    ]
    together = occupancy_on_days(session, days)
    for day in days:
        separate = occupancy_on(session, day)
        assert {bid: o for (bid, d), o in together.items() if d == day} == separate, day
    # And one hand-checked point: 2026-03-31 in B01 → 1F-01 + 1F-02 = 300 under the second lease
    assert together[(b.id, date(2026, 3, 31))].occupied_area == D("300")
    assert together[(b.id, date(2026, 3, 31))].registered_tenants == 0
    # 2026-05-31: 1F-02 retired on 05-01 → leasable 100, occupied 100
    assert together[(b.id, date(2026, 5, 31))].leasable_area == D("100")
    assert together[(b.id, date(2026, 5, 31))].occupied_area == D("100")
    # B02 on 2026-01-31: its only leasable unit exists from 02-01 → absent (no leasable units)
    assert (other.id, date(2026, 1, 31)) not in together


def test_no_days_no_figures(session, b):
    assert occupancy_on_days(session, []) == {}


def test_sql_and_model_agree_on_active_days(session, b):
    # Walk every day of March–April for a lease with an end and a move-out and compare the SQL
    # answer with Lease.is_active_on (both spell out the DESIGN.md definition).
    u = f.unit(session, b, 1, "01", 100)
    lease = f.lease(
        session, f.company(session), b, [u], date(2026, 3, 5), date(2026, 4, 20), moved_out_on=date(2026, 4, 12)
    )
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(61)]
    together = occupancy_on_days(session, days)
    for day in days:
        sql_active = together[(b.id, day)].occupied_area > 0
        assert sql_active == lease.is_active_on(day), day
        assert sql_active == (date(2026, 3, 5) <= day <= date(2026, 4, 11)), day
