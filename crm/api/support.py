"""What the /api/v1 blueprints of the integration API share: JSON errors, CSRF for cookie sessions
only, paging, and reading query parameters and JSON bodies with errors that name the field.

CSRF: a request signed in with a personal API token (``Authorization: Bearer …``, see the request
loader in ``crm/__init__.py``) carries no cookie a foreign page could borrow, so it needs no CSRF
token. A request signed in with the session cookie does: a write through the API must not open
the hole that every form closes. The blueprint is exempt from Flask-WTF's global check (which runs
before the user is known) and checks for itself once the user is loaded.

Every bad input raises ``DomainError`` naming the field; the handler rolls back, so nothing of the
request is written, and answers ``{"error": <Chinese message>, "field": <name>}``.
"""

from __future__ import annotations

import unicodedata
from contextlib import contextmanager
from datetime import date

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import csrf, db
from crm.permissions import ensure
from crm.services import periods as P
from crm.services.bounds import MAX_NOTES, MAX_PAGE, MAX_PER_PAGE, bounded_int, check_day, check_length
from crm.services.errors import DomainError, NotFound
from crm.web.clean_input import clean_json
from crm.web.transaction import Stale, transaction

MAX_ID = 2**31 - 1  # larger ids exist nowhere, and PostgreSQL's integer refuses them
DEFAULT_PER_PAGE = 50
CSRF_MESSAGE = (
    "通过浏览器登录会话调用写接口须附带 CSRF 令牌（X-CSRFToken 请求头）；"
    "脚本请使用个人 API 令牌：Authorization: Bearer <令牌>"
)


def json_api(bp: Blueprint) -> Blueprint:
    """Give ``bp`` the API's CSRF rule and JSON error answers; returns ``bp``."""
    csrf.exempt(bp)
    bp.before_request(_csrf_unless_token)
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(StaleDataError, _stale)
    bp.register_error_handler(CSRFError, _csrf_error)
    return bp


def _csrf_unless_token():
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    # Loading the user is what sets api_token_auth. Without a signed-in user there is no session
    # to abuse, and the route's rule answers 401.
    if not current_user.is_authenticated or g.get("api_token_auth"):
        return
    csrf.protect()


class Conflict(DomainError):
    """A refusal about the object's state, not the request's shape: someone changed the lead
    since the caller read it, or the move-in request was decided already (409)."""


class Unprocessable(DomainError):
    """A well-formed request the operation needs more for: a backward stage move without its
    reason (422)."""


def _domain_error(error: DomainError):
    # Writes run in ``write()``, which has rolled back already; this one covers a refusal met by
    # a read, so that nothing a service may have flushed on the way is left in the session.
    db.session.rollback()
    status = (
        404
        if isinstance(error, NotFound)
        else 409
        if isinstance(error, (Conflict, Stale))
        else 422
        if isinstance(error, Unprocessable)
        else 400
    )
    return {"error": error.message, "field": error.field, "status": status}, status


def _stale(error):
    return _domain_error(Stale())


def write():
    """``with write():`` around an API call's service calls: committed at the end of the block,
    or rolled back with the refusal answered as JSON by ``_domain_error``."""
    return transaction(reraise=True)


def _csrf_error(error):
    return {"error": CSRF_MESSAGE, "field": "csrf_token", "status": 400}, 400


@contextmanager
def service_errors(conflicts: tuple[str, ...] = (), missing: tuple[type, ...] = (), **names: str):
    """Around a service call: its errors on the fields ``conflicts`` become ``Conflict`` (409),
    those of the classes ``missing`` ``Unprocessable`` (422), and a field is reported under the
    name the JSON body uses (``stage="to_stage"``)."""
    try:
        yield
    except DomainError as error:
        field = names.get(error.field, error.field)
        if error.field in conflicts:
            raise Conflict(error.message, field=field) from error
        if isinstance(error, missing):  # the message names the JSON field the caller must add
            raise Unprocessable(f"{error.message}（{field}）", field=field) from error
        error.field = field
        raise


def get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if obj is None:
        abort(404)
    return obj


def iso(day) -> str | None:
    return day.isoformat() if day is not None else None


# ------------------------------------------------------------------------------------------
# the query string


def _clean(raw: str, name: str, label: str) -> str:
    # The request has removed control characters already (crm/web/clean_input.py).
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > 200:
        raise DomainError(f"{label}（{name}）不能超过 200 个字", field=name)
    return text


def query_text(name: str, label: str) -> str:
    return _clean(request.args.get(name, ""), name, label)


def query_choice(name: str, label: str, choices) -> str:
    """One of ``choices`` or "" (no filter)."""
    value = query_text(name, label)
    if value and value not in choices:
        raise DomainError(f"{label}（{name}）无效：{value}，可选值：{'、'.join(choices)}", field=name)
    return value


def query_int(name: str, label: str, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    raw = request.args.get(name, "").strip()
    return bounded_int(raw, label, name, minimum, maximum) if raw else None


def _day(raw, name: str, label: str) -> date:
    try:
        if not isinstance(raw, str):
            raise ValueError
        day = date.fromisoformat(unicodedata.normalize("NFKC", raw).strip())
    except ValueError:
        raise DomainError(f"{label}（{name}）应为 YYYY-MM-DD 格式的日期，例如 2026-11-20", field=name) from None
    return check_day(day, f"{label}（{name}）", name)


def query_date(name: str, label: str) -> date | None:
    raw = request.args.get(name, "").strip()
    return _day(raw, name, label) if raw else None


def query_month(name: str, label: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return P.parse_period(raw, name)
    except DomainError:
        raise DomainError(f"{label}（{name}）应为 YYYY-MM 格式的月份，例如 2026-10", field=name) from None


def query_sort(sorts, default: str) -> tuple[str, bool]:
    key = query_choice("sort", "排序字段", list(sorts)) or default
    return key, query_choice("dir", "排序方向", ["asc", "desc"]) == "desc"


def paging() -> tuple[int, int]:
    page = query_int("page", "页码", 1, MAX_PAGE) or 1
    per_page = query_int("per_page", "每页条数", 1, MAX_PER_PAGE) or DEFAULT_PER_PAGE
    return page, per_page


def page_json(items: list, total: int, page: int, per_page: int) -> dict:
    return {
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max((total + per_page - 1) // per_page, 1),
    }


# ------------------------------------------------------------------------------------------
# the JSON body


def json_body(optional: bool = False) -> dict:
    """The request's JSON object, its strings cleaned of control characters like every form's;
    ``optional``: an empty body reads as ``{}``."""
    if optional and not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("请求体应为 JSON 对象（Content-Type: application/json）", field="body")
    return clean_json(body)


def body_text(body: dict, name: str, label: str, max_length: int = MAX_NOTES) -> str:
    """A string field ("" when absent or null); the service decides whether it may be empty."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"{label}（{name}）应为文本", field=name)
    check_length(value, max_length, f"{label}（{name}）", name)
    return value


def body_int(body: dict, name: str, label: str, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise DomainError(f"请填写{label}（{name}）", field=name)
        return None
    return bounded_int(value, label, name, 0, MAX_ID)


def body_date(body: dict, name: str, label: str) -> date | None:
    value = body.get(name)
    return None if value in (None, "") else _day(value, name, label)


def body_ints(body: dict, name: str, label: str) -> list[int]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 200:
        raise DomainError(f"{label}（{name}）应为整数列表（最多 200 个）", field=name)
    return [bounded_int(item, label, name, 1, MAX_ID) for item in value]


def body_flag(body: dict, name: str, label: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise DomainError(f"{label}（{name}）应为 true 或 false", field=name)
    return value


def editable_lead_or_404(lead_id: int):
    """The lead of a path's id, refused (403) unless the caller may edit it (a promoter: their own)."""
    from crm.models import Lead

    lead = get_or_404(Lead, lead_id)
    ensure("leads.edit", lead)
    return lead
