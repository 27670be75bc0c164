"""The monthly briefing on the reports page: the archive (leaders and admins), an admin's
"generate" button, and the download of any archived version.

The ``/reports`` page includes ``templates/reports/_briefings.html``; its data
comes from this blueprint's context processor, which runs for that page only. Generating is a
POST to ``/reports/briefings``: success goes back to ``/reports``; a refused month re-renders the
archive page with the message beside the field and the month as typed.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from crm.extensions import db
from crm.forms.briefings import GenerateBriefingForm
from crm.permissions import allow, may
from crm.reports.fonts import FontNotFound
from crm.services import periods as P
from crm.services.briefing import (
    archived_briefings, archived_count, generate_briefing, generated_by_label, get_briefing, latest_versions,
)
from crm.services.errors import DomainError
from crm.services.home import latest_briefing
from crm.web.params import today

bp = Blueprint("briefings", __name__)
SECTION_ROWS = 6


def new_form() -> GenerateBriefingForm:
    form = GenerateBriefingForm()
    if not form.is_submitted():
        form.month.data = P.last_complete_month(today())
    return form


def local_time(moment) -> str:
    return moment.astimezone(P.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def panel(limit: int | None) -> dict:
    briefings = archived_briefings(db.session, limit)
    return {
        "briefings": briefings,
        "local_time": local_time,
        "by_whom": generated_by_label,
        "latest_ids": latest_versions(briefings),
        "total": archived_count(db.session) if limit is not None else len(briefings),
        "form": new_form() if may(current_user, "briefings.generate") else None,
    }


@bp.app_context_processor
def briefing_section():
    # Only the reports page shows the section; every other page pays nothing.
    if request.endpoint != "reports.index" or not may(current_user, "briefings.view"):
        return {}
    return {"briefing_panel": panel(SECTION_ROWS)}


@bp.route("/reports/briefings")
@allow("briefings.view")
def index():
    return render_template("briefings/index.html", briefing_panel=panel(None))


@bp.route("/reports/briefings", methods=["POST"])
@allow("briefings.generate")
def generate():
    form = new_form()
    if form.validate_on_submit():
        try:
            briefing = generate_briefing(db.session, form.month.data, generated_by=current_user, today=today())
        except DomainError as error:
            db.session.rollback()
            form.month.errors.append(error.message)
        except FontNotFound as error:
            db.session.rollback()
            form.month.errors.append(str(error))
        else:
            db.session.commit()
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
    return send_file(io.BytesIO(briefing.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=briefing.filename, max_age=0)


@bp.route("/reports/briefings/latest")
@allow("briefings.view")
def latest():
    """The briefing of the last complete month, newest version — generated now when none is
    archived yet, so a leader never waits for an admin (or for the 6th)."""
    month = P.last_complete_month(today())
    briefing = latest_briefing(db.session, month)
    if briefing is None:
        try:
            briefing = generate_briefing(db.session, month, generated_by=None, today=today())
        except (DomainError, FontNotFound) as error:
            db.session.rollback()
            flash(f"{P.label(month)}月度简报暂时无法生成：{getattr(error, 'message', None) or error}", "warning")
            return redirect(url_for("briefings.index"))
        db.session.commit()
    return send_file(io.BytesIO(briefing.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=briefing.filename, max_age=0)
