"""Password policy (OWASP ASVS level 2) and changing, resetting and deactivating accounts.

At least 10 characters, any characters up to 128, not one of the common passwords shipped in
crm/data/common-passwords.txt, not the username. Hashes: crm/password_hashing.py (Argon2id).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from crm.models import User
from crm.services.api_tokens import revoke_all_tokens
from crm.services.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is not acceptable, in Chinese, or None."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 个字符"
    if password.lower() in common_passwords():
        return "这个密码过于常见，容易被猜中，请换一个"
    if username and password.lower() == username.lower():
        return "密码不能与用户名相同"
    return None


def check_password_policy(password: str, username: str = "", field: str = "password") -> None:
    problem = password_problem(password, username)
    if problem:
        raise DomainError(problem, field=field)


def end_all_access(session, user: User) -> None:
    """Every session cookie and every API token of ``user`` stops working, for good."""
    user.end_all_sessions()
    revoke_all_tokens(session, user)


def change_own_password(session, user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise DomainError("当前密码不正确", field="current_password")
    if current == new:
        raise DomainError("新密码不能与当前密码相同", field="new_password")
    check_password_policy(new, user.username, field="new_password")
    user.set_password(new)
    user.must_change_password = False
    end_all_access(session, user)


def reset_password(session, user: User, new: str) -> None:
    """An admin's reset: the user must choose their own password at next sign-in."""
    check_password_policy(new, user.username)
    user.set_password(new)
    user.must_change_password = True
    end_all_access(session, user)


def set_active(session, user: User, active: bool, acting_user: User) -> None:
    """Deactivating ends the user's sessions and revokes their tokens; re-enabling restores neither."""
    if user.id == acting_user.id and not active:
        raise DomainError("不能停用自己的账号", field="active")
    user.active = active
    if not active:
        end_all_access(session, user)  # open sessions end at their next request
