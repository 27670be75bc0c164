"""Reading the change history: timelines of a building, unit, company or lease, and what a
concurrent editor changed (for the "someone else saved first" message)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from crm.models import ChangeLog, Lease
from crm.services import periods as P
from crm.services.errors import DomainError

# Field names as a reader knows them; a field not listed here is shown by its code name.
FIELD_LABELS = {
    "code": "编码",
    "name": "名称",
    "street": "街道",
    "zone": "片区",
    "address": "地址",
    "gross_floor_area": "建筑面积",
    "declared_office_area": "登记办公面积",
    "floors": "楼层数",
    "grade": "等级",
    "owner": "产权单位",
    "operator": "运营单位",
    "positioning": "特色定位",
    "building_id": "楼宇",
    "floor": "楼层",
    "number": "单元号",
    "area": "面积（m²）",
    "self_use": "自用",
    "self_use_start": "自用起始日期",
    "self_use_end": "自用截止日期",
    "units": "单元",
    "reserved_until": "预留至",
    "active_from": "启用日期",
    "retired_on": "停用日期",
    "uscc": "统一社会信用代码",
    "uscc_override": "信用代码人工确认",
    "industry_section": "行业门类",
    "industry_group": "产业",
    "registered_in_district": "属地注册",
    "taxed_in_district": "属地纳税",
    "hq_type": "总部类型",
    "employees": "从业人数",
    "registered_capital": "注册资本",
    "registered_building_id": "注册地楼宇",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "company_id": "企业",
    "start_date": "起租日期",
    "end_date": "到期日期",
    "moved_out_on": "迁出日期",
    "move_out_reason": "迁出原因",
    "period": "月份",
    "leasable_area": "可租面积",
    "occupied_area": "已出租面积",
    "vacant_area": "空置面积",
    "tenants": "入驻企业数",
    "registered_tenants": "属地注册企业数",
    "registered_area": "属地注册面积",
    "confirmed_at": "确认时间",
    "confirmed_by_id": "确认人",
    "is_demo": "演示数据",
}
# Bookkeeping fields of a correction: the entry shows the reason instead.
HIDDEN_FIELDS = {"corrected_at", "correction_reason", "confirmed_at"}
PAGE_SIZE = 100


@dataclass
class FieldChange:
    field: str
    label: str
    old: object
    new: object


def field_changes(entry: ChangeLog) -> list[FieldChange]:
    return [
        FieldChange(name, FIELD_LABELS.get(name, name), shown(old), shown(new))
        for name, (old, new) in (entry.changes or {}).items()
        if name not in HIDDEN_FIELDS
    ]


def shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


def _timeline(session, condition, limit: int = PAGE_SIZE) -> list[ChangeLog]:
    stmt = (
        select(ChangeLog)
        .where(condition)
        .options(selectinload(ChangeLog.actor))
        .order_by(ChangeLog.occurred_at.desc(), ChangeLog.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def building_timeline(session, building_id: int, object_type: str | None = None, limit: int = PAGE_SIZE):
    """Changes of the building itself and of its units, leases and monthly figures, newest first."""
    condition = ChangeLog.building_id == building_id
    if object_type:
        condition = and_(condition, ChangeLog.object_type == object_type)
    return _timeline(session, condition, limit)


def object_timeline(session, object_type: str, object_id: int, limit: int = PAGE_SIZE) -> list[ChangeLog]:
    return _timeline(session, and_(ChangeLog.object_type == object_type, ChangeLog.object_id == object_id), limit)


def company_timeline(session, company_id: int, limit: int = PAGE_SIZE, building_ids=None) -> list[ChangeLog]:
    """The company's own changes and those of its leases (move-ins and move-outs); with
    ``building_ids``, only of its leases there."""
    leases = select(Lease.id).where(Lease.company_id == company_id)
    if building_ids is not None:
        leases = leases.where(Lease.building_id.in_(building_ids))
    lease_ids = leases.scalar_subquery()
    condition = or_(
        and_(ChangeLog.object_type == "company", ChangeLog.object_id == company_id),
        and_(ChangeLog.object_type == "lease", ChangeLog.object_id.in_(lease_ids)),
    )
    return _timeline(session, condition, limit)


def last_change(session, object_type: str, object_id: int) -> ChangeLog | None:
    entries = object_timeline(session, object_type, object_id, limit=1)
    return entries[0] if entries else None


def change_summary(entry: ChangeLog | None) -> str:
    """One line saying who changed what, for a refused stale save."""
    if entry is None:
        return "他人已修改此记录"
    who = entry.actor.display_name if entry.actor is not None else "系统"
    parts = "；".join(f"{c.label}：{c.old} → {c.new}" for c in field_changes(entry)) or entry.action_label
    return f"{who} 于 {local_time(entry.occurred_utc)} 修改了此记录（{parts}）"


def local_time(moment: datetime) -> str:
    """A UTC timestamp as Beijing time, how the bureau reads times."""
    return moment.astimezone(P.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def refuse_stale(session, object_type: str, obj, loaded_version) -> None:
    """Refuse a save made on an out-of-date form, saying what the other person changed."""
    try:
        loaded = int(loaded_version)
    except (TypeError, ValueError):
        loaded = None
    if loaded is not None and loaded == obj.version:
        return
    raise DomainError(
        f"保存未成功：您打开表单之后，{change_summary(last_change(session, object_type, obj.id))}。"
        "表单已换成最新数据，请核对后重新提交。",
        field="version",
    )
