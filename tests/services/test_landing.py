"""Landing: the promoter records the move-in, the manager confirms, the lease and occupancy follow."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import Company, Lease, MoveInRequest
from crm.services.errors import DomainError
from crm.services.landing import LandingInput, confirm_move_in, record_landing, reject_move_in
from crm.services.matching import reserve_units
from crm.services.occupancy import occupancy_on
from tests import factories as f

TODAY = date(2026, 11, 15)
USCC = "91210200241281392F"


@pytest.fixture()
def scene(session):
    zs, ly = f.user(session, "zs", "promoter"), f.user(session, "ly", "manager")
    b = f.building(session, "A01", "甲大厦")
    u1, u2, u3 = (f.unit(session, b, 8, n, 300) for n in ("01", "02", "03"))
    f.lease(session, f.company(session, "在驻公司"), b, [u3], date(2025, 1, 1))
    lead = f.lead(
        session, zs, "大连落地软件有限公司", stage="registered", industry_group="数字技术服务", hq_type="regional"
    )
    return {"zs": zs, "ly": ly, "b": b, "units": (u1, u2, u3), "lead": lead}


def landing(scene, units, uscc=USCC, start=date(2026, 12, 1)):
    return LandingInput(building_id=scene["b"].id, unit_ids=[u.id for u in units], start_date=start, uscc=uscc)


def test_land_then_confirm_creates_company_lease_and_settles(session, scene):
    u1, u2, _ = scene["units"]
    request = record_landing(session, scene["lead"], landing(scene, [u1, u2]), scene["zs"], TODAY)
    company = request.company
    assert (company.name, company.uscc, company.industry_group, company.hq_type) == (
        "大连落地软件有限公司",
        USCC,
        "数字技术服务",
        "regional",
    )
    assert company.registered_building == scene["b"] and scene["lead"].company == company
    assert request.status == "pending" and scene["lead"].stage == "registered"
    assert session.scalar(select(func.count()).select_from(Lease)) == 1  # nothing let before the manager confirms

    lease = confirm_move_in(session, request, scene["ly"], TODAY)
    assert {u.id for u in lease.units} == {u1.id, u2.id} and lease.start_date == date(2026, 12, 1)
    assert request.status == "confirmed" and request.lease == lease and request.decided_by_id == scene["ly"].id
    assert scene["lead"].stage == "settled" and scene["lead"].landed_on == TODAY
    occupied = occupancy_on(session, date(2026, 12, 1))[scene["b"].id]
    assert occupied.occupied_area == 900 and occupied.leasable_area == 900  # 300 + 300 + the old tenant's 300


def test_units_not_vacant_on_the_date_are_refused_and_nothing_is_written(session, scene):
    _, _, let = scene["units"]
    with pytest.raises(DomainError, match="不是空置的") as error:
        record_landing(session, scene["lead"], landing(scene, [let]), scene["zs"], TODAY)
    assert error.value.field == "unit_ids"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(MoveInRequest)) == 0
    assert session.scalar(select(func.count()).select_from(Company).where(Company.uscc == USCC)) == 0


def test_bad_uscc_and_early_stage_are_refused(session, scene):
    u1 = scene["units"][0]
    with pytest.raises(DomainError, match="校验位错误") as error:
        record_landing(session, scene["lead"], landing(scene, [u1], uscc="91310110666007217U"), scene["zs"], TODAY)
    assert error.value.field == "uscc"
    early = f.lead(session, scene["zs"], "早期项目", stage="negotiation")
    with pytest.raises(DomainError, match="注册落地"):
        record_landing(session, early, landing(scene, [u1]), scene["zs"], TODAY)


def test_units_let_in_between_stop_the_confirmation(session, scene):
    u1 = scene["units"][0]
    request = record_landing(session, scene["lead"], landing(scene, [u1]), scene["zs"], TODAY)
    f.lease(session, f.company(session, "抢先入驻公司"), scene["b"], [u1], date(2026, 11, 20))
    with pytest.raises(DomainError, match="抢先入驻公司"):
        confirm_move_in(session, request, scene["ly"], TODAY)
    assert request.status == "pending" and scene["lead"].stage == "registered"


def test_units_held_for_another_lead_are_refused(session, scene):
    u1 = scene["units"][0]
    other = f.lead(session, scene["zs"], "别的项目", stage="visit")
    reserve_units(session, other, [u1.id], date(2026, 12, 31), scene["zs"], TODAY)
    with pytest.raises(DomainError, match="已为其他项目预留"):
        record_landing(session, scene["lead"], landing(scene, [u1]), scene["zs"], TODAY)


def test_reject_needs_a_reason(session, scene):
    request = record_landing(session, scene["lead"], landing(scene, [scene["units"][0]]), scene["zs"], TODAY)
    with pytest.raises(DomainError, match="说明原因"):
        reject_move_in(session, request, scene["ly"], " ")
    reject_move_in(session, request, scene["ly"], "单元号有误")
    assert request.status == "rejected" and request.note == "单元号有误" and scene["lead"].stage == "registered"
