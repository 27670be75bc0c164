"""Move-ins and move-outs: finding or creating the company, the refusals, confirmed months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import ChangeLog, Company, Lease
from crm.services import moves
from crm.services.errors import DomainError
from crm.services.occupancy import occupancy_on
from crm.services.snapshots import occupancy_for_months, record_snapshots
from tests import factories as f

VALID = "91210200241281392F"


@pytest.fixture()
def world(session):
    b = f.building(session, "M01", declared=Decimal("1000"))
    u1, u2 = f.unit(session, b, 5, "01", 300), f.unit(session, b, 5, "02", 200)
    admin = f.user(session, "admin", "admin")
    return dict(b=b, u1=u1, u2=u2, admin=admin)


def leases(session):
    return session.scalar(select(func.count(Lease.id)))


def test_move_in_of_a_known_company_by_uscc_or_name(session, world):
    c = f.company(session, "大连海星科技有限公司")
    lease = moves.move_in(
        session, world["b"], f" {c.uscc.lower()} ", [world["u1"]], date(2026, 11, 1), date(2028, 10, 31)
    )
    assert lease.company is c and lease.units == [world["u1"]]
    lease2 = moves.move_in(session, world["b"], "大连海星科技有限公司", [world["u2"]], date(2026, 11, 1))
    assert lease2.company is c and lease2.end_date is None
    assert occupancy_on(session, date(2026, 11, 15), [world["b"].id])[world["b"].id].occupied_area == 500


def test_move_in_creates_a_new_company_with_a_valid_uscc(session, world):
    lease = moves.move_in(
        session,
        world["b"],
        "新来的有限公司",
        [world["u1"]],
        date(2026, 11, 2),
        None,
        moves.NewCompany(uscc="91210200241281392f", registered_in_district=True, industry_group="金融服务"),
    )
    c = lease.company
    assert (c.name, c.uscc, c.registered_in_district, c.industry_group) == ("新来的有限公司", VALID, True, "金融服务")


@pytest.mark.parametrize(
    "uscc, field, message",
    [
        ("", "uscc", "新登记的企业请填写统一社会信用代码"),
        ("91310110666007217U", "uscc", "校验位错误：末位应为 T"),
        ("9121020024128139", "uscc", "应为 18 位"),
    ],
)
def test_new_company_needs_a_valid_uscc(session, world, uscc, field, message):
    with pytest.raises(DomainError) as error:
        moves.move_in(
            session, world["b"], "新来的有限公司", [world["u1"]], date(2026, 11, 2), None, moves.NewCompany(uscc=uscc)
        )
    assert error.value.field == field and message in error.value.message
    assert session.scalar(select(func.count(Company.id))) == 0


def test_move_in_to_an_occupied_unit_is_refused_and_nothing_is_written(session, world):
    first = f.company(session, "先来有限公司")
    f.lease(session, first, world["b"], [world["u1"]], date(2026, 1, 1), date(2026, 12, 31))
    session.commit()
    before = leases(session)
    with pytest.raises(DomainError, match="单元 5F-01 在该期间已有有效租约（先来有限公司"):
        moves.move_in(
            session, world["b"], "后到有限公司", [world["u1"]], date(2026, 12, 1), None, moves.NewCompany(uscc=VALID)
        )
    session.rollback()
    assert leases(session) == before and session.scalar(select(Company.id).where(Company.uscc == VALID)) is None


def test_move_in_start_after_end_is_refused(session, world):
    c = f.company(session)
    with pytest.raises(DomainError) as error:
        moves.move_in(session, world["b"], c.name, [world["u1"]], date(2026, 11, 1), date(2026, 10, 1))
    assert error.value.field == "end_date" and "早于入驻日期" in error.value.message


def test_move_out_sets_the_day_and_reason(session, world):
    c = f.company(session)
    lease = f.lease(session, c, world["b"], [world["u1"]], date(2026, 1, 1))
    moves.move_out(session, lease, lease.version, date(2026, 11, 10), "迁出本区")
    assert (lease.moved_out_on, lease.move_out_reason) == (date(2026, 11, 10), "迁出本区")
    b = world["b"].id
    assert occupancy_on(session, date(2026, 11, 9), [b])[b].occupied_area == 300
    assert occupancy_on(session, date(2026, 11, 10), [b])[b].occupied_area == 0


def test_move_out_before_move_in_or_without_a_known_reason_is_refused(session, world):
    lease = f.lease(session, f.company(session), world["b"], [world["u1"]], date(2026, 6, 1))
    with pytest.raises(DomainError) as error:
        moves.move_out(session, lease, lease.version, date(2026, 5, 31), "到期")
    assert error.value.message == "迁出日期 2026-05-31 早于入驻日期 2026-06-01"
    with pytest.raises(DomainError, match="请选择迁出原因"):
        moves.move_out(session, lease, lease.version, date(2026, 7, 1), "不想租了")
    assert lease.moved_out_on is None


def test_a_stale_move_out_is_refused(session, world):
    lease = f.lease(session, f.company(session), world["b"], [world["u1"]], date(2026, 6, 1), date(2026, 12, 31))
    loaded = lease.version
    moves.renew(session, lease, loaded, date(2027, 12, 31))
    with pytest.raises(DomainError) as error:
        moves.move_out(session, lease, loaded, date(2026, 11, 1), "到期")
    assert error.value.field == "version" and "到期日期：2026-12-31 → 2027-12-31" in error.value.message


def test_change_in_a_confirmed_month_needs_a_reason_and_is_recorded_as_a_correction(session, world):
    b = world["b"]
    record_snapshots(session, ["2026-09"], [b.id], confirmed_by=world["admin"])
    c = f.company(session)
    with pytest.raises(DomainError) as error:
        moves.move_in(session, b, c.name, [world["u1"]], date(2026, 9, 20))
    assert error.value.field == "correction_reason" and "2026年9月的入驻数据已确认" in error.value.message
    assert leases(session) == 0

    moves.move_in(session, b, c.name, [world["u1"]], date(2026, 9, 20), correction_reason="9 月入驻漏登记")
    session.commit()
    figures = occupancy_for_months(session, ["2026-09"], [b.id])[(b.id, "2026-09")]
    assert figures.confirmed and figures.occupied_area == 300
    correction = session.scalar(
        select(ChangeLog).where(ChangeLog.object_type == "snapshot", ChangeLog.action == "correct")
    )
    assert correction.reason == "9 月入驻漏登记"
    assert correction.changes["occupied_area"] == ["0", "300"]


def test_a_change_after_the_confirmed_months_needs_no_reason(session, world):
    record_snapshots(session, ["2026-09"], [world["b"].id], confirmed_by=world["admin"])
    lease = moves.move_in(session, world["b"], f.company(session).name, [world["u1"]], date(2026, 10, 1))
    assert lease.id is not None
