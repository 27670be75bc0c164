"""Move-in requests (入驻申请): a building's manager sees the landings promoters recorded in their
buildings and confirms them (the lease is created, occupancy follows) or sends them back."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.extensions import db
from crm.forms.leads import DecisionForm
from crm.models import MoveInRequest
from crm.permissions import allow, ensure, visible_building_ids
from crm.services.corrections import months_label
from crm.services.landing import (
    confirm_move_in,
    confirmed_months_reached,
    move_in_requests,
    reject_move_in,
    units_by_request,
)
from crm.web.params import today
from crm.web.transaction import transaction

bp = Blueprint("movein_requests", __name__)

STATUSES = {"pending": "待确认", "confirmed": "已确认", "rejected": "已退回", "": "全部"}


@bp.route("/movein-requests")
@allow("movein.view")
def index():
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        status = "pending"
    requests = move_in_requests(db.session, visible_building_ids(current_user), status or None)
    return render_template(
        "movein_requests/index.html",
        requests=requests,
        units=units_by_request(db.session, requests),
        status=status,
        STATUSES=STATUSES,
        form=DecisionForm(formdata=None),
        frozen=reaching_confirmed(requests),
    )


def reaching_confirmed(requests) -> dict[int, str]:
    """Pending requests whose move-in reaches a confirmed month: request id -> the months."""
    return {rid: months_label(months) for rid, months in confirmed_months_reached(db.session, requests).items()}


def get_request_or_404(request_id: int) -> MoveInRequest:
    move_in = db.session.get(MoveInRequest, request_id)
    if move_in is None:
        abort(404)
    ensure("movein.decide", move_in)
    return move_in


@bp.route("/movein-requests/<int:request_id>/confirm", methods=["POST"])
@allow("movein.decide")
def confirm(request_id):
    move_in = get_request_or_404(request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with transaction() as saved:
            confirm_move_in(db.session, move_in, current_user, today(), form.correction_reason.data)
        if saved:
            flash(f"已确认「{move_in.company.name}」入驻 {move_in.building.name}，租约已生成", "success")
    return redirect(url_for("movein_requests.index"))


@bp.route("/movein-requests/<int:request_id>/reject", methods=["POST"])
@allow("movein.decide")
def reject(request_id):
    move_in = get_request_or_404(request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with transaction() as saved:
            reject_move_in(db.session, move_in, current_user, form.note.data)
        if saved:
            flash(f"已退回「{move_in.company.name}」的入驻申请", "info")
    return redirect(url_for("movein_requests.index"))
