"""The change history: who, when (UTC), and each field's old and new value, for every write path."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from crm.models import ChangeLog, Company, Unit, UnitSelfUse
from crm.services.timeline import building_timeline, company_timeline, field_changes, object_timeline
from tests import factories as f


def log_of(session, object_type, object_id):
    return list(
        session.scalars(
            select(ChangeLog)
            .where(ChangeLog.object_type == object_type, ChangeLog.object_id == object_id)
            .order_by(ChangeLog.id)
        )
    )


def test_create_records_who_and_when_but_no_field_change(session):
    actor = f.user(session, "ly", "manager")
    session.info["actor_id"] = actor.id
    b = f.building(session, "H01")
    u = f.unit(session, b, 3, "01", 120)
    session.commit()
    [entry] = log_of(session, "unit", u.id)
    assert entry.action == "create" and entry.changes == {}
    assert entry.actor_id == actor.id and entry.building_id == b.id and entry.label == "3F-01"
    assert abs(entry.occurred_utc - datetime.now(timezone.utc)) < timedelta(minutes=1)
    session.info.pop("actor_id")


def test_update_records_only_the_fields_that_changed_with_old_and_new(session):
    b = f.building(session, "H01")
    u = f.unit(session, b, 3, "01", 120)
    session.commit()  # expires u: the old value must still be captured
    u.area = Decimal("150.5")
    u.number = "01"  # same value typed again
    session.commit()
    entries = log_of(session, "unit", u.id)
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"area": ["120", "150.5"]}


def test_saving_unchanged_values_records_nothing(session):
    b = f.building(session, "H01")
    u = f.unit(session, b, 3, "01", "120.00")
    session.commit()
    u.area = Decimal("120")  # the same area written differently
    u.self_use = False
    session.commit()
    assert [e.action for e in log_of(session, "unit", u.id)] == ["create"]


def test_delete_is_recorded(session):
    c = f.company(session, "将删除有限公司")
    session.commit()
    cid = c.id
    session.delete(c)
    session.commit()
    assert [e.action for e in log_of(session, "company", cid)] == ["create", "delete"]
    assert log_of(session, "company", cid)[1].label == "将删除有限公司"


def test_lease_move_out_is_in_the_building_and_company_timelines(session):
    b = f.building(session, "H01")
    u = f.unit(session, b)
    c = f.company(session, "迁出测试有限公司")
    lease = f.lease(session, c, b, [u], date(2026, 1, 1))
    session.commit()
    lease.moved_out_on = date(2026, 9, 1)
    lease.move_out_reason = "到期"
    session.commit()
    building_entries = building_timeline(session, b.id)
    assert [(e.object_type, e.action) for e in building_entries] == [
        ("lease", "update"),
        ("lease", "create"),
        ("unit", "create"),
        ("building", "create"),
    ]
    changes = {c.label: (c.old, c.new) for c in field_changes(building_entries[0])}
    assert changes == {"迁出日期": ("（空）", "2026-09-01"), "迁出原因": ("（空）", "到期")}
    assert [e.object_type for e in company_timeline(session, c.id)] == ["lease", "lease", "company"]
    assert len(object_timeline(session, "lease", lease.id)) == 2


def test_bulk_writes_are_covered_too(session):
    """An import adding many records in one flush logs each of them, in one statement."""
    b = f.building(session, "H01")
    session.add_all([Unit(building=b, floor=2, number=f"{n:02d}", area=Decimal(50)) for n in range(1, 31)])
    session.commit()
    count = session.scalar(
        select(ChangeLog.id).where(ChangeLog.object_type == "unit").order_by(ChangeLog.id.desc()).limit(1)
    )
    assert len(building_timeline(session, b.id, "unit")) == 30 and count is not None
    assert session.scalar(select(Company.id)) is None


def test_a_lease_s_units_and_a_unit_s_self_use_are_logged_where_a_reader_looks(session):
    b = f.building(session, "H01")
    u1, u2 = f.unit(session, b, 3, "01", 120), f.unit(session, b, 3, "02", 80)
    lease = f.lease(session, f.company(session), b, [u1], date(2026, 1, 1))
    session.commit()
    lease.units = [u1, u2]
    session.commit()
    assert log_of(session, "lease", lease.id)[-1].changes == {"units": ["3F-01", "3F-01、3F-02"]}
    period = UnitSelfUse(unit=u2, start_date=date(2027, 1, 1))
    session.add(period)
    session.commit()
    period.end_date = date(2027, 6, 30)
    session.commit()
    assert [(e.action, e.changes) for e in log_of(session, "unit", u2.id)[1:]] == [
        ("update", {"self_use": [False, True], "self_use_start": [None, "2027-01-01"]}),
        ("update", {"self_use_end": [None, "2027-06-30"]}),
    ]
    labels = [c.label for c in field_changes(log_of(session, "unit", u2.id)[1])]
    assert labels == ["自用", "自用起始日期"]
