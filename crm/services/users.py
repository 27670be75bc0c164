"""Creating staff accounts and assigning managers to buildings."""
from __future__ import annotations

from sqlalchemy import select

from crm.models import Building, User
from crm.models.choices import ROLES
from crm.services.bounds import check_length, column_length
from crm.services.errors import DomainError
from crm.services.passwords import check_password_policy



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
