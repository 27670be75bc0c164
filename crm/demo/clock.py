"""The demo's calendar: the months of history up to the one before ``as_of``, and the days that
stand for "now" — never the wall clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from crm.services import periods as P

HISTORY_MONTHS = 36


@dataclass
class Window:
    as_of: str
    last: str  # M, the month before as_of
    periods: list[str]
    first_day: date  # first day of the history
    last_day: date  # last day of M
    today: date  # first day of as_of: "now" for end dates


def history_window(as_of: str) -> Window:
    last = P.shift(as_of, -1)
    periods = P.months_ending(last, HISTORY_MONTHS)
    return Window(as_of, last, periods, P.month_start(periods[0]), P.month_end(last), P.month_start(as_of))


DEMO_DAY = 15  # mid-month: the work lists have weeks behind them and the month's confirmations are due


def demo_today(as_of: str, today: date | None = None) -> date:
    """The business day the demo's dated work (属地化, 预警) is as of: ``today`` when it lies in the
    month ``as_of`` (the day the app runs on), else the 15th of that month."""
    if today is not None and P.period_of(today) == as_of:
        return today
    return P.month_start(as_of).replace(day=DEMO_DAY)
