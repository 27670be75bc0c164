"""Personal API tokens: created on the user's page, shown once, stored hashed, revocable, expiring.

A token carries its user's role and scope: requests made with it pass the same permission checks
as the user's own pages. It follows its user: a password change or reset and a deactivation revoke
every token of the user for good (re-enabling the account does not bring them back), and a token
of a user who must first choose a new password is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from crm.models import ApiToken, User
from crm.services.errors import DomainError

PREFIX = "lyz_"
MAX_DAYS = 366


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, user: User, name: str, days: int, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Return the stored token and the secret, which is never stored and never shown again."""
    now = now or datetime.now(timezone.utc)
    name = (name or "").strip()
    if not name:
        raise DomainError("请给令牌起个名字，例如“数据对接脚本”", field="name")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"有效期应为 1 到 {MAX_DAYS} 天", field="days")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:64],
        token_hash=_hash(secret),
        prefix=secret[:10],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, secret


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def user_for_token(session, secret: str, now: datetime | None = None) -> User | None:
    now = now or datetime.now(timezone.utc)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret or "")))
    if token is None or token.revoked_at is not None or _aware(token.expires_at) <= now or not token.user.active:
        return None
    token.last_used_at = now
    return token.user


def revoke_all_tokens(session, user: User, now: datetime | None = None) -> int:
    """Revoke every live token of ``user``; how many there were."""
    now = now or datetime.now(timezone.utc)
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def user_tokens(session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )


def revoke_token(session, user: User, token_id: int, now: datetime | None = None) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise DomainError("令牌不存在", field="token")
    token.revoked_at = now or datetime.now(timezone.utc)
