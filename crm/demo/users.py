"""The demo logins: an admin, a leader, three promoters and one manager per street, who keeps the
street's buildings. Every login has the password ``crm demo load`` is given."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import insert, select

from crm.models import User, user_buildings
from crm.models.choices import ROLES, STREETS
from crm.services.errors import DomainError

USERS = [
    # username, role, display name, note shown by ``crm demo logins``
    ("admin", "admin", "王建军", "全部功能与系统设置"),
    ("leader", "leader", "刘志刚", "查看全部页面与报告（只读）"),
    ("zhaoshang1", "promoter", "张伟", "招商项目与跟进"),
    ("zhaoshang2", "promoter", "李娜", "招商项目与跟进"),
    ("zhaoshang3", "promoter", "陈静", "招商项目与跟进"),
] + [
    (f"louyu{n}", "manager", name, f"{street}街道楼宇")
    for n, (street, name) in enumerate(zip(STREETS, ["赵磊", "孙丽", "于海涛", "曲晓燕", "姜宏伟"]), start=1)
]

DEMO_USERS: list[tuple[str, str, str]] = [(username, ROLES[role], note) for username, role, _, note in USERS]


def check_free_usernames(session) -> None:
    taken = list(session.scalars(select(User.username).where(User.username.in_([u[0] for u in USERS]))))
    if taken:
        raise DomainError(f"演示账号与已有用户重名：{'、'.join(sorted(taken))}，请先改名或使用空数据库")


def add_users(session, password: str) -> dict[str, User]:
    users = {}
    for username, role, display_name, _ in USERS:
        user = User(username=username, role=role, display_name=display_name, email=f"{username}@xigang.example")
        user.set_password(password)
        users[username] = user
    session.add_all(users.values())
    session.flush()
    for user in users.values():
        session.expire(user, ["buildings"])  # assigned below, behind the ORM's back
    return users


def buildings_by_street(data, building_ids: list[int]) -> dict[str, list[int]]:
    by_street: dict[str, list[int]] = defaultdict(list)
    for b, building in enumerate(data.buildings):
        by_street[building.street].append(building_ids[b])
    return by_street


def assign_managers(session, users: dict[str, User], by_street: dict[str, list[int]]) -> None:
    """Each street's manager (louyu1…) keeps the street's buildings."""
    session.execute(
        insert(user_buildings),
        [
            dict(user_id=users[f"louyu{n}"].id, building_id=bid)
            for n, street in enumerate(STREETS, start=1)
            for bid in by_street[street]
        ],
    )
