"""The ``crm`` command group (also ``flask --app crm …``).

Each command is one transaction: it commits at the end or, on a domain error, rolls back and exits
non-zero with a Chinese message.
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from crm.extensions import db


def register(app) -> None:
    app.cli.add_command(demo_group)
    app.cli.add_command(users_group)


@click.group("demo", help="演示数据")
def demo_group():
    pass


@demo_group.command("load", help="载入确定性的演示数据（仅用于演示与基准测试）")
@click.option("--scale", default=1, type=click.IntRange(1, 100), show_default=True, help="规模倍数")
@click.option("--as-of", "as_of", default=None, help="演示数据的“当前月份” YYYY-MM，默认本月")
@click.option("--if-empty", is_flag=True, help="数据库已有楼宇时什么也不做")
@with_appcontext
def demo_load(scale, as_of, if_empty):
    from crm.demo import load_demo
    from crm.models import Building
    from crm.services.errors import DomainError
    from crm.services.periods import business_today, parse_period, period_of

    if if_empty and db.session.scalar(select(Building.id).limit(1)) is not None:
        click.echo("数据库中已有数据，跳过演示数据载入。")
        return
    try:
        as_of = parse_period(as_of, "--as-of") if as_of else period_of(business_today(current_app.config["TODAY"]))
        stats = load_demo(db.session, scale=scale, as_of=as_of, password=current_app.config["DEMO_PASSWORD"])
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo("演示数据已载入：" + "，".join(f"{k} {v:,}" for k, v in stats.items()))


@demo_group.command("logins", help="显示演示账号")
@with_appcontext
def demo_logins():
    from crm.models import User

    if db.session.scalar(select(User.id).where(User.username == "admin")) is None:
        click.echo("尚未创建演示账号（数据库中没有演示数据）。")
        return
    print_demo_logins()


def print_demo_logins() -> None:
    from crm.demo import DEMO_USERS

    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"演示账号（密码均为 {password}）：")
    for username, role_label, note in DEMO_USERS:
        click.echo(f"  {username:<12} {role_label}{'  ' + note if note else ''}")


@click.group("users", help="用户管理")
def users_group():
    pass


@users_group.command("create", help="创建用户")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "leader", "promoter", "manager"]))
@click.option("--building", "buildings", multiple=True, help="楼宇编码（楼宇管理员负责的楼宇，可多次给出）")
@click.option("--name", "display_name", default=None, help="显示姓名")
@click.option("--email", default=None)
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
@with_appcontext
def users_create(username, role, buildings, display_name, email, password):
    from crm.services.errors import DomainError
    from crm.services.users import create_user

    try:
        user = create_user(db.session, username, role, password, list(buildings), display_name, email)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message)
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{user.role_label}）")


@users_group.command("list", help="列出用户")
@with_appcontext
def users_list():
    from crm.models import User

    for user in db.session.scalars(select(User).order_by(User.username)):
        codes = ",".join(b.code for b in user.buildings)
        state = "" if user.active else "（已停用）"
        click.echo(f"{user.username:<14} {user.role:<9} {user.display_name}{state} {codes}".rstrip())


def main() -> None:
    """Console entry point: a config error is one line naming the variable, not a traceback."""
    from crm import create_app
    from crm.config import ConfigError

    try:
        app = create_app()
    except ConfigError as error:
        click.echo(f"配置错误：{error}", err=True)
        sys.exit(2)
    FlaskGroup(create_app=lambda: app, add_default_commands=True, help="楼宇招商通命令行")()
