"""The import workflow: preview a file into an ``ImportBatch``, then confirm or reject it.

Confirming re-reads the stored file and re-plans it inside the confirming transaction; when the
new plan's digest differs from the preview's — a record it reads was changed, created or deleted
in between — nothing is written (``StalePreview``) and the caller shows a fresh preview instead.
Otherwise the kind applies the whole plan and every record written is listed as an
``ImportChange``. The caller commits; on any error it rolls back, so an import applies entirely
or not at all.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone

from sqlalchemy import insert

from crm.io.extent import ReadLimits
from crm.io.kind import Change, Context
from crm.io.kinds import all_kinds, get_kind
from crm.io.readers import read_table
from crm.io.report import Plan, show_value
from crm.models import ImportBatch, ImportChange
from crm.services.bounds import clean_text
from crm.services.errors import DomainError

CHANGE_CHUNK = 10_000


class StalePreview(DomainError):
    """The data the preview was computed from changed before the confirm."""


def kind_allowed(user, kind) -> bool:
    """May ``user`` import ``kind`` at all (None is the command line, with full rights)."""
    if user is None:
        return True
    from crm.permissions import ACTIONS, may

    action = f"imports.{kind.name}"
    return action in ACTIONS and may(user, action)


def kinds_for(user) -> list:
    return [kind for kind in all_kinds() if kind_allowed(user, kind)]


def allowed_kind(user, name: str):
    kind = get_kind(name)
    if not kind_allowed(user, kind):
        raise DomainError(f"您没有导入“{kind.label}”的权限", field="kind")
    return kind


def scope_of(user) -> set[int] | None:
    """Buildings whose rows the user may import: a manager's own; everyone else's are unlimited."""
    if user is not None and user.role == "manager":
        return {b.id for b in user.buildings}
    return None


def build_plan(session, user, kind, filename: str, data: bytes, today: date,
               limits: ReadLimits | None = None) -> tuple[Plan, Context]:
    """The plan of a file; a file that cannot be read (or is too large) is a plan of one error."""
    ctx = Context(session, user, today, scope_of(user))
    try:
        table = read_table(filename, data, limits)
        return kind.plan(ctx, table), ctx
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


def _new_batch(session, user, kind, filename: str, data: bytes, plan: Plan, status: str) -> ImportBatch:
    batch = ImportBatch(
        kind=kind.name, status=status, user_id=user.id if user is not None else None,
        filename=clean_text(filename or "未命名")[-255:], sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data,
    )
    _fill(batch, plan)
    session.add(batch)
    session.flush()
    return batch


def preview(session, user, kind_name: str, filename: str, data: bytes, today: date,
            limits: ReadLimits | None = None) -> ImportBatch:
    """Plan the file and record it as a batch awaiting confirmation (or as invalid)."""
    kind = allowed_kind(user, kind_name)
    plan, _ = build_plan(session, user, kind, filename, data, today, limits)
    return _new_batch(session, user, kind, filename, data, plan, "previewed" if plan.ok else "invalid")


def refresh(session, user, batch: ImportBatch, today: date, limits: ReadLimits | None = None) -> ImportBatch:
    """Re-plan a waiting batch against the data as it is now."""
    kind = allowed_kind(user, batch.kind)
    plan, _ = build_plan(session, user, kind, batch.filename, batch.content, today, limits)
    _fill(batch, plan)
    batch.status = "previewed" if plan.ok else "invalid"
    session.flush()
    return batch


def confirm(session, user, batch: ImportBatch, today: date, create_unmatched: bool = False,
            limits: ReadLimits | None = None) -> list[Change]:
    """Apply the batch exactly as previewed, or refuse and write nothing."""
    if batch.status != "previewed":
        raise DomainError(f"这次导入的状态是“{batch.status_label}”，不能确认")
    kind = allowed_kind(user, batch.kind)
    plan, ctx = build_plan(session, user, kind, batch.filename, batch.content, today, limits)
    if plan.digest() != batch.plan_digest:
        raise StalePreview("预览之后数据已有变化（可能有人修改了相关记录），本次没有写入任何数据。已按最新数据重新生成预览，请核对后再确认。")
    changes = apply_plan(session, kind, plan, ctx, create_unmatched)
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
    return kind.apply(ctx, plan)


def reject(session, batch: ImportBatch) -> None:
    if batch.status not in ("previewed", "invalid"):
        raise DomainError(f"这次导入的状态是“{batch.status_label}”，不能拒绝")
    batch.status = "rejected"
    batch.decided_at = datetime.now(timezone.utc)
    session.flush()


def record_changes(session, batch: ImportBatch, changes: list[Change]) -> None:
    for start in range(0, len(changes), CHANGE_CHUNK):
        rows = [_change_row(batch, c) for c in changes[start:start + CHANGE_CHUNK]]
        session.execute(insert(ImportChange.__table__), rows)


def _change_row(batch: ImportBatch, c: Change) -> dict:
    return dict(
        batch_id=batch.id, row_number=c.row, action=c.action, table_name=c.table, record_id=c.record_id,
        record_key=c.key[:120],
        changes_json=json.dumps({k: [show_value(a), show_value(b)] for k, (a, b) in c.changes.items()},
                                ensure_ascii=False) if c.changes else None,
    )


def import_now(session, user, kind_name: str, filename: str, data: bytes, today: date,
               dry_run: bool = False, create_unmatched: bool = False,
               limits: ReadLimits | None = None) -> tuple[Plan, ImportBatch | None]:
    """Plan and, unless it is a dry run or refused, apply in one go (the command line).

    Returns the plan and the applied batch; a refused plan raises nothing and writes nothing —
    the caller reports ``plan.errors`` (or the unmatched rows) and exits non-zero.
    """
    kind = allowed_kind(user, kind_name)
    plan, ctx = build_plan(session, user, kind, filename, data, today, limits)
    if dry_run or not plan.ok or (plan.unmatched and not create_unmatched):
        return plan, None
    changes = apply_plan(session, kind, plan, ctx, create_unmatched)
    batch = _new_batch(session, user, kind, filename, data, plan, "applied")
    batch.decided_at = datetime.now(timezone.utc)
    record_changes(session, batch, changes)
    session.flush()
    return plan, batch
