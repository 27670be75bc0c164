"""The import workflow: preview a file into an ``ImportBatch``, then confirm or reject it.

Confirming re-plans the stored file inside the confirming transaction — the rows the preview read
from it, kept with the batch (``crm.io.parsed``), or the file read again when none were kept; when
the new plan's digest differs from the preview's — a record it reads was changed, created or deleted
in between — nothing is written (``StalePreview``) and the caller shows a fresh preview instead.
Otherwise the kind applies the whole plan and every record written is listed as an
``ImportChange``. Rows that reach a month a manager has confirmed are refused unless the upload
gives a correction reason; with one, they are applied as one correction per building-month,
listing exactly those rows (``crm.services.corrections``). The caller commits; on any error it
rolls back, so an import applies entirely or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone


from crm.io import collector, parsed
from crm.io.bulk import insert_rows
from crm.io.extent import ReadLimits
from crm.io.kind import Change, Context
from crm.io.kinds import all_kinds, get_kind
from crm.io.readers import read_table
from crm.io.report import Plan, show_value
from crm.models import ImportBatch, ImportChange
from crm.models.localisation import TODAY_KEY as FLAGS_TODAY_KEY
from crm.access import ACTIONS, may, scope_of
from crm.services.corrections import MIN_REASON, clean_reason, finish, open_window
from crm.services.bounds import clean_text
from crm.services.errors import DomainError

CHANGE_CHUNK = 10_000
# How the change history names the records of each table (a correction lists their entries).
RECORD_TYPES = {"buildings": "building", "units": "unit", "companies": "company", "leases": "lease"}


class StalePreview(DomainError):
    """The data the preview was computed from changed before the confirm."""


def kind_allowed(user, kind) -> bool:
    """May ``user`` import ``kind`` at all (None is the command line, with full rights)."""
    if user is None:
        return True
    action = f"imports.{kind.name}"
    return action in ACTIONS and may(user, action)


def kinds_for(user) -> list:
    return [kind for kind in all_kinds() if kind_allowed(user, kind)]


def allowed_kind(user, name: str):
    kind = get_kind(name)
    if not kind_allowed(user, kind):
        raise DomainError(f"您没有导入“{kind.label}”的权限", field="kind")
    return kind


def build_plan(
    session,
    user,
    kind,
    filename: str,
    data: bytes,
    today: date,
    correction: str | None = None,
    limits: ReadLimits | None = None,
    read=None,
    kept: tuple | None = None,
) -> tuple[Plan, Context]:
    """The plan of a file; a file that cannot be read (or is too large) is a plan of one error.
    ``correction`` is the reason for rows that reach a confirmed month ("" refuses them).
    ``kept`` is what ``parsed.unpack`` gave for the file: its rows are planned without reading
    it; ``read(located, rows)`` sees the rows read from the file (see ``ImportKind.plan``)."""
    ctx = Context(session, user, today, scope_of(user), correction=clean_reason(correction))
    if kept is not None:
        ctx.located, rows = kept
        return kind.plan_read(ctx, rows, Plan(kind.name)), ctx
    try:
        table = read_table(filename, data, limits)
        return kind.plan(ctx, table, read), ctx
    except DomainError as error:  # also raised while rows are read: a CSV past the limits
        plan = Plan(kind.name)
        plan.error(None, None, None, error.message)
        return plan, ctx


def _fill(batch: ImportBatch, plan: Plan) -> None:
    counts = plan.counts()
    batch.created_count = counts["create"]
    batch.updated_count = counts["update"]
    batch.unchanged_count = counts["unchanged"]
    batch.unmatched_count = counts["unmatched"]
    batch.error_count = counts["errors"]
    batch.plan_digest = plan.digest()
    batch.report = plan.report()


def _new_batch(
    session, user, kind, filename: str, data: bytes, plan: Plan, status: str, correction: str | None = None
) -> ImportBatch:
    batch = ImportBatch(
        kind=kind.name,
        status=status,
        user_id=user.id if user is not None else None,
        filename=clean_text(filename or "未命名")[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        correction_reason=clean_reason(correction) or None,
    )
    _fill(batch, plan)
    session.add(batch)
    session.flush()
    return batch


def check_correction(correction: str | None) -> None:
    if correction is not None and correction.strip() and len(clean_reason(correction)) < MIN_REASON:
        raise DomainError("更正原因太短：请说明为什么要改动已确认的月份", field="correction_reason")


@collector.held()
def preview(
    session,
    user,
    kind_name: str,
    filename: str,
    data: bytes,
    today: date,
    correction: str | None = None,
    limits: ReadLimits | None = None,
) -> ImportBatch:
    """Plan the file and record it as a batch awaiting confirmation (or as invalid).

    ``correction`` is the reason for rows that reach a confirmed month; without it they are errors."""
    kind = allowed_kind(user, kind_name)
    check_correction(correction)
    sha256 = hashlib.sha256(data).hexdigest()
    read = {}

    def keep(located, rows):
        read["rows"] = parsed.pack(located, rows, today, sha256)

    plan, _ = build_plan(session, user, kind, filename, data, today, correction, limits, keep)
    batch = _new_batch(session, user, kind, filename, data, plan, "previewed" if plan.ok else "invalid", correction)
    if plan.ok:
        batch.parsed_rows = read.get("rows")
        session.flush()
    return batch


@collector.held()
def refresh(session, user, batch: ImportBatch, today: date, limits: ReadLimits | None = None) -> ImportBatch:
    """Re-plan a waiting batch against the data as it is now."""
    kind = allowed_kind(user, batch.kind)
    plan, _ = build_plan(session, user, kind, batch.filename, batch.content, today, batch.correction_reason, limits)
    _fill(batch, plan)
    batch.status = "previewed" if plan.ok else "invalid"
    session.flush()
    return batch


@collector.held()
def confirm(
    session, user, batch: ImportBatch, today: date, create_unmatched: bool = False, limits: ReadLimits | None = None
) -> list[Change]:
    """Apply the batch exactly as previewed, or refuse and write nothing."""
    if batch.status != "previewed":
        raise DomainError(f"这次导入的状态是“{batch.status_label}”，不能确认")
    kind = allowed_kind(user, batch.kind)
    content = batch.content
    # The rows kept are used only for these very bytes (and the day they were read on).
    kept = parsed.unpack(batch.parsed_rows, kind, today, hashlib.sha256(content).hexdigest())
    plan, ctx = build_plan(
        session, user, kind, batch.filename, content, today, batch.correction_reason, limits, kept=kept
    )
    if plan.digest() != batch.plan_digest:
        raise StalePreview(
            "预览之后数据已有变化（可能有人修改了相关记录），本次没有写入任何数据。已按最新数据重新生成预览，请核对后再确认。"
        )
    changes = apply_as_correction(session, kind, plan, ctx, create_unmatched, batch)
    record_changes(session, batch, changes)
    batch.status = "applied"
    batch.decided_at = datetime.now(timezone.utc)
    report = batch.report
    report["companies_created"] = sum(1 for c in changes if c.table == "companies" and kind.name != "companies")
    batch.report = report
    session.flush()
    return changes


def apply_plan(session, kind, plan: Plan, ctx: Context, create_unmatched: bool) -> list[Change]:
    if not plan.ok:
        raise DomainError(f"文件有 {len(plan.errors)} 处错误，没有导入：请修改后重新上传")
    if plan.unmatched and not create_unmatched:
        raise DomainError(
            f"有 {len(plan.unmatched)} 行的统一社会信用代码在系统中没有对应企业：请选择新建这些企业，或拒绝此文件"
        )
    ctx.options["create_unmatched"] = create_unmatched
    # A 属地注册 / 属地纳税 changed by a row takes effect on the import's day (CRM_TODAY on the command line too).
    session.info[FLAGS_TODAY_KEY] = ctx.today
    return kind.apply(ctx, plan)


def apply_as_correction(
    session, kind, plan: Plan, ctx: Context, create_unmatched: bool, batch: ImportBatch
) -> list[Change]:
    """Apply the plan; with a reason, the rows reaching confirmed months make one correction per
    building-month (without one the plan has refused them, and any write reaching one is refused)."""
    if not ctx.correction:
        return apply_plan(session, kind, plan, ctx, create_unmatched)
    window = open_window(session, ctx.correction, "import")
    changes = apply_plan(session, kind, plan, ctx, create_unmatched)
    session.flush()
    row_of = {(RECORD_TYPES.get(c.table, c.table), c.record_id): c.row for c in changes}
    finish(session, window, row_of, batch.id)
    return changes


def reject(session, batch: ImportBatch) -> None:
    if batch.status not in ("previewed", "invalid"):
        raise DomainError(f"这次导入的状态是“{batch.status_label}”，不能拒绝")
    batch.status = "rejected"
    batch.decided_at = datetime.now(timezone.utc)
    session.flush()


def record_changes(session, batch: ImportBatch, changes: list[Change]) -> None:
    for start in range(0, len(changes), CHANGE_CHUNK):
        rows = [_change_row(batch, c) for c in changes[start : start + CHANGE_CHUNK]]
        insert_rows(session, ImportChange.__table__, rows)


def _change_row(batch: ImportBatch, c: Change) -> dict:
    return dict(
        batch_id=batch.id,
        row_number=c.row,
        action=c.action,
        table_name=c.table,
        record_id=c.record_id,
        record_key=c.key[:120],
        changes_json=json.dumps(
            {k: [show_value(a), show_value(b)] for k, (a, b) in c.changes.items()}, ensure_ascii=False
        )
        if c.changes
        else None,
    )


@collector.held()
def import_now(
    session,
    user,
    kind_name: str,
    filename: str,
    data: bytes,
    today: date,
    dry_run: bool = False,
    create_unmatched: bool = False,
    correction: str | None = None,
    limits: ReadLimits | None = None,
) -> tuple[Plan, ImportBatch | None]:
    """Plan and, unless it is a dry run or refused, apply in one go (the command line).

    Returns the plan and the applied batch; a refused plan raises nothing and writes nothing —
    the caller reports ``plan.errors`` (or the unmatched rows) and exits non-zero. Rows reaching
    a confirmed month are errors unless ``correction`` gives the reason.
    """
    kind = allowed_kind(user, kind_name)
    check_correction(correction)
    plan, ctx = build_plan(session, user, kind, filename, data, today, correction, limits)
    if dry_run or not plan.ok or (plan.unmatched and not create_unmatched):
        return plan, None
    batch = _new_batch(session, user, kind, filename, data, plan, "applied", correction)
    batch.decided_at = datetime.now(timezone.utc)
    changes = apply_as_correction(session, kind, plan, ctx, create_unmatched, batch)
    record_changes(session, batch, changes)
    session.flush()
    return plan, batch
