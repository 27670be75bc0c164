"""System administration: staff accounts (create, assign buildings, reset, deactivate)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.forms import select_choices
from crm.forms.account import ActiveForm, EmailForm, ResetPasswordForm, UserForm
from crm.models import Building, User
from crm.permissions import allow
from crm.accounts.passwords import reset_password, set_active
from crm.accounts.users import assign_buildings, create_staff, list_users, set_email
from crm.web.transaction import transaction

bp = Blueprint("admin", __name__, url_prefix="/admin")


def building_choices():
    return select_choices(
        (b.code, f"{b.code} {b.name}") for b in db.session.scalars(select(Building).order_by(Building.code))
    )


@bp.route("/users", methods=["GET", "POST"])
@allow("admin.users")
def users():
    form = UserForm()
    form.buildings.choices = building_choices()
    if form.validate_on_submit():
        with transaction(form, default_field="username") as saved:
            user = create_staff(
                db.session,
                form.username.data,
                form.display_name.data,
                form.role.data,
                form.email.data,
                form.buildings.data,
                form.password.data,
            )
        if saved:
            flash(f"已创建用户 {user.username}（{user.role_label}），首次登录须修改密码", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", users=list_users(db.session), form=form)


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def render_user_page(user: User, email_form: EmailForm | None = None):
    return render_template(
        "admin/user.html",
        user=user,
        choices=building_choices(),
        email=email_form or EmailForm(email=user.email),
        reset=ResetPasswordForm(),
        active=ActiveForm(active=user.active),
    )


@bp.route("/users/<int:user_id>")
@allow("admin.users")
def user(user_id):
    return render_user_page(get_user_or_404(user_id))


@bp.route("/users/<int:user_id>/email", methods=["POST"])
@allow("admin.users")
def user_email(user_id):
    user = get_user_or_404(user_id)
    form = EmailForm()
    if form.validate_on_submit():
        with transaction(form, default_field="email") as saved:
            set_email(user, form.email.data)
        if saved:
            flash(
                f"已将 {user.username} 的电子邮箱改为 {user.email}"
                if user.email
                else f"已清除 {user.username} 的电子邮箱",
                "success",
            )
            return redirect(url_for("admin.user", user_id=user.id))
    return render_user_page(user, form)


@bp.route("/users/<int:user_id>/buildings", methods=["POST"])
@allow("admin.users")
def user_buildings(user_id):
    from flask import request

    user = get_user_or_404(user_id)
    with transaction() as saved:
        assign_buildings(db.session, user, request.form.getlist("buildings"))
    if saved:
        flash("已更新负责楼宇", "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@allow("admin.users")
def user_reset(user_id):
    user = get_user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with transaction() as saved:
            reset_password(db.session, user, form.password.data)
        if saved:
            flash(f"已重置 {user.username} 的密码，其登录和 API 令牌已失效；对方下次登录时须修改密码", "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow("admin.users")
def user_active(user_id):
    user = get_user_or_404(user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        with transaction() as saved:
            set_active(db.session, user, form.active.data, current_user)
        if saved:
            flash(f"已{'启用' if user.active else '停用'}用户 {user.username}", "success")
    return redirect(url_for("admin.user", user_id=user.id))
