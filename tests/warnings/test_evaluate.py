"""Evaluating the rules: each warning recorded once and told once to its owner, the owner chosen
by the rule's object, open warnings resolved when their condition goes, handling through the
states with a timeline; a tax import evaluates the tax rules at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import EarlyWarning, EarlyWarningNote, Notification, OccupancySnapshot, Reminder
from crm.services.errors import DomainError
from crm.warnings.evaluate import evaluate
from crm.warnings.handling import add_note, resolve, start_handling
from tests import factories as f

TODAY = date(2026, 11, 15)


def falling_taxpayer(session, building, name="下滑有限公司", recent=500):
    c = f.company(session, name)
    for month in (8, 9, 10):
        f.tax(session, c, f"2025-{month:02d}", 1000, building=building)
        f.tax(session, c, f"2026-{month:02d}", recent, building=building)
    return c


def warnings(session, rule=None):
    stmt = select(EarlyWarning).order_by(EarlyWarning.id)
    if rule:
        stmt = stmt.where(EarlyWarning.rule == rule)
    return list(session.scalars(stmt))


def test_a_warning_is_recorded_and_told_once_however_often_it_is_evaluated(session):
    b = f.building(session, "E01")
    manager = f.user(session, "mgr", "manager", [b])
    c = falling_taxpayer(session, b)

    first = evaluate(session, TODAY, ["tax_drop"])
    second = evaluate(session, TODAY, ["tax_drop"])
    assert (first.created, second.created) == ({"tax_drop": 1}, {"tax_drop": 0})
    [w] = warnings(session)
    assert (w.object_id, w.owner_id, w.state, w.period, w.building_id) == (c.id, manager.id, "pending", "2026-10", b.id)
    notes = session.scalars(select(Notification).where(Notification.recipient_id == manager.id)).all()
    assert [(n.kind, n.link) for n in notes] == [("warning", f"/warnings/{w.id}")]
    assert "大户税收下滑" in notes[0].title and "下滑有限公司" in notes[0].body
    assert session.scalar(select(func.count(Reminder.id))) == 1


def test_owner_promoter_of_the_portfolio_then_the_manager_then_an_admin(session):
    kept, unkept = f.building(session, "E02"), f.building(session, "E03")
    manager = f.user(session, "mgr", "manager", [kept])
    promoter = f.user(session, "pro", "promoter")
    admin = f.user(session, "adm", "admin")
    landed = falling_taxpayer(session, kept, "落地企业有限公司")
    f.lead(session, promoter, "落地企业有限公司", stage="settled", company_id=landed.id, landed_on=date(2026, 3, 1))
    plain = falling_taxpayer(session, kept, "楼内企业有限公司")
    orphan = falling_taxpayer(session, unkept, "无人管企业有限公司")

    evaluate(session, TODAY, ["tax_drop"])
    owners = {w.object_id: w.owner_id for w in warnings(session)}
    assert owners == {landed.id: promoter.id, plain.id: manager.id, orphan.id: admin.id}


def test_open_warnings_resolve_themselves_when_the_condition_goes(session):
    b = f.building(session, "E04")
    f.user(session, "adm", "admin")
    c1, c2 = falling_taxpayer(session, b, "甲有限公司"), falling_taxpayer(session, b, "乙有限公司")
    evaluate(session, TODAY, ["tax_drop"])
    one, two = warnings(session)
    start_handling(session, two, None, "已约谈")
    # November's tax arrives: 甲 recovers (Sep–Nov 2,500 against 3,000 a year ago: 16.7 %), 乙 does not.
    f.tax(session, c1, "2025-11", 1000, building=b)
    f.tax(session, c1, "2026-11", 2000, building=b)
    f.tax(session, c2, "2025-11", 1000, building=b)
    f.tax(session, c2, "2026-11", 500, building=b)

    outcome = evaluate(session, date(2026, 12, 15), ["tax_drop"])
    session.expire_all()
    assert (outcome.created, outcome.auto_resolved) == ({"tax_drop": 0}, {"tax_drop": 1})
    assert (one.state, one.resolved_on) == ("auto_resolved", "2026-12-15")
    assert two.state == "handling"  # still holds in November: the open warning covers it, none new
    assert two.figures["month"] == "2026-11"  # with today's figures
    assert [(n.from_state, n.to_state) for n in one.notes] == [("pending", "auto_resolved")]


def test_a_resolved_warning_is_not_raised_again_for_the_same_period(session):
    b = f.building(session, "E05")
    f.user(session, "adm", "admin")
    falling_taxpayer(session, b)
    evaluate(session, TODAY, ["tax_drop"])
    [w] = warnings(session)
    resolve(session, w, None, "stabilised", "企业称四季度回款", TODAY)
    assert evaluate(session, TODAY, ["tax_drop"]).created == {"tax_drop": 0}
    assert [x.state for x in warnings(session)] == ["resolved"]


def test_handling_steps_refuse_what_the_state_does_not_allow(session):
    b = f.building(session, "E06")
    user = f.user(session, "mgr", "manager", [b])
    falling_taxpayer(session, b)
    evaluate(session, TODAY, ["tax_drop"])
    [w] = warnings(session)
    with pytest.raises(DomainError) as error:
        resolve(session, w, user, "", "", TODAY)
    assert error.value.field == "reason"
    with pytest.raises(DomainError) as error:
        resolve(session, w, user, "other", "  ", TODAY)
    assert (error.value.field, error.value.message) == ("note", "解除原因为“其他”时，请在处置说明中写明原因")
    start_handling(session, w, user, "电话联系财务")
    with pytest.raises(DomainError):
        start_handling(session, w, user, "")
    add_note(session, w, user, "已上门走访")
    resolve(session, w, user, "renewed", "签了三年", TODAY)
    with pytest.raises(DomainError):
        resolve(session, w, user, "renewed", "", TODAY)
    timeline = session.scalars(
        select(EarlyWarningNote).where(EarlyWarningNote.warning_id == w.id).order_by(EarlyWarningNote.id)
    ).all()
    assert [(n.from_state, n.to_state, n.text) for n in timeline] == [
        ("pending", "handling", "电话联系财务"),
        (None, None, "已上门走访"),
        ("handling", "resolved", "已续约：签了三年"),
    ]
    assert (w.state, w.resolve_reason, w.resolve_note, w.resolved_by_id) == ("resolved", "renewed", "签了三年", user.id)


def test_confirming_the_month_resolves_the_unconfirmed_warning(session):
    from datetime import datetime, timezone

    b = f.building(session, "E07")
    f.user(session, "adm", "admin")
    for period in ("2026-08", "2026-09"):
        session.add(
            OccupancySnapshot(
                building_id=b.id,
                period=period,
                leasable_area=0,
                occupied_area=0,
                vacant_area=0,
                tenants=0,
                registered_tenants=0,
                confirmed_at=datetime.now(timezone.utc),
            )
        )
    session.flush()
    evaluate(session, date(2026, 11, 11), ["unconfirmed"])
    [w] = warnings(session)
    session.add(
        OccupancySnapshot(
            building_id=b.id,
            period="2026-10",
            leasable_area=0,
            occupied_area=0,
            vacant_area=0,
            tenants=0,
            registered_tenants=0,
            confirmed_at=datetime.now(timezone.utc),
        )
    )
    session.flush()
    assert evaluate(session, date(2026, 11, 12), ["unconfirmed"]).auto_resolved == {"unconfirmed": 1}
    session.refresh(w)
    assert w.state == "auto_resolved"


def test_a_tax_import_evaluates_the_tax_rules(session):
    from crm.io.imports import import_now

    b = f.building(session, "E08")
    admin = f.user(session, "adm", "admin")
    c = f.company(session, "导入企业有限公司")
    for month in (8, 9, 10):
        f.tax(session, c, f"2025-{month:02d}", 1000, building=b)
    session.commit()
    text = "统一社会信用代码,所属期,全口径税收\n" + "".join(f"{c.uscc},2026-{m:02d},100\n" for m in (8, 9, 10))
    plan, batch = import_now(session, admin, "tax", "tax.csv", text.encode("utf-8"), TODAY)
    assert batch is not None, plan.errors
    [w] = warnings(session, "tax_drop")
    assert (w.object_id, w.figures["drop_pct"], w.owner_id) == (c.id, 90.0, admin.id)


def test_an_outflow_warning_stays_open_after_the_look_back_while_the_company_is_still_gone(session):
    b = f.building(session, "E09")
    f.user(session, "adm", "admin")
    u = f.unit(session, b, 1, "01", 100)
    gone = f.company(session, "迁走有限公司")
    f.lease(session, gone, b, [u], date(2024, 1, 1), None, moved_out_on=date(2026, 11, 10))
    evaluate(session, TODAY, ["outflow"])
    [w] = warnings(session)
    later = evaluate(session, date(2027, 1, 20), ["outflow"])  # 71 days on: outside the 30-day window
    assert later.auto_resolved == {"outflow": 0} and w.state == "pending"
    f.lease(session, gone, b, [u], date(2027, 1, 15))  # back in the district
    assert evaluate(session, date(2027, 1, 20), ["outflow"]).auto_resolved == {"outflow": 1}
