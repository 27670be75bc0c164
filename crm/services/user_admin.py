"""The admin's user management: list, create, reset passwords, (de)activate, assign buildings."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.models import Building, User
from crm.services.errors import DomainError
from crm.services.users import clean_email, create_user


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
    buildings = list(session.scalars(select(Building).where(Building.code.in_(building_codes)))) if building_codes else []
    missing = set(building_codes) - {b.code for b in buildings}
    if missing:
        raise DomainError(f"楼宇编码不存在：{'、'.join(sorted(missing))}", field="buildings")
    user.buildings = buildings
