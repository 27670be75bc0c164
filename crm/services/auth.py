"""Checking a username and password."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash

from crm.models import User

# Compared against when the user does not exist, so a wrong username costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummys$" + "0" * 128


def authenticate(session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if user.check_password(password or "") else None
