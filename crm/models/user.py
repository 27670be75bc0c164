"""Staff accounts: one role each, and for building managers the buildings they keep."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.choices import ROLES
from crm.accounts.hashing import hash_password, needs_rehash, verify_password

user_buildings = Table(
    "user_buildings",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The session cookie carries this token, not the id: rotating it ends every copy of a session.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    buildings = relationship("Building", secondary=user_buildings, back_populates="managers")

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.password_changed_at = datetime.now(timezone.utc)

    def upgrade_password_hash(self, password: str) -> None:
        """After a successful check: store the same password under today's hash settings."""
        if needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)

    def end_all_sessions(self) -> None:
        """Rotate the token every session cookie and remember-me cookie carries."""
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
