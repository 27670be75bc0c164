"""属地化 pages: the three lists (/localisation), their export, a building's tab, and the work on
one target (owner, state, follow-ups). Thin: the lists and every rule are ``crm.services.localisation``."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.forms import select_choices
from crm.forms.localisation import FollowUpForm, OwnerForm, StateForm
from crm.io import exports
from crm.models import Building, Company, LocalisationItem, User
from crm.models.choices import HQ_TYPES
from crm.models.localisation import KIND_FLAG, KINDS, STATES
from crm.permissions import allow, ensure, may, scope_of
from crm.services import localisation
from crm.web.transaction import transaction
from crm.web.params import page_number, today

bp = Blueprint("localisation", __name__)
PER_PAGE = 50
EXPORT_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "楼宇编码",
    "楼宇",
    "街道",
    "入驻楼宇数",
    "面积（m²）",
    "租期起",
    "租期止",
    "产业类别",
    "总部类型",
    "从业人数",
    "税收影响（估算，元）",
    "近12月税收（元）",
    "状态",
    "负责人",
]


def _scope_ids():
    ids = scope_of(current_user).building_ids
    return None if ids is None else set(ids)


def _people(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _list(args, building_ids):
    kind, on, filters, query = localisation.read_filters(args, today())
    rows = localisation.targets(db.session, kind, on, building_ids, filters)
    return kind, on, filters, query, rows


@bp.route("/localisation")
@allow("localisation.view")
def index():
    building_ids = _scope_ids()
    kind, on, filters, query, rows = _list(request.args, building_ids)
    for problem in query.problems:
        flash(problem, "warning")
    page = page_number()
    pages = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(page, pages)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    buildings = list(
        db.session.execute(
            select(Building.code, Building.name, Building.street)
            .order_by(Building.code)
            .where(*(() if building_ids is None else (Building.id.in_(building_ids),)))
        )
    )
    owners = _people({r.owner_id for r in rows})
    return render_template(
        "localisation/index.html",
        kind=kind,
        kinds=KINDS,
        on=on,
        filters=filters,
        rows=shown,
        total=len(rows),
        page=page,
        pages=pages,
        args=query.kept,
        sort=filters.sort,
        descending=filters.descending,
        stake=sum((r.tax_at_stake or 0 for r in rows), 0),
        buildings=buildings,
        streets=sorted({b.street for b in buildings if b.street}),
        states=STATES,
        owners=owners,
        owner_choices=_owner_choices(),
        hq_types=HQ_TYPES,
        can_work=may(current_user, "localisation.work"),
    )


def _owner_choices() -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            select(User.id, User.display_name)
            .where(User.active.is_(True), User.role.in_(("promoter", "manager")))
            .order_by(User.role, User.username)
        )
    )


@bp.route("/localisation/export")
@allow("localisation.view")
def export():
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(400)
    kind, on, filters, _query, rows = _list(request.args, _scope_ids())
    owners = _people({r.owner_id for r in rows})
    values = (
        [
            r.company_name,
            r.uscc,
            r.building_code,
            r.building_name,
            r.street,
            r.buildings or None,
            r.area if r.kind != "registered_not_occupying" else None,
            r.start_date,
            r.end_date,
            r.industry_group,
            HQ_TYPES.get(r.hq_type, r.hq_type),
            r.employees,
            r.tax_at_stake,
            r.tax_12m,
            r.state_label,
            owners.get(r.owner_id),
        ]
        for r in rows
    )
    title = f"属地化-{KINDS[kind]}"
    data = (
        exports.write_csv(EXPORT_HEADERS, values) if fmt == "csv" else exports.write_xlsx(EXPORT_HEADERS, values, title)
    )
    return send_file(
        io.BytesIO(data),
        mimetype=exports.FORMATS[fmt],
        as_attachment=True,
        download_name=f"{title}-{on.isoformat()}.{fmt}",
    )


@bp.route("/buildings/<code>/localisation")
@allow("localisation.view")
def building(code):
    found = db.session.scalar(select(Building).where(Building.code == code))
    if found is None:
        abort(404)
    ensure("buildings.view", found)
    on = today()
    lists = {kind: localisation.targets(db.session, kind, on, [found.id]) for kind in KINDS}
    owners = _people({r.owner_id for rows in lists.values() for r in rows})
    return render_template(
        "localisation/building.html",
        building=found,
        lists=lists,
        kinds=KINDS,
        on=on,
        owners=owners,
        hq_types=HQ_TYPES,
        can_work=may(current_user, "localisation.work"),
    )


@bp.route("/localisation/start", methods=["POST"])
@allow("localisation.work")
def start():
    """Open (or find) the work item of a listed target."""
    kind = request.form.get("type", "")
    company_id = request.form.get("company_id", "")
    if kind not in KINDS or not company_id.isdecimal():
        abort(400)
    company = db.session.get(Company, int(company_id))
    if company is None:
        abort(404)
    # The target's building as the list computes it, in the user's scope: a manager cannot open
    # an item for a company that is no target of theirs.
    found = [r for r in localisation.targets(db.session, kind, today(), _scope_ids()) if r.company_id == company.id]
    existing = db.session.scalar(
        select(LocalisationItem).where(LocalisationItem.company_id == company.id, LocalisationItem.kind == kind)
    )
    if not found and existing is None:
        abort(404)
    with transaction(show=False, reraise=True):
        item = existing or localisation.item_for(db.session, company, kind, found[0].building_id)
        ensure("localisation.work", item)
    return redirect(url_for("localisation.item", item_id=item.id))


def _item_or_404(item_id: int, action: str) -> LocalisationItem:
    item = db.session.get(LocalisationItem, item_id)
    if item is None:
        abort(404)
    ensure(action, item)
    return item


def _render_item(item, owner_form=None, state_form=None, followup_form=None, status=200):
    owner_form = owner_form or OwnerForm(owner=str(item.owner_id or ""))
    owner_form.owner.choices = select_choices(
        [("", "（未指定）")]
        + [
            (str(u.id), f"{u.display_name}（{'招商专员' if u.role == 'promoter' else '楼宇管理员'}）")
            for u in localisation.possible_owners(db.session, item)
        ]
    )
    state_form = state_form or StateForm()
    state_form.state.choices = select_choices((s, STATES[s]) for s in localisation.NEXT_STATES[item.state])
    followup_form = followup_form or FollowUpForm()
    on = today()
    row = next(
        (
            r
            for r in localisation.targets(db.session, item.kind, on, [item.building_id] if item.building_id else None)
            if r.company_id == item.company_id
        ),
        None,
    )
    return render_template(
        "localisation/item.html",
        item=item,
        row=row,
        on=on,
        owner_form=owner_form,
        state_form=state_form,
        followup_form=followup_form,
        sets_flag=KIND_FLAG.get(item.kind),
        hq_types=HQ_TYPES,
        can_work=may(current_user, "localisation.work", item),
    ), status


@bp.route("/localisation/items/<int:item_id>")
@allow("localisation.view")
def item(item_id):
    return _render_item(_item_or_404(item_id, "localisation.view"))


def _done(item, message):
    flash(message, "success")
    return redirect(url_for("localisation.item", item_id=item.id))


@bp.route("/localisation/items/<int:item_id>/owner", methods=["POST"])
@allow("localisation.work")
def set_owner(item_id):
    item = _item_or_404(item_id, "localisation.work")
    form = OwnerForm()
    if form.validate_on_submit():
        raw = form.owner.data or ""
        with transaction(form) as saved:
            localisation.assign(db.session, item, int(raw) if raw.isdecimal() else None)
        if saved:
            return _done(item, "已更新负责人")
        item = _item_or_404(item_id, "localisation.work")
    return _render_item(item, owner_form=form, status=400)


@bp.route("/localisation/items/<int:item_id>/state", methods=["POST"])
@allow("localisation.work")
def set_state(item_id):
    item = _item_or_404(item_id, "localisation.work")
    form = StateForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            localisation.move(
                db.session, item, form.state.data or "", today(), form.reason.data, form.completed_on.data
            )
        if saved:
            return _done(item, f"已转为“{item.state_label}”")
        item = _item_or_404(item_id, "localisation.work")
    return _render_item(item, state_form=form, status=400)


@bp.route("/localisation/items/<int:item_id>/followups", methods=["POST"])
@allow("localisation.work")
def add_followup(item_id):
    item = _item_or_404(item_id, "localisation.work")
    form = FollowUpForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            localisation.add_followup(
                db.session,
                item,
                current_user,
                today(),
                form.method.data,
                form.notes.data,
                on=form.on.data,
                next_on=form.next_on.data,
            )
        if saved:
            return _done(item, "已记录跟进")
        item = _item_or_404(item_id, "localisation.work")
    return _render_item(item, followup_form=form, status=400)
