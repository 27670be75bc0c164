"""A building manager's work on a building: units, move-ins, move-outs, renewals, expiries.

Every write route is for the building's managers and admins (``buildings.manage``). Ids a form
names — units ticked, the lease in the URL — are checked one by one against the user's rights
(``ensure`` logs each refusal), so a changed id or hidden field gets a 403 and changes nothing.
A refused operation (DomainError) rolls back and shows its message beside the field it names;
a save on an out-of-date form (a version column) is refused with what the other person changed.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.extensions import db
from crm.forms.manage import (
    AddUnitForm,
    EditUnitForm,
    MergeForm,
    MoveInForm,
    MoveOutForm,
    OpenEndedForm,
    RenewForm,
    RetireForm,
    SelfUseForm,
    SplitForm,
)
from crm.models import Building, Lease, Unit
from crm.permissions import allow, ensure, visible_building_ids
from crm.web.security import safe_redirect_target
from crm.services.expiries import LARGE_TAXPAYER, WINDOWS, expiring, overdue, tax_months, window_days
from crm.services import moves, typed, unit_ops
from crm.services.bounds import MAX_ID, QueryReader, check_day
from crm.services.errors import DomainError
from crm.services.self_use import describe, period_on, periods_of
from crm.services.timeline import object_timeline
from crm.services.units import floors, unit_states
from crm.views.manage_panel import manageable
from crm.web.lookup import building_or_404
from crm.web.params import today
from crm.web.transaction import transaction

bp = Blueprint("manage", __name__)


def managed_building(code: str) -> Building:
    return building_or_404(code, "buildings.manage")


def owned(obj, building: Building):
    """``obj`` (a unit or lease) when the user may manage it and it belongs to ``building``."""
    if obj is None:
        abort(404)
    ensure("buildings.manage", obj)  # a manager naming another building's record: 403, logged
    if obj.building_id != building.id:
        abort(404)
    return obj


def units_named_in_form(building: Building) -> list[Unit]:
    """The units ticked in the form (``units`` ids), each checked like ``owned``."""
    units = []
    for raw in request.form.getlist("units"):
        if not raw.isdecimal() or not 1 <= int(raw) <= MAX_ID:
            abort(400)
        units.append(owned(db.session.get(Unit, int(raw)), building))
    return units


def back_to(building: Building):
    return redirect(url_for("buildings.show", code=building.code))


@bp.route("/buildings/<code>/units")
@allow("buildings.view")
def units(code):
    # Everyone who sees the building reads its units; the write links show to its keepers only.
    building = building_or_404(code, "buildings.view")
    day = today()
    states = unit_states(db.session, building, day)
    return render_template(
        "manage/units.html",
        building=building,
        states=states,
        floors=floors(states),
        today=day,
        leasable=unit_ops.register_leasable_area(db.session, building, day),
        back=this_page(),
        can_manage=manageable(building),
    )


@bp.route("/buildings/<code>/units/new", methods=["GET", "POST"])
@allow("buildings.manage")
def add_unit(code):
    building = managed_building(code)
    form = AddUnitForm()
    if request.method == "GET":
        form.on.data = today()
        form.floor.data = request.args.get("floor", type=int)
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            unit = unit_ops.add_unit(
                db.session,
                building,
                form.floor.data,
                form.number.data,
                form.area.data,
                form.on.data,
                form.self_use.data,
                form.correction_reason.data,
            )
            label = unit.label
        if saved:
            flash(f"已添加单元 {label}", "success")
            return redirect(url_for("manage.units", code=building.code))
    return render_template("manage/add_unit.html", building=building, form=form)


@bp.route("/buildings/<code>/units/<int:unit_id>", methods=["GET", "POST"])
@allow("buildings.manage")
def unit(code, unit_id):
    building = managed_building(code)
    unit = owned(db.session.get(Unit, unit_id), building)
    form = EditUnitForm(obj=unit if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = unit.version
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            unit_ops.update_unit(
                db.session,
                unit,
                form.version.data,
                form.area.data,
                form.reserved_until.data,
                today(),
                form.correction_reason.data,
            )
            label = unit.label
        if saved:
            flash(f"已保存单元 {label}", "success")
            return redirect(url_for("manage.unit", code=building.code, unit_id=unit_id))
        if saved.error.field == "version":
            reload_unit_form(form, db.session.get(Unit, unit_id))
    return render_unit(building, unit_id, form, SelfUseForm(formdata=None))


@bp.route("/buildings/<code>/units/<int:unit_id>/self-use", methods=["POST"])
@allow("buildings.manage")
def self_use(code, unit_id):
    """Mark a unit self-use from a day, or end its self-use on a day."""
    building = managed_building(code)
    unit = owned(db.session.get(Unit, unit_id), building)
    form = SelfUseForm()
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            if form.action.data == "end":
                unit_ops.end_self_use(db.session, unit, form.self_use_until.data, form.correction_reason.data)
            else:
                unit_ops.start_self_use(
                    db.session, unit, form.self_use_from.data, form.self_use_until.data, form.correction_reason.data
                )
            label = unit.label
        if saved:
            flash(f"已登记单元 {label} 的自用期", "success")
            return redirect(url_for("manage.unit", code=building.code, unit_id=unit_id))
    unit = db.session.get(Unit, unit_id)
    edit = EditUnitForm(obj=unit)
    edit.version.data = unit.version
    return render_unit(building, unit_id, edit, form)


def render_unit(building: Building, unit_id: int, form: EditUnitForm, self_use_form: SelfUseForm):
    unit = db.session.get(Unit, unit_id)
    day = today()
    state = next((s for s in unit_states(db.session, building, day) if s.unit.id == unit.id), None)
    periods = periods_of(db.session, [unit.id]).get(unit.id, [])
    current = period_on(periods, day) or next((p for p in periods if p.end_date is None), None)
    if self_use_form.action.data != "end" and not self_use_form.errors and current is not None:
        self_use_form.action.data = "end"
    if self_use_form.action.data == "start" and self_use_form.self_use_from.data is None:
        self_use_form.self_use_from.data = day
    return render_template(
        "manage/unit.html",
        building=building,
        unit=unit,
        state=state,
        form=form,
        self_use_form=self_use_form,
        self_use_periods=periods,
        current_self_use=current,
        describe_self_use=describe,
        history=object_timeline(db.session, "unit", unit.id, limit=20),
    )


def reload_unit_form(form: EditUnitForm, unit: Unit) -> None:
    """Show the values now saved, with their version, after a stale save was refused."""
    form.version.data = unit.version
    form.area.data = str(unit.area)
    form.reserved_until.data = unit.reserved_until


@bp.route("/buildings/<code>/units/<int:unit_id>/split", methods=["GET", "POST"])
@allow("buildings.manage")
def split_unit(code, unit_id):
    building = managed_building(code)
    unit = owned(db.session.get(Unit, unit_id), building)
    form = SplitForm()
    if request.method == "GET":
        form.on.data = today()
        form.parts[0].number.data, form.parts[1].number.data = f"{unit.number}A", f"{unit.number}B"
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            parts = unit_ops.parse_parts((p.number.data, p.area.data) for p in form.parts)
            made = unit_ops.split_unit(db.session, unit, form.on.data, parts, form.correction_reason.data)
            labels = "、".join(u.label for u in made)
        if saved:
            flash(f"已拆分为 {labels}", "success")
            return redirect(url_for("manage.units", code=building.code))
    unit = db.session.get(Unit, unit_id)
    return render_template("manage/split.html", building=building, unit=unit, form=form)


@bp.route("/buildings/<code>/units/merge", methods=["GET", "POST"])
@allow("buildings.manage")
def merge_units(code):
    building = managed_building(code)
    form = MergeForm()
    chosen_ids = set()
    if request.method == "GET":
        form.on.data = today()
        chosen_ids = set(QueryReader(request.args).ids("units"))
    else:
        chosen = units_named_in_form(building)
        chosen_ids = {u.id for u in chosen}
        if form.validate_on_submit():
            with transaction(form, top="form") as saved:
                merged = unit_ops.merge_units(
                    db.session, building, chosen, form.on.data, form.number.data, form.correction_reason.data
                )
                label = merged.label
            if saved:
                flash(f"已合并为单元 {label}", "success")
                return redirect(url_for("manage.units", code=building.code))
    states = unit_states(db.session, building, today())
    return render_template(
        "manage/merge.html",
        building=building,
        form=form,
        floors=floors(states),
        chosen_ids=chosen_ids,
    )


@bp.route("/buildings/<code>/units/<int:unit_id>/retire", methods=["GET", "POST"])
@allow("buildings.manage")
def retire_unit(code, unit_id):
    building = managed_building(code)
    unit = owned(db.session.get(Unit, unit_id), building)
    form = RetireForm()
    if request.method == "GET":
        form.on.data = today()
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            unit_ops.retire_unit(db.session, unit, form.on.data, form.correction_reason.data)
            label = unit.label
        if saved:
            flash(f"单元 {label} 已停用", "success")
            return redirect(url_for("manage.units", code=building.code))
    unit = db.session.get(Unit, unit_id)
    return render_template("manage/retire.html", building=building, unit=unit, form=form)


@bp.route("/buildings/<code>/move-in", methods=["GET", "POST"])
@allow("buildings.manage")
def move_in(code):
    building = managed_building(code)
    form = MoveInForm()
    chosen_ids = set()
    if request.method == "GET":
        form.start_date.data = today()
        chosen_ids = set(QueryReader(request.args).ids("unit"))
    else:
        chosen = units_named_in_form(building)
        chosen_ids = {u.id for u in chosen}
        if form.validate_on_submit():
            details = moves.NewCompany(
                form.uscc.data or "", form.registered_in_district.data, form.industry_group.data or ""
            )
            with transaction(form, top="form") as saved:
                lease = moves.move_in(
                    db.session,
                    building,
                    form.company.data,
                    chosen,
                    form.start_date.data,
                    form.end_date.data,
                    details,
                    form.correction_reason.data,
                )
                name, labels = lease.company.name, "、".join(u.label for u in lease.units)
            if saved:
                flash(f"已登记 {name} 入驻 {labels}", "success")
                return redirect(
                    safe_redirect_target(request.args.get("next"), url_for("buildings.show", code=building.code))
                )
    day = form.start_date.data or picker_day()
    states = unit_states(db.session, building, day)
    return render_template(
        "manage/move_in.html",
        building=building,
        form=form,
        floors=floors(states),
        chosen_ids=chosen_ids,
        day=day,
        back=safe_redirect_target(request.args.get("next"), None),
    )


@bp.route("/buildings/<code>/walk")
@allow("buildings.manage")
def walk(code):
    """巡楼: a manager walking the building on a phone — pick a floor, then act on its units
    (move in, move out, or open the unit to end a reservation or self-use), and come back here."""
    building = managed_building(code)
    day = today()
    by_floor = floors(unit_states(db.session, building, day))
    floor = request.args.get("floor", type=int)
    numbers = [number for number, _ in by_floor]
    if floor not in numbers:
        floor = None
    at = numbers.index(floor) if floor is not None else None
    return render_template(
        "manage/walk.html",
        building=building,
        floors=by_floor,
        floor=floor,
        today=day,
        states=by_floor[at][1] if at is not None else [],
        above=numbers[at - 1] if at else None,
        below=numbers[at + 1] if at is not None and at + 1 < len(numbers) else None,
        back=this_page(),
    )


def picker_day() -> date:
    """The day the unit picker shows: ``?on=`` (typed any accepted way), else today."""
    raw = request.args.get("on", "")
    try:
        return check_day(typed.day_of(raw), "日期", "on") if raw.strip() else today()
    except (typed.Unreadable, DomainError):
        return today()


@bp.route("/buildings/<code>/move-in/units")
@allow("buildings.manage")
def move_in_units(code):
    """The move-in form's unit picker for ``?on=`` (the start date typed): each unit's status on
    that day, so a unit let until the day before shows as vacant. The form swaps it in when the
    date changes, keeping the ticked ``unit`` ids."""
    building = managed_building(code)
    day = picker_day()
    chosen_ids = set(QueryReader(request.args).ids("unit"))
    return render_template(
        "manage/_unit_picker.html",
        floors=floors(unit_states(db.session, building, day)),
        chosen_ids=chosen_ids,
        day=day,
    )


def lease_form_page(code, lease_id, form_class, template, action, success):
    """Move-out, renewal and 转不定期 share their shape: a lease, a version, a service call. A
    ``next`` path in the query string (the confirmation or expiries page) is where success
    returns to."""
    building = managed_building(code)
    lease = owned(db.session.get(Lease, lease_id), building)
    form = form_class()
    day = today()
    if request.method == "GET":
        form.version.data = lease.version
        if isinstance(form, MoveOutForm):
            form.moved_out_on.data = default_move_out(lease, day)
        elif isinstance(form, RenewForm):
            form.end_date.data = lease.end_date
    if form.validate_on_submit():
        with transaction(form, top="form") as saved:
            note = action(lease, form)
            name = lease.company.name
        if saved:
            flash(success.format(name=name) + (note or ""), "success")
            return redirect(
                safe_redirect_target(request.args.get("next"), url_for("buildings.show", code=building.code))
            )
        if saved.error.field == "version":
            form.version.data = db.session.get(Lease, lease_id).version
    lease = db.session.get(Lease, lease_id)
    return render_template(
        template,
        building=building,
        lease=lease,
        form=form,
        today=day,
        lapsed=moves.is_lapsed(lease, day),
        back=safe_redirect_target(request.args.get("next"), None),
    )


def default_move_out(lease: Lease, day: date) -> date:
    """Today — or, for a lease that ran out, the day after its end (the company left at the end)."""
    if moves.is_lapsed(lease, day):
        return lease.end_date + timedelta(days=1)
    return day


@bp.route("/buildings/<code>/leases/<int:lease_id>/move-out", methods=["GET", "POST"])
@allow("buildings.manage")
def move_out(code, lease_id):
    def record(lease, form):
        end = lease.end_date
        moves.move_out(
            db.session, lease, form.version.data, form.moved_out_on.data, form.reason.data, form.correction_reason.data
        )
        if lease.end_date != end:
            return f"；企业在到期后继续使用，到期日已顺延至 {lease.end_date}"
        return None

    return lease_form_page(code, lease_id, MoveOutForm, "manage/move_out.html", record, "已登记 {name} 迁出")


@bp.route("/buildings/<code>/leases/<int:lease_id>/renew", methods=["GET", "POST"])
@allow("buildings.manage")
def renew(code, lease_id):
    def record(lease, form):
        moves.renew(db.session, lease, form.version.data, form.end_date.data, form.correction_reason.data, today())

    return lease_form_page(code, lease_id, RenewForm, "manage/renew.html", record, "已为 {name} 续租")


@bp.route("/buildings/<code>/leases/<int:lease_id>/open-ended", methods=["GET", "POST"])
@allow("buildings.manage")
def open_ended(code, lease_id):
    def record(lease, form):
        moves.make_open_ended(db.session, lease, form.version.data, form.correction_reason.data)

    return lease_form_page(
        code, lease_id, OpenEndedForm, "manage/open_ended.html", record, "已将 {name} 的租约转为不定期"
    )


@bp.route("/buildings/<code>/expiries")
@allow("expiries.view")
def expiries(code):
    building = building_or_404(code)
    return render_expiries(building=building, building_ids=[building.id])


@bp.route("/expiries")
@allow("expiries.view")
def district_expiries():
    return render_expiries(building=None, building_ids=visible_building_ids(current_user))


def render_expiries(building, building_ids):
    day = today()
    days = window_days(request.args.get("within"))
    ids = None if building_ids is None else list(building_ids)
    tax_of = visible_building_ids(current_user)  # a manager sees a tenant's tax of their buildings only
    return render_template(
        "manage/expiries.html",
        building=building,
        days=days,
        windows=WINDOWS,
        today=day,
        rows=expiring(db.session, day, days, ids, tax_of),
        overdue=overdue(db.session, day, ids, tax_of),
        tax_months=tax_months(day),
        large=LARGE_TAXPAYER,
        manageable=manageable,
        back=this_page(),
    )


def this_page() -> str:
    """The current page's path and query, for a form to come back to."""
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")
