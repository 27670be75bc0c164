"""The admin's view of the scheduler: jobs with last and next runs and outcomes, deliveries that
failed (retrying, given up, or impossible), and the group-robot URL of each role."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from crm.extensions import db
from crm.forms.notifications import WebhooksForm
from crm.reminders.jobs import JOBS, last_runs, recent_runs
from crm.models.choices import ROLES
from crm.models.notification import CHANNELS, DELIVERY_STATUSES, JOB_OUTCOMES
from crm.permissions import allow
from crm.reminders import notify, robot_urls
from crm.services.errors import NotFound
from crm.web.transaction import transaction

bp = Blueprint("jobs_admin", __name__)


def _job_rows():
    last = last_runs(db.session)
    now = datetime.now(timezone.utc)
    return [
        {
            "job": job,
            "schedule": job.schedule(current_app.config),
            "last": last.get(job.name),
            "next": job.schedule(current_app.config).next_after(now),
        }
        for job in JOBS
    ]


def _render(form: WebhooksForm):
    troubled, counts = notify.troubled_deliveries(db.session)
    return render_template(
        "jobs_admin/index.html",
        jobs=_job_rows(),
        runs=recent_runs(db.session, 30),
        troubled=troubled,
        counts=counts,
        form=form,
        roles=ROLES,
        statuses=DELIVERY_STATUSES,
        channels=CHANNELS,
        outcomes=JOB_OUTCOMES,
        job_labels={job.name: job.label for job in JOBS},
        smtp_host=current_app.config.get("SMTP_HOST"),
        smtp_port=current_app.config.get("SMTP_PORT"),
    )


@bp.route("/admin/jobs")
@allow("jobs.admin")
def index():
    form = WebhooksForm()
    form.webhook_hosts.data = robot_urls.hosts_text(notify.robot_hosts(db.session))
    hooks = notify.role_webhooks(db.session)
    for role in ROLES:
        getattr(form, f"webhook_{role}").data = hooks[role].url if role in hooks else ""
    return _render(form)


@bp.route("/admin/jobs/webhooks", methods=["POST"])
@allow("jobs.admin")
def webhooks():
    form = WebhooksForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            notify.set_robot_hosts(db.session, form.webhook_hosts.data)
            for role in ROLES:
                notify.set_role_webhook(
                    db.session,
                    role,
                    getattr(form, f"webhook_{role}").data,
                    current_app.config.get("WEBHOOK_TEST_HOSTS") or (),
                )
        if saved:
            flash("群机器人设置已保存", "success")
            return redirect(url_for("jobs_admin.index"))
    return _render(form), 400


@bp.route("/admin/jobs/deliveries/<int:delivery_id>/retry", methods=["POST"])
@allow("jobs.admin")
def retry(delivery_id):
    with transaction(show=False) as saved:
        notify.retry_delivery(db.session, delivery_id)
    if isinstance(saved.error, NotFound):
        abort(404)
    if not saved:
        flash(saved.error.message, "warning")
        return redirect(url_for("jobs_admin.index"))
    flash("已重新排队，定时任务进程将在下一轮投递时发送", "success")
    return redirect(url_for("jobs_admin.index"))
