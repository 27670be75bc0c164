"""Imports: choose a kind, download its template, upload, read the preview, confirm or reject;
and the history of imports with the rows each one changed."""

from __future__ import annotations

import io
import os
from datetime import timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, undefer
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from crm.extensions import db
from crm.forms import AppForm
from crm.io import imports as workflow
from crm.io import retention
from crm.io.extent import ReadLimits
from crm.io.kinds import all_kinds, get_kind
from crm.io.templates import template
from crm.models import Correction, ImportBatch, ImportChange
from crm.permissions import allow, ensure
from crm.services.errors import DomainError
from crm.services.periods import BUSINESS_TZ
from crm.web.params import page_number, today
from crm.web.transaction import Stale, transaction

bp = Blueprint("imports", __name__)

HISTORY_PAGE = 30
CHANGES_PAGE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def helpers():
    return {"local_time": local_time, "kind_labels": {k.name: k.label for k in all_kinds()}}


def local_time(moment) -> str:
    """A UTC timestamp as Asia/Shanghai wall time (SQLite hands it back without a zone)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


class UploadForm(AppForm):
    # Checked by the import workflow, whose refusal names the kind in Chinese.
    kind = SelectField("数据类型", choices=[], validate_choice=False)
    file = FileField("文件", validators=[FileRequired("请选择要上传的 .xlsx 或 .csv 文件")])
    correction_reason = TextAreaField(
        "更正原因（仅更正已确认月份时填写）",
        validators=[Optional(), Length(max=500, message="最多 500 个字符")],
        description="文件中改动已确认月份（月度填报）的行，只能作为一次更正导入：填写原因，例如“10 月新签租约漏登记”。",
    )


class ConfirmForm(AppForm):
    create_unmatched = BooleanField("新建未匹配的企业")


class RejectForm(AppForm):
    pass


def history_query():
    stmt = select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
    if current_user.role != "admin":
        stmt = stmt.where(ImportBatch.user_id == current_user.id)
    return stmt


def render_index(form: UploadForm, status: int = 200):
    kinds = workflow.kinds_for(current_user)
    page = page_number()
    stmt = history_query()
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    batches = db.session.scalars(stmt.limit(HISTORY_PAGE).offset((page - 1) * HISTORY_PAGE)).all()
    pages = max((total + HISTORY_PAGE - 1) // HISTORY_PAGE, 1)
    return render_template(
        "imports/index.html",
        form=form,
        kinds=kinds,
        batches=batches,
        page=page,
        pages=pages,
        total=total,
    ), status


def read_limits() -> ReadLimits:
    return ReadLimits.from_config(current_app.config)


def upload_form() -> UploadForm:
    form = UploadForm()
    form.kind.choices = [(k.name, k.label) for k in workflow.kinds_for(current_user)]
    if not form.kind.data and request.args.get("kind"):
        form.kind.data = request.args["kind"]
    return form


@bp.route("/imports", methods=["GET"])
@allow("imports.use")
def index():
    return render_index(upload_form())


@bp.route("/imports", methods=["POST"])
@allow("imports.use")
def upload():
    form = upload_form()
    if not form.validate_on_submit():
        return render_index(form, 400)
    upload = form.file.data
    data = upload.read()
    retention.prune_originals(db.session, retention.Retention.from_config(current_app.config), incoming=len(data))
    with transaction(form, default_field="file") as saved:
        batch = workflow.preview(
            db.session,
            current_user,
            form.kind.data,
            os.path.basename(upload.filename or ""),
            data,
            today(),
            form.correction_reason.data,
            limits=read_limits(),
        )
    if not saved:
        return render_index(form, 400)
    return redirect(url_for("imports.show", batch_id=batch.id))


@bp.route("/imports/<int:batch_id>/file")
@allow("imports.use")
def original(batch_id):
    batch = get_batch(batch_id)
    if not batch.has_original:
        flash(
            f"原始文件已于 {local_time(batch.original_removed_at)} 按保留期限删除，不能再下载；导入记录和报告仍然保留。",
            "warning",
        )
        return redirect(url_for("imports.show", batch_id=batch.id))
    return send_file(
        io.BytesIO(batch.content), as_attachment=True, download_name=batch.filename, mimetype="application/octet-stream"
    )


def get_batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id, options=[undefer(ImportBatch.report_json)])
    if batch is None:
        abort(404)
    ensure("imports.use", batch)
    return batch


@bp.route("/imports/<int:batch_id>")
@allow("imports.use")
def show(batch_id):
    batch = get_batch(batch_id)
    kind = get_kind(batch.kind)
    page = page_number()
    changes, pages = [], 1
    if batch.status == "applied":
        stmt = select(ImportChange).where(ImportChange.batch_id == batch.id)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        pages = max((total + CHANGES_PAGE - 1) // CHANGES_PAGE, 1)
        changes = db.session.scalars(
            stmt.order_by(ImportChange.row_number, ImportChange.id)
            .limit(CHANGES_PAGE)
            .offset((page - 1) * CHANGES_PAGE)
        ).all()
    corrections = (
        db.session.scalars(
            select(Correction)
            .where(Correction.import_batch_id == batch.id)
            .options(selectinload(Correction.building))
            .order_by(Correction.building_id, Correction.period)
        ).all()
        if batch.status == "applied"
        else []
    )
    return render_template(
        "imports/show.html",
        batch=batch,
        kind=kind,
        report=batch.report,
        changes=changes,
        page=page,
        pages=pages,
        confirm_form=ConfirmForm(),
        reject_form=RejectForm(),
        corrections=corrections,
    )


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@allow("imports.use")
def confirm(batch_id):
    batch = get_batch(batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with transaction(show=False) as saved:
            changes = workflow.confirm(
                db.session,
                current_user,
                batch,
                today(),
                create_unmatched=form.create_unmatched.data,
                limits=read_limits(),
            )
    except IntegrityError:  # another import created the same key meanwhile; rolled back already
        saved.error = Stale()
    if isinstance(saved.error, workflow.StalePreview):
        with transaction(reraise=True):  # the preview is worked out again from the data now saved
            workflow.refresh(db.session, current_user, get_batch(batch_id), today(), limits=read_limits())
        flash(saved.error.message, "warning")
    elif saved.stale:
        flash("导入时有人同时修改了相关记录，本次没有写入任何数据，请重新确认。", "warning")
    elif not saved:
        flash(saved.error.message, "danger")
    else:
        created = sum(1 for c in changes if c.action == "create")
        updated = len(changes) - created
        flash(f"导入完成：新增 {created:,} 条，更新 {updated:,} 条记录。", "success")
    return redirect(url_for("imports.show", batch_id=batch_id))


@bp.route("/imports/<int:batch_id>/reject", methods=["POST"])
@allow("imports.use")
def reject(batch_id):
    batch = get_batch(batch_id)
    if not RejectForm().validate_on_submit():
        abort(400)
    with transaction() as saved:
        workflow.reject(db.session, batch)
    if saved:
        flash("已拒绝此文件，没有写入任何数据。", "info")
    return redirect(url_for("imports.show", batch_id=batch_id))


@bp.route("/imports/templates/<kind_name>.xlsx")
@allow("imports.use")
def template_file(kind_name):
    try:
        kind = workflow.allowed_kind(current_user, kind_name)
    except DomainError:
        abort(404)
    return send_file(
        io.BytesIO(template(kind)), as_attachment=True, download_name=f"{kind.label}导入模板.xlsx", mimetype=XLSX
    )
