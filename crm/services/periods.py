"""Months as ``YYYY-MM`` strings, business dates in Asia/Shanghai, and the app's notion of today.

Periods are strings because that is how the tax bureau names them and because they sort and
compare correctly as text in both SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm.services.bounds import FIRST_DAY, LAST_DAY
from crm.services.errors import DomainError

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def business_today(fixed: str | None = None) -> date:
    """Today in Asia/Shanghai; ``fixed`` (CRM_TODAY, ISO date) replays a given day."""
    if fixed:
        return date.fromisoformat(fixed)
    return datetime.now(BUSINESS_TZ).date()


def parse_period(text: str, field: str = "month") -> str:
    # NFKC turns the full-width digits a Chinese input method types into ASCII ones.
    match = PERIOD_RE.match(unicodedata.normalize("NFKC", text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not FIRST_DAY.year <= int(match.group(1)) <= LAST_DAY.year:
        raise DomainError(f"月份格式不正确：{text!r}，应为 YYYY-MM，例如 2026-10", field=field)
    return match.group(0)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def split(period: str) -> tuple[int, int]:
    year, month = period.split("-")
    return int(year), int(month)


def shift(period: str, months: int) -> str:
    year, month = split(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(period: str) -> date:
    year, month = split(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def month_start(period: str) -> date:
    year, month = split(period)
    return date(year, month, 1)


def as_of_day(period: str, today: date | None) -> date:
    """The day a month's figures are read at: its last day, or ``today`` while it runs."""
    end = month_end(period)
    return end if today is None else min(end, today)


def last_complete_month(today: date) -> str:
    return shift(period_of(today), -1)


def months_ending(period: str, count: int) -> list[str]:
    """The ``count`` months ending with ``period``, oldest first."""
    return [shift(period, offset) for offset in range(-count + 1, 1)]


def year_start(period: str) -> str:
    return f"{split(period)[0]:04d}-01"


def label(period: str) -> str:
    year, month = split(period)
    return f"{year}年{month}月"
