"""Reports for leadership: the /reports page with the 亿元楼 candidate list and its PDF.

The monthly briefing adds its own section to ``templates/reports/index.html``; the candidate
section lives in ``templates/reports/_candidates.html``.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from crm.cache import cached, frozen
from crm.extensions import db
from crm.formats import chart_unit, in_unit
from crm.permissions import allow
from crm.reports.fonts import FontNotFound
from crm.services import periods as P
from crm.services.candidates import as_json, candidate_report, holds_demo_data, report_years
from crm.services.bounds import year_of
from crm.services.errors import DomainError
from crm.views.briefing_panel import reports_section
from crm.web.params import today

bp = Blueprint("reports", __name__)


def requested_report():
    """The candidate report for the ``year`` / ``as_of`` parameters (defaults: latest data)."""
    as_of = request.args.get("as_of", "").strip() or None
    day = today()
    return candidate_report(
        db.session, year_of(request.args.get("year")), as_of, latest_allowed=P.period_of(day), today=day
    )


def report_args() -> dict[str, str]:
    """The report's own parameters and nothing else: a redirect back to the page must not hand
    url_for its options (``_external``, ``_scheme``) or anything else the query string carries."""
    return {name: request.args[name].strip() for name in ("year", "as_of") if (request.args.get(name) or "").strip()}


def generated_at() -> datetime:
    return datetime.now(P.BUSINESS_TZ)


@bp.route("/reports")
@allow("reports.view")
def index():
    report, error = None, None
    try:
        report = requested_report()
    except DomainError as exc:
        error = exc
    chart = None
    if report is not None and report.candidates:
        rows = report.candidates
        unit = chart_unit([report.threshold, *(r.ytd for r in rows), *(r.projection for r in rows)])
        chart = {
            "labels": [f"{r.rank}. {r.name}" for r in rows],
            "ytd": in_unit((r.ytd for r in rows), unit),
            "projection": in_unit((r.projection for r in rows), unit),
            "threshold": in_unit([report.threshold], unit)[0],
            "unit": unit,
        }
    return render_template(
        "reports/index.html",
        report=report,
        error=error,
        chart=chart,
        years=report_years(db.session),
        args=report_args(),
        briefing_panel=reports_section(),
    )


@bp.route("/reports/candidates.pdf")
@allow("reports.view")
def candidates_pdf():
    from crm.reports.candidates import build_candidates_pdf

    try:
        report = requested_report()
        data, moment, demo = (
            as_json(report),
            generated_at().replace(second=0, microsecond=0),
            holds_demo_data(db.session),
        )
        # The PDF is a function of what it shows: the same figures in the same minute are the same
        # file, so it is kept under those (no data version: the key names all it depends on).
        pdf = cached(
            db.session,
            (),
            ("candidates.pdf", frozen(data), moment, demo),
            lambda: build_candidates_pdf(data, moment, demo=demo),
        )
    except DomainError as error:
        flash(error.message, "warning")
        return redirect(url_for("reports.index", **report_args()))
    except FontNotFound as error:
        flash(str(error), "danger")
        return redirect(url_for("reports.index", **report_args()))
    filename = f"candidates-{report.as_of}.pdf"
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
