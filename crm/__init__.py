"""楼宇招商通 — the app factory and its ``register_*`` helpers."""

from __future__ import annotations

import gc
import logging
import os

from flask import Flask, current_app, has_app_context, render_template, request
from flask_wtf.csrf import CSRFError

from crm.config import Config
from crm.extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger("crm")


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("CRM_INSTANCE_PATH") or None,
        template_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config or Config(app.instance_path))
    from crm.web.clean_input import CleanRequest

    app.request_class = CleanRequest  # query strings and forms arrive without control characters
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    from crm.permissions import check_route_rules

    check_route_rules(app)
    return app


def create_server_app(config: Config | None = None) -> Flask:
    """``create_app`` for a process that serves for a long time: the dev server, a gunicorn
    worker (``gunicorn 'crm:create_server_app()'``), a benchmark.

    What exists after start-up (the app, its routes, the ORM mappers, the loaded modules) lives as
    long as the process, so it is frozen out of the garbage collector's view: otherwise each full
    collection walks all of it, and a request that builds many rows (matching, the big lists)
    pays tens of milliseconds for it at random. Templates are compiled up front too (they live
    as long). Tests, which create many apps, use ``create_app``.
    """
    app = create_app(config)
    compile_templates(app)
    gc.freeze()
    return app


def compile_templates(app: Flask) -> None:
    """Compile every template now, not in the first request that needs it: each worker would
    otherwise spend about a third of a second compiling during its first minute of traffic."""
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt"))):
        app.jinja_env.get_template(name)


def register_extensions(app: Flask) -> None:
    from crm.database import configure_sqlite

    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    with app.app_context():
        configure_sqlite(db.engine)

    from crm import models  # noqa: F401  (registers every table on the metadata)
    from crm.models.history import init_history
    from crm.cache.memo import init_transaction_memo
    from crm.models.localisation import init_flag_history
    from crm.cache.versions import init_versions
    from crm.cache.store import configure as configure_host_store
    from crm.models.setting import init_settings
    from crm.services.corrections import init_corrections

    init_history()  # every write path records the change history
    init_flag_history()  # and dates every change of a company's district flags
    init_versions()  # every write of a kind of data renews its figures' token
    # The worker processes of a host share what one of them computed, where the app's settings say.
    configure_host_store(lambda: current_app.config.get("FRAGMENT_CACHE_DIR") if has_app_context() else None)
    init_corrections()  # and no write path changes a confirmed month except as a correction
    init_transaction_memo()  # tokens and settings are read once per transaction
    init_settings()

    @login_manager.user_loader
    def load_user(token: str):
        from sqlalchemy import select

        from crm.models import User

        # Checked against the database on every request: a rotated token ends the session.
        return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))

    @login_manager.request_loader
    def load_user_from_api_token(request):
        # Scripts call /api/v1 with "Authorization: Bearer <personal token>" instead of a cookie.
        header = request.headers.get("Authorization", "")
        if not (request.path.startswith("/api/") and header.startswith("Bearer ")):
            return None
        from flask import g

        from crm.accounts.tokens import user_for_token

        user = user_for_token(db.session, header[len("Bearer ") :].strip())
        g.api_token_auth = user is not None
        return user


def register_request_hooks(app: Flask) -> None:
    from flask_login import current_user

    from crm.accounts import sessions
    from crm.models.localisation import TODAY_KEY as FLAGS_TODAY_KEY
    from crm.web import params, security

    security.init_app(app)
    sessions.init_app(app)

    @app.before_request
    def remember_actor():
        # Who is acting, for the change history; services never read current_user themselves.
        db.session.info["actor_id"] = current_user.id if current_user.is_authenticated else None
        # The date a district flag changed on this request takes effect (CRM_TODAY replays a day).
        db.session.info[FLAGS_TODAY_KEY] = params.today()


def register_blueprints(app: Flask) -> None:
    """Every blueprint of the app, pages first, then the JSON API. The API blueprints check CSRF
    for cookie sessions themselves and let personal-token requests through (crm/api/support.py)."""
    from crm.api import (
        figures,
        leads as api_leads,
        localisation as api_localisation,
        movein,
        records,
        reports as api_reports,
    )
    from crm.api import warnings as api_warnings
    from crm.views import (
        account,
        admin,
        auth,
        briefings,
        buildings,
        companies,
        confirmations,
        dashboard,
        exports,
        followups,
        history,
        imports,
        jobs_admin,
        leads,
        localisation,
        manage,
        movein_requests,
        notifications,
        reports,
        settings,
        tax,
        user_settings,
        warnings,
    )
    from crm.views import space

    pages = (
        auth,
        account,
        admin,
        dashboard,
        buildings,
        companies,
        manage,
        confirmations,
        history,
        leads,
        followups,
        movein_requests,
        notifications,
        user_settings,
        jobs_admin,
        tax,
        reports,
        settings,
        briefings,
        imports,
        exports,
        localisation,
        space,
        warnings,
    )
    api = (figures, records, api_leads, movein, api_reports, api_localisation, api_warnings)
    for module in (*pages, *api):
        app.register_blueprint(module.bp)
    notifications.init_app(app)  # the bell's unread count on every page


def register_template_helpers(app: Flask) -> None:
    from crm.web import formatting, menus

    formatting.init_app(app)
    menus.init_app(app)


CSRF_PAGE_MESSAGE = "表单已过期（页面打开太久，或已在别处退出登录），请返回上一页，刷新后重新提交"


def page_before() -> str | None:
    """The page the user came from (this site's, from the Referer), for the error page's 返回上一页;
    None when there is none, it is another site's, or it is the page that failed."""
    from urllib.parse import urlsplit

    from crm.web.security import safe_redirect_target

    referrer = urlsplit(request.referrer or "")
    if not referrer.path or referrer.netloc != request.host:
        return None
    target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    back = safe_redirect_target(target, "")
    return back if back and back != request.full_path.rstrip("?") else None


def register_errorhandlers(app: Flask) -> None:
    messages = {
        400: "请求无效",
        401: "请先登录",
        403: "您没有权限访问此页面",
        404: "页面不存在",
        405: "不支持的请求方式",
        413: f"上传的文件太大：单个文件不能超过 {app.config['MAX_CONTENT_LENGTH'] / 1024 / 1024:g} MB，请拆分后分批上传",
        500: "系统出错了，请稍后再试",
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if code >= 500:
            db.session.rollback()
        message = CSRF_PAGE_MESSAGE if isinstance(error, CSRFError) else messages.get(code, str(error))
        if request.path.startswith("/api/"):
            return {"error": message, "status": code}, code
        return render_template("errors/error.html", code=code, message=message, back=page_before()), code

    for code in messages:
        app.register_error_handler(code, render_error)


def register_commands(app: Flask) -> None:
    from crm.cli import register

    register(app)
