"""The admin's tax settings: tier thresholds, the candidate threshold and the basis (口径).

Stored in ``settings`` over the defaults of ``crm.models.setting.DEFAULTS``; tiers
(``crm.services.tax.tier_rules``) and the candidate list read them on every request, so a change
shows at once on every page, API answer and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crm.models import Setting
from crm.models.setting import all_settings
from crm.services.bounds import MAX_TAX, check_amount
from crm.services.errors import DomainError

BASES = {"total": "全口径", "district": "区级"}
KEYS = {"yi": "tier_yi", "wuqianwan": "tier_wuqianwan", "qianwan": "tier_qianwan", "candidate": "candidate_threshold"}


@dataclass(frozen=True)
class TaxSettings:
    basis: str
    yi: Decimal
    wuqianwan: Decimal
    qianwan: Decimal
    candidate: Decimal


def current_tax_settings(session) -> TaxSettings:
    values = all_settings(session)
    return TaxSettings(values["tier_basis"], *(Decimal(values[key]) for key in KEYS.values()))


def validate(new: TaxSettings) -> None:
    if new.basis not in BASES:
        raise DomainError("请选择全口径或区级", field="basis")
    labels = {"yi": "亿元楼门槛", "wuqianwan": "五千万楼门槛", "qianwan": "千万楼门槛", "candidate": "候选门槛"}
    for name, label in labels.items():
        value = getattr(new, name)
        if value is None or not value.is_finite() or value <= 0:
            raise DomainError(f"{label}必须大于 0", field=name)
        check_amount(value, label, name, MAX_TAX)
    if new.wuqianwan >= new.yi:
        raise DomainError("五千万楼门槛必须低于亿元楼门槛", field="wuqianwan")
    if new.qianwan >= new.wuqianwan:
        raise DomainError("千万楼门槛必须低于五千万楼门槛", field="qianwan")
    if new.candidate > new.yi:
        raise DomainError("候选门槛不能高于亿元楼门槛：候选是尚未达到亿元楼门槛的楼宇", field="candidate")


def update_tax_settings(session, new: TaxSettings) -> list[str]:
    """Validate and store ``new``; returns the names of the settings that changed."""
    validate(new)
    current = current_tax_settings(session)
    stored = {
        "tier_basis": new.basis,
        **{key: str(getattr(new, name).quantize(Decimal("0.01"))) for name, key in KEYS.items()},
    }
    changed = [name for name in ("basis", *KEYS) if getattr(current, name) != getattr(new, name)]
    for key, value in stored.items():
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
    session.flush()
    return changed
