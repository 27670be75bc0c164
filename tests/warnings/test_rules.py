"""Each warning rule against a hand-made world, with the values on both sides of its threshold:
a 30.0 % tax drop warns and 29.9 % does not, a lease ending in 180 days warns and 181 does not,
a fall of 5.0 occupancy points warns and 4.9 does not, a month unconfirmed on day 11 after its
end warns and on day 10 does not; a tier projection exactly at its threshold does not warn."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import time_machine

from crm.models import OccupancySnapshot
from crm.warnings.rules import find
from crm.warnings.settings import update_warning_settings, warning_settings
from tests import factories as f

TODAY = date(2026, 11, 15)


def found(session, rule, today=TODAY):
    return {w.object_id: w for w in find(session, today, warning_settings(session), [rule])[rule]}


def monthly(session, company, building, first_year, months, amount):
    for month in months:
        f.tax(session, company, f"{first_year}-{month:02d}", amount, building=building)


# --------------------------------------------------------------------------------------------


def test_tax_drop_warns_from_thirty_percent(session):
    b = f.building(session, "T01")
    at_30, at_29_9, growing = (f.company(session, n) for n in ("降三成有限公司", "降二九有限公司", "增长有限公司"))
    for c in (at_30, at_29_9, growing):
        monthly(session, c, b, 2025, (8, 9, 10), 1000)  # a year ago: 3,000 each
    monthly(session, at_30, b, 2026, (8, 9, 10), 700)  # 2,100: (3000 − 2100) ÷ 3000 = 30.0 %
    monthly(session, at_29_9, b, 2026, (8, 9), 700)
    f.tax(session, at_29_9, "2026-10", 703)  # 2,103: 29.9 %
    monthly(session, growing, b, 2026, (8, 9, 10), 1200)

    warned = found(session, "tax_drop")
    assert set(warned) == {at_30.id}
    w = warned[at_30.id]
    assert (w.period, w.figures["drop_pct"], w.figures["recent_tax"], w.figures["year_ago_tax"]) == (
        "2026-10",
        30.0,
        2100.0,
        3000.0,
    )
    assert w.building_id == b.id and w.severity == "medium"
    assert w.tax_at_stake == Decimal("2100")  # its last 12 months: 2025-11..2026-10


def test_tax_drop_only_for_the_top_taxpayers(session):
    b = f.building(session, "T02")
    falling, bigger = f.company(session, "下滑有限公司"), f.company(session, "更大有限公司")
    monthly(session, falling, b, 2025, (8, 9, 10), 1000)
    monthly(session, falling, b, 2026, (8, 9, 10), 100)
    monthly(session, bigger, b, 2026, (8, 9, 10), 5000)
    assert set(found(session, "tax_drop")) == {falling.id}
    update_warning_settings(
        session,
        {
            "warn_top_n": "1",
            "warn_tax_drop_pct": "30",
            "warn_lease_days": "180",
            "warn_occupancy_points": "5",
            "warn_confirm_days": "10",
            "warn_outflow_days": "30",
            "warn_overdue_days": "7",
        },
    )
    assert found(session, "tax_drop") == {}  # rank 2 of the last 12 months: outside the top 1


def test_lease_expiry_warns_within_180_days_without_renewal(session):
    b = f.building(session, "L01")
    u = [f.unit(session, b, 1, f"{n:02d}", 100) for n in range(1, 6)]
    big = f.company(session, "大户有限公司")
    small = f.company(session, "无税有限公司")
    f.tax(session, big, "2026-10", 50_000, building=b)
    in_180 = f.lease(session, big, b, [u[0]], date(2024, 1, 1), date(2027, 5, 14))  # 180 days from 11-15
    in_181 = f.lease(session, big, b, [u[1]], date(2024, 1, 1), date(2027, 5, 15))  # 181 days
    renewed = f.lease(session, big, b, [u[2]], date(2024, 1, 1), date(2026, 12, 31))
    f.lease(session, big, b, [u[2]], date(2027, 1, 1), date(2029, 12, 31))  # the renewal
    f.lease(session, small, b, [u[3]], date(2024, 1, 1), date(2026, 12, 1))  # not a top taxpayer

    warned = found(session, "lease_expiry")
    assert set(warned) == {in_180.id}
    assert warned[in_180.id].figures["days_left"] == 180 and warned[in_180.id].period == "2027-05-14"
    assert in_181.id not in warned and renewed.id not in warned


def test_outflow_when_a_flag_goes_or_the_last_lease_moves_out(session):
    a, b = f.building(session, "O01"), f.building(session, "O02")
    ua, ub = f.unit(session, a, 1, "01", 100), f.unit(session, b, 1, "01", 100)
    ua2 = f.unit(session, a, 1, "02", 100)
    left = f.company(session, "外迁有限公司")
    moved_within = f.company(session, "区内搬家有限公司")
    unflagged = f.company(session, "转出注册有限公司")
    f.lease(session, left, a, [ua], date(2024, 1, 1), None, moved_out_on=date(2026, 11, 10))
    f.lease(session, moved_within, a, [ua2], date(2024, 1, 1), None, moved_out_on=date(2026, 11, 10))
    f.lease(session, moved_within, b, [ub], date(2026, 11, 10))  # still in the district
    session.commit()
    with time_machine.travel(datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc), tick=False):
        unflagged.registered_in_district = False
        session.flush()

    warned = found(session, "outflow")
    assert set(warned) == {left.id, unflagged.id}
    assert warned[left.id].period == "2026-11-10" and warned[left.id].figures["moved_out"] is True
    assert warned[left.id].severity == "high"
    assert warned[unflagged.id].period == "2026-11-12"
    assert warned[unflagged.id].figures["lost_flags"] == ["registered_in_district"]
    # Registered here again: the condition is gone.
    unflagged.registered_in_district = True
    session.flush()
    assert set(found(session, "outflow")) == {left.id}


def test_occupancy_drop_warns_from_five_points(session):
    five, four_nine = f.building(session, "P01"), f.building(session, "P02")
    c1, c2, c3, c4 = (f.company(session) for _ in range(4))
    # P01: 1,000 m²; 600 let at the end of October, 550 at the end of November: 5.0 points.
    big, small, _ = (
        f.unit(session, five, 1, "01", 550),
        f.unit(session, five, 1, "02", 50),
        f.unit(session, five, 1, "03", 400),
    )
    f.lease(session, c1, five, [big], date(2024, 1, 1))
    f.lease(session, c2, five, [small], date(2024, 1, 1), None, moved_out_on=date(2026, 11, 10))
    # P02: 600 → 551 m² of 1,000: 4.9 points.
    big2, small2, _ = (
        f.unit(session, four_nine, 1, "01", 551),
        f.unit(session, four_nine, 1, "02", 49),
        f.unit(session, four_nine, 1, "03", 400),
    )
    f.lease(session, c3, four_nine, [big2], date(2024, 1, 1))
    f.lease(session, c4, four_nine, [small2], date(2024, 1, 1), None, moved_out_on=date(2026, 11, 10))

    warned = found(session, "occupancy_drop", date(2026, 12, 5))
    assert set(warned) == {five.id}
    w = warned[five.id]
    assert (w.period, w.figures["previous_rate_pct"], w.figures["rate_pct"], w.figures["drop_points"]) == (
        "2026-11",
        60.0,
        55.0,
        5.0,
    )


def test_tier_at_risk_when_the_projection_falls_below_last_years_tier(session):
    holds, slips = f.building(session, "Y01"), f.building(session, "Y02")
    for building in (holds, slips):
        c = f.company(session)
        # 2025: 8,000 万 over January–October, 2,000 万 in November–December: 1 亿, a 亿元楼.
        monthly(session, c, building, 2025, range(1, 11), 8_000_000)
        monthly(session, c, building, 2025, (11, 12), 10_000_000)
        monthly(session, c, building, 2026, range(1, 10), 8_000_000)
        # Projection = YTD × 1 亿 ÷ 8,000 万: exactly 1 亿 for Y01, 99,999,987.50 for Y02.
        f.tax(session, c, "2026-10", 8_000_000 if building is holds else 7_999_990, building=building)

    warned = found(session, "tier_at_risk")
    assert set(warned) == {slips.id}
    w = warned[slips.id]
    assert (w.figures["tier_prev"], w.figures["projection"], w.figures["gap"]) == ("yi", 99999987.5, 12.5)
    assert w.tax_at_stake == Decimal("12.50") and w.severity == "high"


def confirmed(session, building, period):
    session.add(
        OccupancySnapshot(
            building_id=building.id,
            period=period,
            leasable_area=0,
            occupied_area=0,
            vacant_area=0,
            tenants=0,
            registered_tenants=0,
            confirmed_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
        )
    )
    session.flush()


def test_unconfirmed_warns_on_the_eleventh_day_after_month_end(session):
    b, done = f.building(session, "C01"), f.building(session, "C02")
    for period in ("2026-08", "2026-09"):
        confirmed(session, b, period)
    for period in ("2026-08", "2026-09", "2026-10"):
        confirmed(session, done, period)

    assert found(session, "unconfirmed", date(2026, 11, 10)) == {}  # day 10 after October's end
    warned = found(session, "unconfirmed", date(2026, 11, 11))  # day 11
    assert set(warned) == {b.id}
    assert warned[b.id].period == "2026-10" and warned[b.id].figures["days_after_month_end"] == 11
