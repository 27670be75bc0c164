"""Builder for the authorization matrix: a staff account the admin routes can act on (reset,
deactivate) without touching the actors' own accounts, and one API token of the promoter."""

from __future__ import annotations

from crm.models import User
from crm.accounts.tokens import create_token


def authz_accounts_world(session, world) -> dict:
    staff = User(
        username="authz-staff",
        role="promoter",
        display_name="对象用户",
        password_hash=world["users"]["promoter"].password_hash,
    )
    session.add(staff)
    session.flush()
    token, _ = create_token(session, world["users"]["promoter"], "矩阵测试", 30)
    return {"staff": staff.id, "token": token.id}
