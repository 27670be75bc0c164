"""楼宇招商通 — the app factory and its ``register_*`` helpers."""
from __future__ import annotations

import logging
import os

from flask import Flask, render_template, request

from crm.config import Config, ConfigError
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
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    from crm.permissions import check_route_rules

    check_route_rules(app)
    return app


def register_extensions(app: Flask) -> None:
    from crm.database import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    with app.app_context():
        configure_sqlite(db.engine)

    from crm import models  # noqa: F401  (registers every table on the metadata)

    @login_manager.user_loader
    def load_user(token: str):
        from sqlalchemy import select

        from crm.models import User

        # Checked against the database on every request: a rotated token ends the session.
        return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


def register_request_hooks(app: Flask) -> None:
    from flask_login import current_user

    @app.before_request
    def remember_actor():
        # Who is acting, for the change history; services never read current_user themselves.
        db.session.info["actor_id"] = current_user.id if current_user.is_authenticated else None


def register_blueprints(app: Flask) -> None:
    from crm.views import api, auth, buildings, companies, dashboard

    for module in (auth, dashboard, buildings, companies, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # read-only JSON; write routes will carry their own CSRF/token checks


def register_template_helpers(app: Flask) -> None:
    from crm.views import formatting

    formatting.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    messages = {
        400: "请求无效",
        401: "请先登录",
        403: "您没有权限访问此页面",
        404: "页面不存在",
        405: "不支持的请求方式",
        413: "上传的文件太大",
        500: "系统出错了，请稍后再试",
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if code >= 500:
            db.session.rollback()
        if request.path.startswith("/api/"):
            return {"error": messages.get(code, str(error)), "status": code}, code
        return render_template("errors/error.html", code=code, message=messages.get(code, str(error))), code

    for code in messages:
        app.register_error_handler(code, render_error)


def register_commands(app: Flask) -> None:
    from crm.cli import register

    register(app)
