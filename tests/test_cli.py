"""The ``crm users`` commands: one transaction each, Chinese errors, nothing written on failure."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.models import User
from tests import factories as f


def test_users_create_and_list(app, session):
    f.building(session, "XG01")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "wang", "--role", "manager", "--building", "XG01", "--password", "a-long-password-1"]
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 wang（楼宇管理员）" in result.output
    listing = runner.invoke(args=["users", "list"])
    assert "wang" in listing.output and "XG01" in listing.output


def test_users_create_refuses_unknown_building_and_writes_nothing(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "li", "--role", "manager", "--building", "NOPE", "--password", "a-long-password-1"]
    )
    assert result.exit_code != 0
    assert "楼宇编码 NOPE 不存在" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_refuses_short_password(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create", "li", "--role", "leader", "--password", "short"])
    assert result.exit_code != 0 and "密码至少 10 个字符" in result.output


def test_users_create_refuses_a_malformed_email_and_a_predictable_password(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "li", "--role", "leader", "--email", "li@xigang", "--password", "a-long-password-1"]
    )
    assert result.exit_code != 0 and "电子邮箱格式不正确：li@xigang" in result.output
    result = runner.invoke(args=["users", "create", "li", "--role", "leader", "--password", "aaaaaaaaaa"])
    assert result.exit_code != 0 and "密码不能是同一个字符的重复" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0
