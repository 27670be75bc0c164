"""Settings an admin may change at run time (thresholds, basis), with defaults in code."""
from __future__ import annotations

from sqlalchemy import String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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


MEMO_KEY = "settings_memo"


def all_settings(session) -> dict[str, str]:
    """Every setting: stored values over the defaults, read once per transaction (a page asks
    for the tier rules and the pipeline deadlines several times) and again once the session
    itself changes a setting."""
    values = session.info.get(MEMO_KEY)
    if values is None or _changes_settings(session):
        values = dict(DEFAULTS)
        values.update({row.key: row.value for row in session.scalars(select(Setting))})
        session.info[MEMO_KEY] = values
    return dict(values)


def _changes_settings(session) -> bool:
    return any(isinstance(obj, Setting) for obj in (*session.new, *session.dirty, *session.deleted))


def _forget_on_flush(session, _context, _instances) -> None:
    if _changes_settings(session):
        session.info.pop(MEMO_KEY, None)


def _forget_at_end(session, _transaction) -> None:
    session.info.pop(MEMO_KEY, None)


def init_settings(session_class=Session) -> None:
    """Keep the per-transaction settings memo honest; safe to call more than once."""
    if not event.contains(session_class, "before_flush", _forget_on_flush):
        event.listen(session_class, "before_flush", _forget_on_flush)
        event.listen(session_class, "after_transaction_end", _forget_at_end)
