"""Settings an admin may change at run time (thresholds, basis), with defaults in code."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db

DEFAULTS = {
    "tier_basis": "total",  # total 全口径 | district 区级
    "tier_yi": "100000000",
    "tier_wuqianwan": "50000000",
    "tier_qianwan": "10000000",
    "candidate_threshold": "50000000",
    # Pipeline deadlines (days) and the area tolerance of 载体匹配 (fraction of the intended area).
    "lead_first_followup_days": "3",
    "lead_stale_days": "14",
    "lead_signed_register_days": "90",
    "matching_area_tolerance": "0.20",
}


class Setting(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


def all_settings(session) -> dict[str, str]:
    """Every setting in one query: stored values over the defaults."""
    from sqlalchemy import select

    values = dict(DEFAULTS)
    values.update({row.key: row.value for row in session.scalars(select(Setting))})
    return values
