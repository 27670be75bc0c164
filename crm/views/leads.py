"""Leads (招商项目): the list, the kanban board, a lead's page with its timeline, and the actions
on a lead — edit, follow up, move stage, match and reserve space, land, reassign, merge.

Thin: permission, parse, one service call, commit, flash, redirect. A DomainError rolls back and
shows its message beside the field it names, keeping what was typed.
"""

from __future__ import annotations

import functools
from datetime import timedelta, timezone
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.routing import BuildError

from crm.extensions import db
from crm.forms import select_choices
from crm.forms.profiles import ProposalForm
from crm.forms.leads import (
    FollowUpForm,
    LandingForm,
    LeadForm,
    MergeForm,
    ReassignForm,
    ReserveForm,
    StageForm,
)
from crm.models import Building, Lead, MoveInRequest
from crm.models.lead import ACTIVE_STAGES, FOLLOWUP_METHODS, OFF_LINE_STAGES, PRIORITIES, SOURCES, STAGES
from crm.permissions import allow, ensure, may
from crm.services import leads
from crm.services.bounds import QueryReader, decimal_of
from crm.services.periods import BUSINESS_TZ
from crm.services.duplicates import DuplicatesFound, merge_leads
from crm.services.errors import DomainError
from crm.services.followups import add_followup, default_next_date, followups_of
from crm.services.landing import LandingInput, pending_request, record_landing, units_by_request
from crm.services.matching import MAX_RESERVE_DAYS, match_units, reservations_of, reserve_units
from crm.services.pipeline import BOARD_STAGES, board as board_columns
from crm.services.units import unit_states
from crm.space.proposals import proposals_of
from crm.web.params import page_number, sort_args, today
from crm.web.transaction import show_error, transaction

bp = Blueprint("leads", __name__)

WAN = Decimal("10000")


# ------------------------------------------------------------------------------------------
# helpers


def get_lead_or_404(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    return lead


def building_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Building.id, Building.code, Building.name).order_by(Building.code))
    return [(building_id, f"{code} {name}") for building_id, code, name in rows]


def building_filter_options(selected: str) -> Markup:
    """The <option>s of the list's target-building filter, joined here as plain text with each
    name escaped: 350 of them looped in the template, or through ``Markup.format``, cost 30 ms."""
    return Markup(
        "".join(
            f'<option value="{building_id}"{" selected" if str(building_id) == selected else ""}>{escape(name)}</option>'
            for building_id, name in building_choices()
        )
    )


def owner_choices() -> list[tuple[int, str]]:
    return [(u.id, u.display_name) for u in leads.promoters(db.session)]


def export_url(kept: dict) -> str | None:
    """The leads export with the list's validated filters, when the user may download."""
    from crm.permissions import may_open

    if not may_open("exports.download"):
        return None
    args = dict(kept)
    if args.get("owner") == "me":
        args["owner"] = current_user.id  # the export runs without "me"
    try:
        return url_for("exports.download", kind_name="leads", **args)
    except BuildError:
        return None


def yuan_from_wan(text) -> Decimal | None:
    """The form takes 万元 (how people speak of tax); the services store yuan."""
    if text is None or not str(text).strip():
        return None
    return decimal_of(text, "预计年税收（万元）", "expected_annual_tax") * WAN


def lead_input(form: LeadForm) -> leads.LeadInput:
    return leads.LeadInput(
        company_name=form.company_name.data,
        uscc=form.uscc.data or "",
        source=form.source.data,
        industry_group=form.industry_group.data or "",
        hq_type=form.hq_type.data,
        intended_area=form.intended_area.data,
        expected_annual_tax=yuan_from_wan(form.expected_annual_tax.data),
        target_building_ids=list(form.target_building_ids.data or []),
        priority=form.priority.data,
        contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data,
        notes=form.notes.data,
        next_followup_on=form.next_followup_on.data,
        owner_id=form.owner_id.data,
    )


def lead_form(lead: Lead | None = None) -> LeadForm:
    form = LeadForm(obj=lead) if lead is not None and request.method == "GET" else LeadForm()
    form.target_building_ids.choices = select_choices(building_choices())
    form.owner_id.choices = select_choices(owner_choices())
    if lead is not None and request.method == "GET":
        form.target_building_ids.data = [b.id for b in lead.target_buildings]
        form.expected_annual_tax.data = (
            f"{lead.expected_annual_tax / WAN:.2f}" if lead.expected_annual_tax is not None else ""
        )
        form.intended_area.data = f"{lead.intended_area:.2f}" if lead.intended_area is not None else ""
        form.industry_group.data = lead.industry_group or ""
        form.version.data = lead.version
    return form


def filters_from_request():
    """The list's filters; a value it had to drop is explained above the list."""
    filters, query = leads.read_lead_filters(request.args, current_user.id)
    for problem in query.problems:
        flash(problem, "warning")
    return filters, query


def local_time(moment) -> str:
    """A recorded UTC moment as Dalian reads its clock (SQLite hands back naive UTC)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def common_context() -> dict:
    return dict(
        STAGES=STAGES,
        OFF_LINE_STAGES=OFF_LINE_STAGES,
        SOURCES=SOURCES,
        PRIORITIES=PRIORITIES,
        FLAG_LABELS=leads.FLAG_LABELS,
        lead_flags=leads.lead_flags,
        rules=leads.pipeline_rules(db.session),
        today=today(),
        may_edit=functools.partial(may, current_user._get_current_object(), "leads.edit"),
        local_time=local_time,
    )


# ------------------------------------------------------------------------------------------
# list and board


@bp.route("/leads")
@allow("leads.view")
def index():
    sort, descending = sort_args(set(leads.SORTS), "next")
    context = common_context()
    filters, query = filters_from_request()
    result = leads.search_leads(
        db.session, filters, context["today"], context["rules"], sort, descending, page_number(), per_page=50
    )
    query.keep("sort", sort if sort != "next" else None)
    query.keep("dir", "desc" if descending else None)
    return render_template(
        "leads/index.html",
        result=result,
        args=query.kept,
        sort=sort,
        descending=descending,
        owners=owner_choices(),
        building_options=building_filter_options(query.kept.get("building", "")),
        export_url=export_url(query.kept),
        **context,
    )


def card_renderer(context: dict):
    """``board_card(lead)``: a board card's HTML (the macro of leads/_card.html, looked up once)."""
    card = current_app.jinja_env.get_template("leads/_card.html").module.card
    day, rules, may_edit = context["today"], context["rules"], context["may_edit"]
    lead_root = url_for("leads.show", lead_id=0)[:-1]  # "/leads/"

    def board_card(lead: Lead) -> Markup:
        return Markup(
            card(lead, may_edit(lead), tuple(leads.lead_flags(lead, day, rules)), day, leads.FLAG_LABELS, lead_root)
        )

    return board_card


def render_columns(template: str, values, stages=BOARD_STAGES, **extra) -> str:
    """``template`` with the board's columns of ``stages`` for the owner filter in ``values``
    (only the owner applies) and what a card needs."""
    filters, query = leads.read_lead_filters(values, current_user.id)
    context = common_context()
    return render_template(
        template,
        columns=board_columns(db.session, filters.owner_id, stages=stages),
        owner=query.kept.get("owner", ""),
        board_card=card_renderer(context),
        **extra,
        **context,
    )


@bp.route("/leads/board")
@allow("leads.view")
def board():
    return render_columns("leads/board.html", request.args, owners=owner_choices())


def render_moved(lead: Lead, message: str, category: str, status: int):
    """The board's answer to a move: the message, and the columns the card left (``from``, as
    the board showed it), was dropped on and is in now — a refused move puts it back, a move by
    someone else meanwhile shows where it went. The other columns are as they were."""
    touched = {request.form.get("from"), request.form.get("stage"), lead.stage}
    page = render_columns("leads/_board_moved.html", request.form, touched, message=message, category=category)
    return page, status


@bp.route("/leads/<int:lead_id>/stage", methods=["POST"])
@allow("leads.edit")
def move(lead_id):
    lead = get_lead_or_404(lead_id)
    ensure("leads.edit", lead)
    from_board = request.headers.get("HX-Request") == "true"
    form = StageForm()
    status, category = 200, "success"
    if not form.validate():
        message, status, category = "请选择要移到的阶段", 400, "danger"
    else:
        with transaction(show=False) as saved:  # the board shows the message in its own place
            leads.move_stage(
                db.session,
                lead,
                form.stage.data,
                current_user,
                today(),
                version=form.version.data or None,
                reason=form.reason.data,
                resume_on=form.resume_on.data,
            )
        if saved:
            message = f"「{lead.company_name}」已移至「{lead.stage_label}」"
        else:
            conflict = saved.error.field == "version"
            message, status = saved.error.message, (409 if conflict else 400)
            category = "warning" if conflict else "danger"
    if from_board:
        return render_moved(lead, message, category, status)
    flash(message, category)
    return redirect(url_for("leads.show", lead_id=lead_id))


# ------------------------------------------------------------------------------------------
# create, show, edit


def save_lead_form(form: LeadForm, lead: Lead | None):
    """Create or update from ``form``; returns the lead, or None with the errors on the form."""
    with transaction(form, show=False) as saved:  # duplicates are listed, not shown as an error
        data = lead_input(form)
        if lead is None:
            lead = leads.create_lead(
                db.session, data, current_user, today(), confirm_duplicate=form.confirm_duplicate.data
            )
        else:
            leads.update_lead(
                db.session,
                lead,
                data,
                current_user,
                today(),
                version=form.version.data or None,
                confirm_duplicate=form.confirm_duplicate.data,
            )
    if saved:
        return lead, None
    if isinstance(saved.error, DuplicatesFound):
        return None, saved.error.matches
    show_error(form, saved.error)
    return None, None


def check_rest(form: LeadForm) -> None:
    """The form refused some fields: run the service's checks on the others too, so the user
    sees every problem of this submit at once, not one per try."""
    try:
        leads.validate_lead(db.session, lead_input(form), today())
    except DomainError as error:
        show_error(form, error)


@bp.route("/leads/new", methods=["GET", "POST"])
@allow("leads.create")
def new():
    form = lead_form()
    duplicates = None
    if request.method == "GET":
        form.next_followup_on.data = today() + timedelta(days=leads.pipeline_rules(db.session).first_followup_days)
        if current_user.role == "promoter":
            form.owner_id.data = current_user.id
    if form.is_submitted() and not form.validate():
        check_rest(form)
    elif form.is_submitted():
        lead, duplicates = save_lead_form(form, None)
        if lead is not None:
            flash(f"已新建招商项目「{lead.company_name}」，请在 {lead.next_followup_on} 前完成首次跟进", "success")
            return redirect(url_for("leads.show", lead_id=lead.id))
    return render_template("leads/form.html", form=form, lead=None, duplicates=duplicates)


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
@allow("leads.edit")
def edit(lead_id):
    lead = get_lead_or_404(lead_id)
    ensure("leads.edit", lead)
    form = lead_form(lead)
    duplicates = None
    if form.is_submitted() and not form.validate():
        check_rest(form)
    elif form.is_submitted():
        saved, duplicates = save_lead_form(form, lead)
        if saved is not None:
            flash("项目信息已保存", "success")
            return redirect(url_for("leads.show", lead_id=lead.id))
        lead = get_lead_or_404(lead_id)
    return render_template("leads/form.html", form=form, lead=lead, duplicates=duplicates)


def timeline(lead: Lead) -> list[dict]:
    """Follow-ups, stage changes and space proposals (载体推荐书) of the lead, newest first."""
    items = (
        [
            dict(kind="followup", when=f.created_at, day=f.on, who=f.author.display_name, item=f)
            for f in followups_of(db.session, lead)
        ]
        + [
            dict(
                kind="stage", when=c.changed_at, day=c.changed_at, who=c.user.display_name if c.user else "系统", item=c
            )
            for c in leads.lead_history(db.session, lead)
        ]
        + [
            dict(
                kind="proposal",
                when=p.created_utc,
                day=p.created_utc.astimezone(BUSINESS_TZ),
                who=p.created_by.display_name if p.created_by else "系统",
                item=p,
            )
            for p in proposals_of(db.session, lead)
        ]
    )

    def key(entry):
        day = entry["day"]
        return (day if not hasattr(day, "date") else day.date(), entry["when"].timestamp() if entry["when"] else 0)

    return sorted(items, key=key, reverse=True)


def followup_form() -> FollowUpForm:
    form = FollowUpForm()
    if request.method == "GET":
        form.on.data = today()
        form.next_on.data = default_next_date(today())
    return form


def render_show(lead: Lead, followup: FollowUpForm | None = None, stage: StageForm | None = None, status=200):
    followup = followup or followup_form()
    stage = stage or StageForm(formdata=None)
    stage.version.data = lead.version
    requests = list(
        db.session.scalars(
            select(MoveInRequest).where(MoveInRequest.lead_id == lead.id).order_by(MoveInRequest.id.desc())
        )
    )
    pending = next((r for r in requests if r.status == "pending"), None)  # at most one per lead
    admin = current_user.role == "admin"
    reassign, merge = ReassignForm(formdata=None), MergeForm(formdata=None)
    if admin:  # only an admin sees the reassign form and so needs the promoters
        reassign.owner_id.choices = select_choices(owner_choices())
        reassign.owner_id.data = lead.owner_id
    return render_template(
        "leads/show.html",
        lead=lead,
        timeline=timeline(lead),
        followup=followup,
        stage_form=stage,
        pending=pending,
        requests=requests,
        request_units=units_by_request(db.session, requests),
        reservations=reservations_of(db.session, lead, today()),
        reassign=reassign,
        merge=merge,
        FOLLOWUP_METHODS=FOLLOWUP_METHODS,
        ACTIVE_STAGES=ACTIVE_STAGES,
        admin=admin,
        next_stage=leads.next_stage(lead.stage),
        backward_stages={s for s in leads.STAGE_ORDER if leads.is_backward(lead.stage, s)},
        **common_context(),
    ), status


@bp.route("/leads/<int:lead_id>")
@allow("leads.view")
def show(lead_id):
    return render_show(get_lead_or_404(lead_id))


@bp.route("/leads/<int:lead_id>/followups", methods=["POST"])
@allow("leads.edit")
def add_followup_view(lead_id):
    lead = get_lead_or_404(lead_id)
    ensure("leads.edit", lead)
    form = FollowUpForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            add_followup(
                db.session,
                lead,
                current_user,
                today(),
                form.method.data,
                form.notes.data,
                on=form.on.data,
                next_on=form.next_on.data,
            )
        if saved:
            flash(f"已记录跟进，下次跟进日期 {lead.next_followup_on}", "success")
            return redirect(url_for("leads.show", lead_id=lead.id))
        lead = get_lead_or_404(lead_id)
    return render_show(lead, followup=form)


# ------------------------------------------------------------------------------------------
# matching and reserving


@bp.route("/leads/<int:lead_id>/matches")
@allow("leads.view")
def matches(lead_id):
    lead = get_lead_or_404(lead_id)
    result = match_units(db.session, lead, today())
    form = ReserveForm(formdata=None)
    form.until.data = today() + timedelta(days=30)
    return render_template(
        "leads/matches.html",
        lead=lead,
        result=result,
        form=form,
        max_until=today() + timedelta(days=MAX_RESERVE_DAYS),
        reservations=reservations_of(db.session, lead, today()),
        proposal_form=ProposalForm(formdata=None),
        **common_context(),
    )


@bp.route("/leads/<int:lead_id>/reserve", methods=["POST"])
@allow("leads.edit")
def reserve(lead_id):
    lead = get_lead_or_404(lead_id)
    ensure("leads.edit", lead)
    form = ReserveForm()
    if not form.validate_on_submit():
        flash("请选择单元并填写预留截止日期", "danger")
        return redirect(url_for("leads.matches", lead_id=lead.id))
    try:
        ids = [int(part) for part in form.unit_ids.data.split(",") if part.strip()]
    except ValueError:
        flash("单元编号无效", "danger")
        return redirect(url_for("leads.matches", lead_id=lead.id))
    with transaction() as saved:
        units = reserve_units(db.session, lead, ids, form.until.data, current_user, today())
    if saved:
        flash(
            f"已为「{lead.company_name}」预留 {units[0].building.name} {'、'.join(u.label for u in units)}，至 {form.until.data}",
            "success",
        )
        return redirect(url_for("leads.show", lead_id=lead.id))
    return redirect(url_for("leads.matches", lead_id=lead.id))


# ------------------------------------------------------------------------------------------
# landing


def vacant_units_for(building: Building | None, lead: Lead, day) -> list:
    """The building's units on ``day`` with their status, for ticking the landed ones."""
    if building is None:
        return []
    return [s for s in unit_states(db.session, building, day) if s.status in ("vacant", "reserved")]


@bp.route("/leads/<int:lead_id>/land", methods=["GET", "POST"])
@allow("leads.edit")
def land(lead_id):
    lead = get_lead_or_404(lead_id)
    ensure("leads.edit", lead)
    form = LandingForm()
    choices = building_choices()
    form.building_id.choices = select_choices([("", "请选择楼宇")] + choices)
    if request.method == "GET":
        reserved = reservations_of(db.session, lead, today())
        chosen = QueryReader(request.args).id("building_id", "落地楼宇") or (
            reserved[0].unit.building_id if reserved else None
        )
        form.building_id.data = chosen
        form.unit_ids.data = [r.unit_id for r in reserved if r.unit.building_id == chosen]
        form.start_date.data = today()
        form.uscc.data = lead.uscc or ""
        form.company_name.data = lead.company_name
    elif request.form.get("action") != "refresh" and form.validate_on_submit():
        with transaction(form) as saved:
            data = LandingInput(
                building_id=form.building_id.data,
                unit_ids=list(form.unit_ids.data or []),
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                uscc=form.uscc.data,
                company_name=form.company_name.data,
                registered_in_district=form.registered_in_district.data,
                uscc_override=form.uscc_override.data,
            )
            move_in = record_landing(db.session, lead, data, current_user, today())
        if saved:
            flash(f"已提交入驻申请：{move_in.building.name}，{move_in.start_date} 起，待楼宇管理员确认", "success")
            return redirect(url_for("leads.show", lead_id=lead.id))
        lead = get_lead_or_404(lead_id)
    # Only a building of the list: a typed id may be anything, even past the database's integers.
    known = {building_id for building_id, _ in choices}
    building = db.session.get(Building, form.building_id.data) if form.building_id.data in known else None
    day = form.start_date.data or today()
    return render_template(
        "leads/land.html",
        lead=lead,
        form=form,
        building=building,
        states=vacant_units_for(building, lead, day),
        day=day,
        pending=pending_request(db.session, lead),
        **common_context(),
    )


# ------------------------------------------------------------------------------------------
# admin: reassign and merge


@bp.route("/leads/<int:lead_id>/owner", methods=["POST"])
@allow("leads.admin")
def reassign(lead_id):
    lead = get_lead_or_404(lead_id)
    form = ReassignForm()
    form.owner_id.choices = select_choices(owner_choices())
    with transaction() as saved:
        if not form.validate_on_submit():
            raise DomainError("请选择新负责人", field="owner_id")
        leads.reassign_owner(db.session, lead, form.owner_id.data, current_user)
    if saved:
        flash(f"负责人已改为 {lead.owner.display_name}", "success")
    return redirect(url_for("leads.show", lead_id=lead_id))


@bp.route("/leads/<int:lead_id>/merge", methods=["POST"])
@allow("leads.admin")
def merge(lead_id):
    keep = get_lead_or_404(lead_id)
    form = MergeForm()
    with transaction() as saved:
        if not form.validate_on_submit():
            raise DomainError("请填写要并入的项目编号", field="other_id")
        drop = db.session.get(Lead, form.other_id.data)
        if drop is None:
            raise DomainError(f"项目 #{form.other_id.data} 不存在", field="other_id")
        merge_leads(db.session, keep, drop, current_user, today())
    if saved:
        flash(f"已将项目 #{drop.id}「{drop.company_name}」并入本项目", "success")
    return redirect(url_for("leads.show", lead_id=lead_id))
