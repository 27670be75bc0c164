"""Passwords are stored as Argon2id at OWASP's settings; a hash from before (Werkzeug's scrypt)
still signs its user in, once, and is then replaced."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from crm.models import User
from crm.accounts.signin import authenticate
from tests import factories as f

PASSWORD = "a-good-password-1"


def test_new_passwords_are_argon2id_at_owasp_settings(session):
    user = f.user(session, "zs", "promoter", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")
    assert not user.check_password("")


def test_an_older_scrypt_hash_signs_in_and_is_replaced(session):
    user = f.user(session, "zs", "promoter")
    legacy = generate_password_hash(PASSWORD, method="scrypt")
    user.password_hash = legacy
    session.commit()

    assert authenticate(session, "zs", PASSWORD + "x") is None
    session.commit()
    assert session.get(User, user.id).password_hash == legacy  # a wrong password changes nothing

    assert authenticate(session, "zs", PASSWORD) == user
    session.commit()
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.password_hash.startswith("$argon2id$") and stored.check_password(PASSWORD)


def test_an_unknown_username_is_checked_against_a_hash_too(session):
    f.user(session, "zs", "promoter", password=PASSWORD)
    assert authenticate(session, "nobody", PASSWORD) is None
    assert authenticate(session, "zs", PASSWORD) is not None
