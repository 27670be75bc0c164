"""Reading the query-string parameters that pages and the API share (month, sort, page)."""

from __future__ import annotations


from flask import current_app, request

from crm.services import bounds
from crm.services import periods as P
from crm.services.errors import DomainError


def today():
    return P.business_today(current_app.config.get("TODAY"))


def default_month() -> str:
    return P.last_complete_month(today())


def as_of_month() -> str:
    """The ``month`` parameter (YYYY-MM), defaulting to the last complete month.

    Raises DomainError for a malformed month or one after the current month.
    """
    raw = request.args.get("month", "").strip()
    if not raw:
        return default_month()
    month = P.parse_period(raw, "month")
    if month > P.period_of(today()):
        raise DomainError(f"月份 {month} 尚未到来，请选择 {P.period_of(today())} 或更早的月份", field="month")
    return month


def page_month() -> str:
    """The as-of month of a page; a bad ``month`` is explained and the default shown instead."""
    from flask import flash

    try:
        return as_of_month()
    except DomainError as error:
        flash(error.message, "warning")
        return default_month()


def sort_args(allowed: set[str], default: str) -> tuple[str, bool]:
    key = request.args.get("sort", default)
    if key not in allowed:
        key = default
    return key, request.args.get("dir", "asc") == "desc"


def page_number() -> int:
    """The list page asked for; a page that cannot exist is explained and the first one shown."""
    from flask import flash

    try:
        return bounds.page_number(request.args.get("page"))
    except DomainError as error:
        flash(error.message + "，已显示第 1 页", "warning")
        return 1
