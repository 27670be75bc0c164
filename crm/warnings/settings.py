"""The thresholds of the warning rules: settings an admin edits, with defaults in code.

Stored as ``Setting`` rows (``crm.models.setting``) under the keys below; a key without a row
reads its default, so nothing needs seeding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from crm.models import Setting
from crm.models.setting import all_settings
from crm.services.errors import DomainError


@dataclass(frozen=True)
class Threshold:
    key: str
    label: str
    default: str
    minimum: Decimal
    maximum: Decimal
    whole: bool  # a count of days or companies, not a percentage
    help: str = ""


THRESHOLDS = (
    Threshold(
        "warn_top_n", "纳税大户范围（前 N 名）", "100", Decimal(1), Decimal(10000), True, "按最近 12 个月全口径税收排名"
    ),
    Threshold(
        "warn_tax_drop_pct",
        "税收下滑阈值（%）",
        "30",
        Decimal("0.1"),
        Decimal(100),
        False,
        "最近 3 个月比上年同期下降达到该比例即预警",
    ),
    Threshold(
        "warn_lease_days", "大户租约临期天数", "180", Decimal(1), Decimal(730), True, "租约在该天数内到期且未续约即预警"
    ),
    Threshold(
        "warn_occupancy_points",
        "入驻率月降幅阈值（百分点）",
        "5",
        Decimal("0.1"),
        Decimal(100),
        False,
        "月末入驻率比上月末下降达到该百分点数即预警",
    ),
    Threshold(
        "warn_confirm_days",
        "月度数据确认宽限天数",
        "10",
        Decimal(1),
        Decimal(60),
        True,
        "月末后超过该天数仍未确认即预警",
    ),
    Threshold(
        "warn_outflow_days",
        "外迁回看天数",
        "30",
        Decimal(1),
        Decimal(366),
        True,
        "每次评估检查该天数内的属地标记变化与迁出",
    ),
    Threshold("warn_overdue_days", "待处置超期天数", "7", Decimal(1), Decimal(365), True, "待处置超过该天数列为超期"),
)
BY_KEY = {t.key: t for t in THRESHOLDS}


@dataclass(frozen=True)
class WarningSettings:
    top_n: int
    tax_drop_pct: Decimal
    lease_days: int
    occupancy_points: Decimal
    confirm_days: int
    outflow_days: int
    overdue_days: int


def _value(raw: str, threshold: Threshold) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{threshold.label}应为数字：{raw}", field=threshold.key) from None
    if not value.is_finite() or not threshold.minimum <= value <= threshold.maximum:
        raise DomainError(
            f"{threshold.label}应在 {threshold.minimum} 到 {threshold.maximum} 之间：{raw}", field=threshold.key
        )
    if threshold.whole and value != value.to_integral_value():
        raise DomainError(f"{threshold.label}应为整数：{raw}", field=threshold.key)
    return value


def current_values(session) -> dict[str, Decimal]:
    stored = all_settings(session)
    values = {}
    for t in THRESHOLDS:
        try:
            values[t.key] = _value(stored.get(t.key, t.default), t)
        except DomainError:  # a row written around the form: the default rather than a broken rule
            values[t.key] = Decimal(t.default)
    return values


def warning_settings(session) -> WarningSettings:
    v = current_values(session)
    return WarningSettings(
        top_n=int(v["warn_top_n"]),
        tax_drop_pct=v["warn_tax_drop_pct"],
        lease_days=int(v["warn_lease_days"]),
        occupancy_points=v["warn_occupancy_points"],
        confirm_days=int(v["warn_confirm_days"]),
        outflow_days=int(v["warn_outflow_days"]),
        overdue_days=int(v["warn_overdue_days"]),
    )


def update_warning_settings(session, raw: dict[str, str]) -> bool:
    """Check every value first (a bad one names its field and nothing is written); store the
    changed ones. Returns whether anything changed."""
    checked = {t.key: _value(raw.get(t.key, ""), t) for t in THRESHOLDS}
    current = current_values(session)
    changed = False
    for key, value in checked.items():
        if value == current[key]:
            continue
        text = format(value.normalize(), "f")
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=text))
        else:
            row.value = text
        changed = True
    session.flush()
    return changed
