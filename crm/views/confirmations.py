"""Monthly confirmation (月度填报): the manager's page to confirm last month per building, the
correction of a confirmed month, and the admin's overview of who has confirmed what."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.forms.manage import ConfirmForm, CorrectForm
from crm.models import Building
from crm.permissions import allow, visible_building_ids
from crm.services import periods as P
from crm.models.choices import MOVE_OUT_REASONS
from crm.services.confirmation import (
    confirm_month,
    confirmation_status,
    correct_month,
    due_period,
    month_checks,
    reaching_confirmed,
)
from crm.services.errors import DomainError
from crm.services.figures import visible_buildings
from crm.web.params import today
from crm.web.lookup import building_or_404
from crm.web.transaction import transaction

bp = Blueprint("confirmations", __name__)


def requested_period() -> str:
    raw = request.values.get("month", "").strip()
    if not raw:
        return due_period(today())
    try:
        return P.parse_period(raw, "month")
    except DomainError as error:
        flash(error.message, "warning")
        return due_period(today())


@bp.route("/confirmations")
@allow("confirmations.confirm")
def index():
    period = requested_period()
    buildings = visible_buildings(db.session, visible_building_ids(current_user))
    checks = month_checks(db.session, buildings, period)
    lapsed = [lease for check in checks for lease in check.lapsed]
    return render_template(
        "confirmations/index.html",
        checks=checks,
        period=period,
        due=due_period(today()),
        confirm_form=ConfirmForm(),
        correct_form=CorrectForm(),
        today=today(),
        needs_reason=reaching_confirmed(db.session, lapsed),
        move_out_reasons=MOVE_OUT_REASONS,
        back=url_for("confirmations.index", month=period),
    )


def back(period: str):
    return redirect(url_for("confirmations.index", month=period))


@bp.route("/confirmations/<code>/<period>", methods=["POST"])
@allow("confirmations.confirm")
def confirm(code, period):
    building = building_or_404(code, "confirmations.confirm")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with transaction() as saved:
        confirm_month(db.session, current_user, building, period, today())
    if not saved:
        return back(period if P.PERIOD_RE.match(period) else due_period(today()))
    flash(f"已确认 {building.name} {P.label(period)}的入驻数据", "success")
    return back(period)


@bp.route("/confirmations/<code>/<period>/correct", methods=["POST"])
@allow("confirmations.confirm")
def correct(code, period):
    building = building_or_404(code, "confirmations.confirm")
    form = CorrectForm()
    if not form.validate_on_submit():
        flash("请填写更正原因", "danger")
        return back(period if P.PERIOD_RE.match(period) else due_period(today()))
    with transaction() as saved:
        changed = correct_month(db.session, building, period, form.reason.data)
    if not saved:
        return back(period if P.PERIOD_RE.match(period) else due_period(today()))
    if changed is None:
        flash(f"{building.name} {P.label(period)}按现有租约推算的数字与已确认的一致，无需更正", "info")
    else:
        flash(f"已更正 {building.name} {P.label(period)}的入驻数据，更正记录见变更记录", "success")
    return back(period)


@bp.route("/confirmations/status")
@allow("confirmations.status")
def status():
    buildings = list(
        db.session.scalars(select(Building).options(selectinload(Building.managers)).order_by(Building.code))
    )
    grid = confirmation_status(db.session, buildings, due_period(today()), months=12)
    return render_template("confirmations/status.html", grid=grid, due=due_period(today()))
