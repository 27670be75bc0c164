"""Signing in: checking a password, throttling guessers, and the sign-in audit log.

After 5 failed sign-ins for one username, or 20 from one address, within 15 minutes, further
attempts are refused until the window has passed — whatever the password — so guessing costs
hours, not seconds. Every attempt, good or bad, is recorded with address and user agent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from crm.models import LoginAttempt, User
from crm.password_hashing import DUMMY_HASH, verify_password

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass
class SignIn:
    user: User | None
    throttled_minutes: int = 0


def authenticate(session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or ""):
        return None
    user.upgrade_password_hash(password)
    return user


def _failures_since(session, since, **where) -> tuple[int, datetime | None]:
    column, value = next(iter(where.items()))
    stmt = select(func.count(), func.min(LoginAttempt.at)).where(
        getattr(LoginAttempt, column) == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    count, oldest = session.execute(stmt).one()
    return count, oldest


def _wait_minutes(oldest: datetime | None, now: datetime) -> int:
    if oldest is None:
        return 1
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=timezone.utc)
    return max(int((oldest + WINDOW - now).total_seconds() // 60) + 1, 1)


def sign_in(session, username: str, password: str, address: str | None, user_agent: str | None,
            now: datetime | None = None) -> SignIn:
    """Check credentials unless throttled; record the attempt either way."""
    now = now or datetime.now(timezone.utc)
    username = (username or "").strip()[:64]
    since = now - WINDOW
    by_name, oldest_name = _failures_since(session, since, username=username)
    by_addr, oldest_addr = _failures_since(session, since, address=address)
    if by_name >= MAX_FAILURES_PER_USERNAME or by_addr >= MAX_FAILURES_PER_ADDRESS:
        oldest = oldest_name if by_name >= MAX_FAILURES_PER_USERNAME else oldest_addr
        session.add(LoginAttempt(username=username, address=address, user_agent=(user_agent or "")[:300],
                                 succeeded=False, at=now))
        return SignIn(None, throttled_minutes=_wait_minutes(oldest, now))
    user = authenticate(session, username, password)
    session.add(LoginAttempt(username=username, address=address, user_agent=(user_agent or "")[:300],
                             succeeded=user is not None, at=now))
    return SignIn(user)
