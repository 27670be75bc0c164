"""Keeping a building's register of units (房源) true: add, split, merge, resize, retire, mark a
unit self-use (自用) from a date and end it, or reserve it until a date.

Units are never deleted: a split or merge retires the old units on the day it takes effect and
creates the new ones from that day, so every past month still adds up to what it was. Rules:
- a unit's area lies between 1 m² and the building's size (its gross floor area, else its
  declared office area); the leasable area of the register never exceeds the declared office area;
- only a vacant unit — no lease on or after the day, not reserved — may be split, merged or retired;
- merged units are neighbours on one floor (consecutive in the floor's numbering);
- self-use is dated (``crm.services.self_use``): periods of a unit do not overlap and never meet
  a lease; the parts of a split and the result of a merge keep the self-use of what they replace;
- a change that reaches into a confirmed month needs a correction reason (``crm.services.corrections``);
  resizing reaches every month the unit existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm.models import Building, Unit, UnitSelfUse
from crm.services import bounds
from crm.services.corrections import correcting
from crm.services.errors import DomainError
from crm.services.leases import clashes
from crm.services.occupancy import self_use_on, unit_exists_on
from crm.services.reach import SelfUseState, UnitState, self_use_span, unit_span
from crm.services.self_use import describe, meets, period_on, periods_of
from crm.services.timeline import refuse_stale

MIN_AREA = Decimal("1")
MIN_FLOOR = -5  # basements


@dataclass
class Part:
    number: str
    area: Decimal


def as_area(value, field: str = "area") -> Decimal:
    """An area typed in m²; the building bounds it (``check_area``), the app's bound before that."""
    return bounds.check_area(bounds.decimal_of(value, "面积", field), "面积", field)


def building_size(building: Building) -> Decimal:
    return building.gross_floor_area or building.declared_office_area


def check_area(building: Building, area: Decimal, field: str = "area") -> None:
    if area < MIN_AREA:
        raise DomainError(f"单元面积 {area} m² 小于 1 m²", field=field)
    size = building_size(building)
    if area > size:
        raise DomainError(f"单元面积 {area:,.2f} m² 超过整栋楼的面积 {size:,.2f} m²", field=field)


def check_number(session, building: Building, floor: int, number: str, field: str = "number") -> str:
    number = (number or "").strip()
    if not number:
        raise DomainError("请填写单元号", field=field)
    if len(number) > 16:
        raise DomainError("单元号最多 16 个字符", field=field)
    taken = session.scalar(
        select(Unit.id).where(Unit.building_id == building.id, Unit.floor == floor, Unit.number == number)
    )
    if taken is not None:
        raise DomainError(f"{floor}F 已有（或曾有）单元号 {number}，请换一个单元号", field=field)
    return number


def check_floor(building: Building, floor) -> int:
    try:
        floor = int(floor)
    except (TypeError, ValueError):
        raise DomainError("楼层应为整数", field="floor") from None
    if floor == 0 or floor < MIN_FLOOR or floor > building.floors:
        raise DomainError(f"楼层应在 {MIN_FLOOR} 到 {building.floors} 之间（不含 0）", field="floor")
    return floor


def register_leasable_area(session, building: Building, day: date) -> Decimal:
    """Σ area of the units not retired and not self-use on ``day``: the leasable area going forward."""
    total = session.scalar(
        select(func.coalesce(func.sum(Unit.area), 0)).where(
            Unit.building_id == building.id, Unit.retired_on.is_(None), ~self_use_on(day)
        )
    )
    return Decimal(total)


def check_declared_area(
    session, building: Building, removed: Decimal, added: Decimal, day: date, field: str = "area"
) -> None:
    after = register_leasable_area(session, building, day) - removed + added
    if after > building.declared_office_area:
        raise DomainError(
            f"调整后可租面积 {after:,.2f} m² 将超过登记办公面积 {building.declared_office_area:,.2f} m²",
            field=field,
        )


def check_in_building(building: Building, units: list[Unit], field: str = "units") -> None:
    for unit in units:
        if unit.building_id != building.id:
            raise DomainError(f"单元 {unit.label} 不属于 {building.name}", field=field)


def check_exists_on(unit: Unit, day: date, field: str = "on") -> None:
    if unit.retired_on is not None:
        raise DomainError(f"单元 {unit.label} 已于 {unit.retired_on} 停用", field=field)
    if unit.active_from is not None and unit.active_from > day:
        raise DomainError(f"单元 {unit.label} 自 {unit.active_from} 起才启用，日期不能早于此日", field=field)


def check_vacant_from(session, units: list[Unit], day: date, what: str) -> None:
    """Only units with no lease on or after ``day`` and no reservation may be restructured."""
    for clash in clashes(session, units, day, None):
        raise DomainError(
            f"单元 {clash.unit.label} 在 {day} 之后仍有租约（{clash.lease.company.name}），只有空置单元可以{what}",
            field="units",
        )
    for unit in units:
        if unit.reserved_until is not None and unit.reserved_until >= day:
            raise DomainError(f"单元 {unit.label} 已预留至 {unit.reserved_until}，请先取消预留再{what}", field="units")


def add_unit(
    session,
    building: Building,
    floor,
    number: str,
    area,
    day: date,
    self_use: bool = False,
    correction_reason: str | None = None,
) -> Unit:
    """A new unit from ``day``; ``self_use`` makes it self-use from that day."""
    floor = check_floor(building, floor)
    number = check_number(session, building, floor, number)
    area = as_area(area)
    check_area(building, area)
    if not self_use:
        check_declared_area(session, building, Decimal(0), area, day)
    with correcting(session, building, day, correction_reason, "add_unit"):
        unit = Unit(building=building, floor=floor, number=number, area=area, active_from=day)
        session.add(unit)
        if self_use:
            session.add(UnitSelfUse(unit=unit, start_date=day))
    return unit


def inherit_self_use(session, old: list[Unit], new: list[Unit], day: date) -> None:
    """The units replacing ``old`` on ``day`` are self-use as long as those were."""
    periods = periods_of(session, [u.id for u in old])
    current = [period_on(periods.get(u.id, []), day) for u in old]
    if current[0] is None:
        return
    for unit in new:
        session.add(UnitSelfUse(unit=unit, start_date=day, end_date=current[0].end_date))


def self_use_alike(session, units: list[Unit], day: date) -> bool:
    periods = periods_of(session, [u.id for u in units])
    return len({period_on(periods.get(u.id, []), day) is not None for u in units}) == 1


def parse_parts(rows) -> list[Part]:
    """(number, area) pairs typed in a form; blank rows are skipped."""
    parts = []
    for index, (number, area) in enumerate(rows):
        if not (number or "").strip() and not str(area or "").strip():
            continue
        parts.append(Part((number or "").strip(), as_area(area, field=f"parts-{index}-area")))
    return parts


def split_unit(session, unit: Unit, day: date, parts: list[Part], correction_reason: str | None = None) -> list[Unit]:
    building = unit.building
    if len(parts) < 2:
        raise DomainError("拆分至少要得到两个单元", field="parts")
    total = sum((p.area for p in parts), Decimal(0))
    if total != unit.area:
        raise DomainError(
            f"拆分后各部分面积之和 {total:,.2f} m² 与原单元面积 {unit.area:,.2f} m² 不一致", field="parts"
        )
    numbers = [p.number for p in parts]
    if len(set(numbers)) != len(numbers):
        raise DomainError("拆分后的单元号不能重复", field="parts")
    for index, part in enumerate(parts):
        check_number(session, building, unit.floor, part.number, field=f"parts-{index}-number")
        if part.area < MIN_AREA:
            raise DomainError(f"单元 {part.number} 面积 {part.area} m² 小于 1 m²", field=f"parts-{index}-area")
    check_exists_on(unit, day)
    check_vacant_from(session, [unit], day, "拆分")
    with correcting(session, building, day, correction_reason, "split"):
        unit.retired_on = day
        new_units = [
            Unit(building=building, floor=unit.floor, number=p.number, area=p.area, active_from=day) for p in parts
        ]
        session.add_all(new_units)
        inherit_self_use(session, [unit], new_units, day)
    return new_units


def floor_units_on(session, building: Building, floor: int, day: date) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.building_id == building.id, Unit.floor == floor, Unit.retired_on.is_(None), unit_exists_on(day))
            .order_by(Unit.number)
        )
    )


def merge_units(
    session, building: Building, units: list[Unit], day: date, number: str, correction_reason: str | None = None
) -> Unit:
    units = list({u.id: u for u in units}.values())
    if len(units) < 2:
        raise DomainError("请至少选择两个相邻单元进行合并", field="units")
    check_in_building(building, units)
    floors = {u.floor for u in units}
    if len(floors) != 1:
        raise DomainError("只能合并同一楼层的单元", field="units")
    for unit in units:
        check_exists_on(unit, day)
    floor = floors.pop()
    order = [u.id for u in floor_units_on(session, building, floor, day)]
    positions = sorted(order.index(u.id) for u in units)
    if positions != list(range(positions[0], positions[0] + len(positions))):
        raise DomainError(f"只能合并相邻的单元：所选单元在 {floor}F 上不相连", field="units")
    if not self_use_alike(session, units, day):
        raise DomainError("自用单元与出租单元不能合并", field="units")
    check_vacant_from(session, units, day, "合并")
    number = check_number(session, building, floor, number)
    with correcting(session, building, day, correction_reason, "merge"):
        area = sum((u.area for u in units), Decimal(0))
        for unit in units:
            unit.retired_on = day
        merged = Unit(building=building, floor=floor, number=number, area=area, active_from=day)
        session.add(merged)
        inherit_self_use(session, units, [merged], day)
    return merged


def retire_unit(session, unit: Unit, day: date, correction_reason: str | None = None) -> Unit:
    check_exists_on(unit, day)
    check_vacant_from(session, [unit], day, "停用")
    with correcting(session, unit.building, day, correction_reason, "retire"):
        unit.retired_on = day
    return unit


def update_unit(
    session, unit: Unit, version, area, reserved_until: date | None, today: date, correction_reason: str | None = None
) -> Unit:
    """Resize a unit and set its reservation, refusing a save on a stale form.

    The area counts on every day the unit exists, so resizing reaches every confirmed month since
    then: a correction (a measurement put right), with its reason."""
    refuse_stale(session, "unit", unit, version)
    building = unit.building
    if unit.retired_on is not None:
        raise DomainError(f"单元 {unit.label} 已于 {unit.retired_on} 停用，不能再修改", field="area")
    area = as_area(area)
    check_area(building, area)
    self_use_today = period_on(periods_of(session, [unit.id]).get(unit.id, []), today) is not None
    if not self_use_today and area > unit.area:
        check_declared_area(session, building, unit.area, area, today)
    let_from_today = clashes(session, [unit], today, None)
    if reserved_until is not None and reserved_until != unit.reserved_until:
        if reserved_until < today:
            raise DomainError(f"预留截止日期 {reserved_until} 早于今天", field="reserved_until")
        if self_use_today:
            raise DomainError("自用单元不需要预留", field="reserved_until")
        if any(c.lease.start_date <= today for c in let_from_today):
            raise DomainError(f"单元 {unit.label} 目前已出租，不能预留", field="reserved_until")
    state = UnitState(unit.active_from, unit.retired_on, unit.area)
    span = unit_span(state, UnitState(unit.active_from, unit.retired_on, area))
    with correcting(session, building, span, correction_reason, "edit_unit"):
        unit.area = area
        unit.reserved_until = reserved_until
    return unit


# ------------------------------------------------------------------------------------------ self-use


def check_dates(unit: Unit, start: date | None, end: date | None, field: str) -> None:
    if end is not None and start is not None and end < start:
        raise DomainError(f"自用截止日期 {end} 早于起始日期 {start}", field=field)
    if start is not None and unit.active_from is not None and start < unit.active_from:
        raise DomainError(f"单元 {unit.label} 自 {unit.active_from} 起才启用，自用起始日期不能早于此日", field=field)
    if unit.retired_on is not None and start is not None and start >= unit.retired_on:
        raise DomainError(f"单元 {unit.label} 已于 {unit.retired_on} 停用", field=field)


def check_period(
    session,
    unit: Unit,
    start: date | None,
    end: date | None,
    ignore: UnitSelfUse | None = None,
    field: str = "self_use_from",
) -> None:
    """A self-use period ``start``..``end`` may be recorded on ``unit``: no overlap, no lease."""
    check_dates(unit, start, end, field)
    for other in periods_of(session, [unit.id]).get(unit.id, []):
        if other is not ignore and meets(other, start or date.min, end):
            raise DomainError(f"单元 {unit.label} 已有自用期（{describe(other)}），与所填日期重叠", field=field)
    for clash in clashes(session, [unit], start or date.min, end):
        raise DomainError(
            f"单元 {unit.label} 在该期间有租约（{clash.lease.company.name}，{clash.lease.start_date} 起），不能设为自用",
            field=field,
        )


def start_self_use(
    session, unit: Unit, start: date | None, end: date | None = None, correction_reason: str | None = None
) -> UnitSelfUse:
    """Mark ``unit`` self-use from ``start`` (through ``end``, its last day; None: open)."""
    if start is None:
        raise DomainError("请填写自用起始日期", field="self_use_from")
    check_period(session, unit, start, end)
    span = self_use_span(None, SelfUseState(start, end))
    with correcting(session, unit.building, span, correction_reason, "self_use"):
        period = UnitSelfUse(unit=unit, start_date=start, end_date=end)
        session.add(period)
    return period


def end_self_use(session, unit: Unit, last_day: date | None, correction_reason: str | None = None) -> UnitSelfUse:
    """End the self-use period covering ``last_day`` on that day (its last day of self-use).

    From the next day the unit is leasable again, which may not push the building's leasable
    area past its declared office area."""
    if last_day is None:
        raise DomainError("请填写自用截止日期（自用的最后一天）", field="self_use_until")
    period = period_on(periods_of(session, [unit.id]).get(unit.id, []), last_day)
    if period is None:
        raise DomainError(f"单元 {unit.label} 在 {last_day} 不是自用，无需结束", field="self_use_until")
    if period.end_date == last_day:
        return period
    check_dates(unit, period.start_date, last_day, "self_use_until")
    if unit.retired_on is None:
        check_declared_area(
            session, unit.building, Decimal(0), unit.area, last_day + timedelta(days=1), field="self_use_until"
        )
    span = self_use_span(SelfUseState(period.start_date, period.end_date), SelfUseState(period.start_date, last_day))
    with correcting(session, unit.building, span, correction_reason, "self_use"):
        period.end_date = last_day
    return period
