"""Settings an admin may change at run time (thresholds, basis), with defaults in code.

Almost every page reads them several times (tier rules, pipeline deadlines): they are read once
per transaction (one query of a small table) and again once the session itself writes one."""

from __future__ import annotations

from sqlalchemy import String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm.extensions import db
from crm.cache.memo import forget, remembered

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
    """Every setting: stored values over the defaults, read once per transaction (a page asks
    for the tier rules and the pipeline deadlines several times) and again once the session
    itself changes a setting."""
    if _changes_settings(session):
        forget(session, "settings")
    return dict(remembered(session, "settings", lambda: _read_settings(session)))


def _read_settings(session) -> dict[str, str]:
    values = dict(DEFAULTS)
    values.update({row.key: row.value for row in session.scalars(select(Setting))})
    return values


def _changes_settings(session) -> bool:
    return any(isinstance(obj, Setting) for obj in (*session.new, *session.dirty, *session.deleted))


def _forget_on_flush(session, _context, _instances) -> None:
    if _changes_settings(session):
        forget(session, "settings")


def init_settings(session_class=Session) -> None:
    """Forget the remembered settings when the session writes one; safe to call more than once."""
    if not event.contains(session_class, "before_flush", _forget_on_flush):
        event.listen(session_class, "before_flush", _forget_on_flush)
