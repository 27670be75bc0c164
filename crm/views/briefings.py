"""The monthly briefing on the reports page: the archive (leaders and admins), an admin's
"generate" button, and the download of any archived version.

The ``/reports`` page includes ``templates/reports/_briefings.html``; its data
comes from this blueprint's context processor, which runs for that page only. Generating is a
POST to ``/reports/briefings``: success goes back to ``/reports``; a refused month re-renders the
archive page with the message beside the field and the month as typed.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from crm.extensions import db
from crm.permissions import allow
from crm.reports.fonts import FontNotFound
from crm.services import periods as P
from crm.monthly_briefing import generate_briefing
from crm.services.briefing import (
    get_briefing,
)
from crm.services.errors import DomainError
from crm.views.briefing_panel import new_form, panel
from crm.services.home import latest_briefing
from crm.web.params import today
from crm.web.transaction import transaction

bp = Blueprint("briefings", __name__)


@bp.route("/reports/briefings")
@allow("briefings.view")
def index():
    return render_template("briefings/index.html", briefing_panel=panel(None))


@bp.route("/reports/briefings", methods=["POST"])
@allow("briefings.generate")
def generate():
    form = new_form()
    if form.validate_on_submit():
        with transaction(form, default_field="month") as saved:
            try:
                briefing = generate_briefing(db.session, form.month.data, generated_by=current_user, today=today())
            except FontNotFound as error:  # the server lacks the CJK font: said beside the month
                raise DomainError(str(error), field="month") from error
        if saved:
            version = f"（第 {briefing.version} 版）" if briefing.version > 1 else ""
            flash(f"{P.label(briefing.period)}月度简报已生成并归档{version}，共 {briefing.pages} 页", "success")
            return redirect(url_for("reports.index", _anchor="briefings"))
    panel_data = panel(None)
    panel_data["form"] = form
    return render_template("briefings/index.html", briefing_panel=panel_data), 200


@bp.route("/reports/briefings/<int:briefing_id>/download")
@allow("briefings.view")
def download(briefing_id: int):
    briefing = get_briefing(db.session, briefing_id)
    if briefing is None:
        abort(404)
    return send_file(
        io.BytesIO(briefing.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=briefing.filename,
        max_age=0,
    )


@bp.route("/reports/briefings/latest")
@allow("briefings.view")
def latest():
    """The briefing of the last complete month, newest version — generated now when none is
    archived yet, so a leader never waits for an admin (or for the 6th)."""
    month = P.last_complete_month(today())
    briefing = latest_briefing(db.session, month)
    if briefing is None:
        with transaction(show=False) as saved:
            try:
                briefing = generate_briefing(db.session, month, generated_by=None, today=today())
            except FontNotFound as error:
                raise DomainError(str(error)) from error
        if not saved:
            flash(f"{P.label(month)}月度简报暂时无法生成：{saved.error.message}", "warning")
            return redirect(url_for("briefings.index"))
    return send_file(
        io.BytesIO(briefing.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=briefing.filename,
        max_age=0,
    )
