"""预警 pages: the list with its filters and counts, one warning with its timeline and handling
forms, and the admin's thresholds. Scoped by ``crm.permissions``: a manager sees the warnings of
their buildings, a promoter handles the ones they own."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.forms.warnings import NoteForm, ResolveForm, StartForm, WarningSettingsForm
from crm.models import Building
from crm.models.warning import OPEN_STATES, RESOLVE_REASONS, SEVERITIES, STATES
from crm.permissions import allow, ensure, may, scope_of
from crm.services.bounds import MAX_PAGE
from crm.services.timeline import local_time
from crm.cache.versions import OCCUPANCY
from crm.cache.fragments import cached_fragments, render_part
from crm.warnings import handling
from crm.warnings.queries import (
    WarningFilters,
    counts,
    overdue_before,
    owner_choices,
    search_warnings,
    warning_with_timeline,
)
from crm.warnings.rules import RULES
from crm.warnings.settings import THRESHOLDS, current_values, update_warning_settings, warning_settings
from crm.web.params import page_number, today
from crm.web.transaction import transaction

bp = Blueprint("warnings", __name__)
PER_PAGE = 50
STATE_FILTERS = {"open": "未解除（待处置 + 处置中）", **STATES}
# How the detail page shows each figure a rule records: label and kind of value.
FIGURE_LABELS = {
    "month": ("数据月份", "text"),
    "recent_tax": ("近 3 个月税收", "money"),
    "year_ago_tax": ("上年同期税收", "money"),
    "drop_pct": ("同比降幅", "pct"),
    "threshold_pct": ("预警阈值", "pct"),
    "rank": ("近 12 个月纳税排名", "text"),
    "tax_12m": ("近 12 个月税收", "money"),
    "end_date": ("租约到期日", "text"),
    "days_left": ("剩余天数", "days"),
    "threshold_days": ("提前预警天数", "days"),
    "reasons": ("外迁情况", "list"),
    "moved_out": ("区内已无在租", "bool"),
    "previous_month": ("对比月份", "text"),
    "rate_pct": ("月末入驻率", "pct"),
    "previous_rate_pct": ("上月末入驻率", "pct"),
    "drop_points": ("下降", "points"),
    "threshold_points": ("预警阈值", "points"),
    "tier_prev_label": ("上年档次", "text"),
    "annual_prev": ("上年全年税收", "money"),
    "ytd": ("本年累计税收", "money"),
    "projection": ("预计全年税收", "money"),
    "threshold": ("档次门槛", "money"),
    "gap": ("预计缺口", "money"),
    "months": ("未确认月份", "list"),
    "days_after_month_end": ("月末后天数", "days"),
    "grace_days": ("宽限天数", "days"),
}


class Result:
    """A page of rows as the pager macro reads it."""

    def __init__(self, rows, total, page):
        self.rows, self.total, self.page = rows, total, page
        self.pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)


def _choice(name: str, choices, label: str) -> str:
    value = request.args.get(name, "").strip()
    if value and value not in choices:
        flash(f"{label}无效：{value[:30]}，已显示全部", "warning")
        return ""
    return value


def _int(name: str, label: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 2**31 - 1:
        flash(f"{label}无效：{raw[:30]}，已显示全部", "warning")
        return None
    return int(raw)


def read_filters(scope) -> tuple[WarningFilters, dict, Building | None]:
    rule = _choice("rule", RULES, "预警类型")
    state = _choice("state", STATE_FILTERS, "处置状态")
    code = request.args.get("building", "").strip()
    building = None
    if code:
        building = db.session.scalar(select(Building).where(Building.code == code[:16]))
        if building is None or not scope.has_building(building.id):
            flash(f"楼宇代码无效或不在您的管辖范围：{code[:30]}，已显示全部", "warning")
            building, code = None, ""
    owner = _int("owner", "责任人")
    overdue = request.args.get("overdue") == "1"
    kept = {
        k: v
        for k, v in dict(
            rule=rule, state=state, building=code, owner=owner or "", overdue="1" if overdue else ""
        ).items()
        if v
    }
    filters = WarningFilters(
        rule=rule,
        state=state,
        building_id=building.id if building else None,
        owner_id=owner,
        overdue=overdue,
        building_ids=scope.building_ids,
    )
    return filters, kept, building


def building_options_html(scope, selected: str):
    """The building filter's options (hundreds of buildings), rendered once per scope and choice
    until buildings change."""

    def render() -> dict[str, str]:
        rows = db.session.execute(scope.filter(select(Building.code, Building.name), Building).order_by(Building.code))
        return {"options": render_part("warnings/_building_options.html", buildings=rows.all(), selected=selected)}

    return cached_fragments("warning-building-options", (OCCUPANCY,), (scope.building_ids, selected), render)["options"]


@bp.route("/warnings")
@allow("warnings.view")
def index():
    scope = scope_of(current_user)
    filters, kept, building = read_filters(scope)
    day, page = today(), min(page_number(), MAX_PAGE)
    overdue_days = warning_settings(db.session).overdue_days
    rows, total = search_warnings(db.session, filters, day, overdue_days, page, PER_PAGE)
    building_options = building_options_html(scope, building.code if building else "")
    return render_template(
        "warnings/index.html",
        result=Result(rows, total, page),
        args=kept,
        filters=filters,
        building=building,
        counts=counts(db.session, filters, day, overdue_days),
        rules=RULES,
        states=STATES,
        state_filters=STATE_FILTERS,
        owners=owner_choices(db.session, scope.building_ids),
        building_options=building_options,
        overdue_days=overdue_days,
        overdue_cutoff=overdue_before(day, overdue_days),
        today=day,
        severities=SEVERITIES,
    )


def _warning_or_404(warning_id: int):
    warning = warning_with_timeline(db.session, warning_id) if 0 < warning_id <= 2**31 - 1 else None
    if warning is None:
        abort(404)
    ensure("warnings.view", warning)
    return warning


def _show(warning, start=None, resolve=None, note=None, status=200):
    return render_template(
        "warnings/show.html",
        warning=warning,
        rules=RULES,
        start_form=start or StartForm(prefix="start"),
        resolve_form=resolve or ResolveForm(prefix="resolve"),
        note_form=note or NoteForm(prefix="note"),
        may_handle=may(current_user, "warnings.handle", warning),
        open_states=OPEN_STATES,
        reasons=RESOLVE_REASONS,
        today=today(),
        figure_labels=FIGURE_LABELS,
        local_time=local_time,
    ), status


@bp.route("/warnings/<int:warning_id>")
@allow("warnings.view")
def show(warning_id):
    return _show(_warning_or_404(warning_id))


def _handle(warning_id: int, name: str, form, act, done: str):
    """Run one handling step from a posted form; on a bad input show the page again with the
    form as typed and the message beside its field."""
    warning = _warning_or_404(warning_id)
    ensure("warnings.handle", warning)
    forms = {"start": None, "resolve": None, "note": None}
    forms[name] = form
    if form.validate_on_submit():
        with transaction(form) as saved:
            act(warning, form)
        if saved:
            flash(done, "success")
            return redirect(url_for("warnings.show", warning_id=warning_id))
        warning = _warning_or_404(warning_id)  # as it is now, after the rollback
    return _show(warning, **forms)


@bp.route("/warnings/<int:warning_id>/start", methods=["POST"])
@allow("warnings.handle")
def start(warning_id):
    return _handle(
        warning_id,
        "start",
        StartForm(prefix="start"),
        lambda w, f: handling.start_handling(db.session, w, current_user, f.note.data),
        "已开始处置，状态改为“处置中”",
    )


@bp.route("/warnings/<int:warning_id>/resolve", methods=["POST"])
@allow("warnings.handle")
def resolve(warning_id):
    return _handle(
        warning_id,
        "resolve",
        ResolveForm(prefix="resolve"),
        lambda w, f: handling.resolve(db.session, w, current_user, f.reason.data, f.note.data, today()),
        "预警已解除",
    )


@bp.route("/warnings/<int:warning_id>/notes", methods=["POST"])
@allow("warnings.handle")
def add_note(warning_id):
    return _handle(
        warning_id,
        "note",
        NoteForm(prefix="note"),
        lambda w, f: handling.add_note(db.session, w, current_user, f.text.data),
        "处置记录已添加",
    )


@bp.route("/admin/warnings/settings", methods=["GET", "POST"])
@allow("settings.admin")
def settings():
    form = WarningSettingsForm()
    if not form.is_submitted():
        for key, value in current_values(db.session).items():
            getattr(form, key).data = format(value.normalize(), "f")
    if form.validate_on_submit():
        with transaction(form) as saved:
            changed = update_warning_settings(db.session, {t.key: getattr(form, t.key).data for t in THRESHOLDS})
        if saved:
            flash(
                "预警阈值已保存，下次评估（每天一次及每次导入税收后）按新阈值执行" if changed else "预警阈值没有变化",
                "success",
            )
            return redirect(url_for("warnings.settings"))
    return render_template("warnings/settings.html", form=form, thresholds=THRESHOLDS)
