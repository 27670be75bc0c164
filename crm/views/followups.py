"""My work (我的跟进): the leads a promoter should call today, the overdue ones (by how many days),
the ones never followed up, and the coming week. A promoter starts the day here."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user

from crm.extensions import db
from crm.permissions import allow
from crm.services.bounds import QueryReader
from crm.services.followups import UPCOMING_DAYS, my_work
from crm.services.leads import FLAG_LABELS, lead_flags, pipeline_rules, promoters
from crm.web.params import today

bp = Blueprint("followups", __name__)
SHOWN = 50  # per list: the most urgent first; the whole list is one click away in /leads


@bp.route("/followups")
@allow("followups.view")
def index():
    # A promoter sees their own leads; an admin or leader may look at one promoter's or everyone's.
    if current_user.role == "promoter":
        owner_id = current_user.id
    else:
        query = QueryReader(request.args)
        owner_id = query.id("owner", "负责人")
        for problem in query.problems:
            flash(problem, "warning")
    work = my_work(db.session, today(), owner_id, limit=SHOWN)
    return render_template(
        "followups/index.html",
        work=work,
        today=today(),
        owner_id=owner_id,
        owners=promoters(db.session),
        lead_flags=lead_flags,
        FLAG_LABELS=FLAG_LABELS,
        # Built once for hundreds of rows: a lead's page is /leads/<id>.
        lead_root=url_for("leads.show", lead_id=0).removesuffix("0"),
        rules=pipeline_rules(db.session),
        upcoming_days=UPCOMING_DAYS,
    )
