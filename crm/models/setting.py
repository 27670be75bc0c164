"""Settings an admin may change at run time (thresholds, basis), with defaults in code.

Almost every page reads them (tier rules, pipeline deadlines), so they are kept per process under
the ``settings`` data-version token, which every flush that writes a setting changes: a page that
reads the tokens anyway (most do, for the figure cache) then needs no query for the settings."""
from __future__ import annotations

from sqlalchemy import String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm.extensions import db
from crm.models.memo import forget, remembered
from crm.models.version import SETTINGS, bump, tokens

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
    return dict(remembered(session, "settings", lambda: _settings_of_this_version(session)))


def _settings_of_this_version(session) -> dict[str, str]:
    from crm.services.figure_cache import cached  # the cache sits above the models

    if tokens(session).get(SETTINGS) is None:  # never versioned (a new or wiped database)
        return _read_settings(session)
    return cached(session, (SETTINGS,), ("settings",), lambda: _read_settings(session))


def _read_settings(session) -> dict[str, str]:
    values = dict(DEFAULTS)
    values.update({row.key: row.value for row in session.scalars(select(Setting))})
    return values


def _changes_settings(session) -> bool:
    return any(isinstance(obj, Setting) for obj in (*session.new, *session.dirty, *session.deleted))


def _forget_on_flush(session, _context, _instances) -> None:
    if _changes_settings(session):
        forget(session, "settings")


def _new_version_after_flush(session, _context) -> None:
    if _changes_settings(session):  # still the flushed objects in after_flush
        bump(session, SETTINGS)


def init_settings(session_class=Session) -> None:
    """Forget the remembered settings when the session writes one; safe to call more than once."""
    if not event.contains(session_class, "before_flush", _forget_on_flush):
        event.listen(session_class, "before_flush", _forget_on_flush)
        event.listen(session_class, "after_flush", _new_version_after_flush)
