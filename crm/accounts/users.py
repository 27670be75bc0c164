"""Staff accounts: creating them (the CLI and the admin's user page), checking e-mail addresses,
listing users and assigning managers to their buildings."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.models import Building, User
from crm.models.choices import ROLES
from crm.services.bounds import check_length, column_length
from crm.services.errors import DomainError
from crm.accounts.passwords import check_password_policy

MAX_EMAIL_LENGTH = 254
# The addresses any mail server delivers to: a dot-atom local part (RFC 5322, without quoted strings
# or comments) and a domain of letter/digit/hyphen labels (a Chinese domain in its xn-- form), in
# ASCII — an address that needs SMTPUTF8 would be refused by most servers when the reminder is due.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+(?P<tld>{_LABEL}))")


def clean_email(email: str | None, field: str = "email") -> str | None:
    """The address trimmed, None when blank; a malformed one is refused in Chinese."""
    email = (email or "").strip()
    if not email:
        return None
    match = EMAIL.fullmatch(email)
    if (
        match is None
        or len(email) > MAX_EMAIL_LENGTH
        or len(match["local"]) > 64
        or match["tld"].isdigit()
        or len(match["tld"]) < 2
    ):
        shown = email if len(email) <= 60 else email[:60] + "…"
        raise DomainError(f"电子邮箱格式不正确：{shown}，应类似 zhangsan@xigang.gov.cn", field=field)
    return email


def create_user(session, username, role, password, building_codes=(), display_name=None, email=None) -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError("用户名不能为空", field="username")
    check_length(username, column_length(User.username), "用户名", "username")
    check_length(display_name, column_length(User.display_name), "显示姓名", "display_name")
    if role not in ROLES:
        raise DomainError(f"角色 {role!r} 不存在，可选：{', '.join(ROLES)}", field="role")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(f"用户名 {username} 已存在", field="username")
    check_password_policy(password, username)
    email = clean_email(email)
    buildings = []
    for code in building_codes:
        building = session.scalar(select(Building).where(Building.code == code))
        if building is None:
            raise DomainError(f"楼宇编码 {code} 不存在", field="building")
        buildings.append(building)
    if buildings and role != "manager":
        raise DomainError("只有楼宇管理员可以分配楼宇", field="building")
    user = User(username=username, role=role, display_name=display_name or username, email=email, buildings=buildings)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def list_users(session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.buildings)).order_by(User.role, User.username)))


def create_staff(session, username, display_name, role, email, building_codes, password) -> User:
    user = create_user(session, username, role, password, building_codes, display_name, email or None)
    user.must_change_password = True  # the admin chose it; the user picks their own
    return user


def set_email(user: User, email: str | None) -> None:
    """Where the user's reminders go; blank clears it."""
    user.email = clean_email(email)


def assign_buildings(session, user: User, building_codes: list[str]) -> None:
    if building_codes and user.role != "manager":
        raise DomainError("只有楼宇管理员可以分配楼宇", field="buildings")
    buildings = (
        list(session.scalars(select(Building).where(Building.code.in_(building_codes)))) if building_codes else []
    )
    missing = set(building_codes) - {b.code for b in buildings}
    if missing:
        raise DomainError(f"楼宇编码不存在：{'、'.join(sorted(missing))}", field="buildings")
    user.buildings = buildings
