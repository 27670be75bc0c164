"""Creating staff accounts (crm.accounts.users) and checking passwords (crm.accounts.signin)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.models import User
from crm.accounts.signin import authenticate
from crm.services.errors import DomainError
from crm.accounts.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from crm.accounts.users import create_user

try:
    from tests import factories as f
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    import factories as f

GOOD = "a-good-password-1"


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def refused(session, *args, **kwargs) -> DomainError:
    before = user_count(session)
    with pytest.raises(DomainError) as info:
        create_user(session, *args, **kwargs)
    assert user_count(session) == before
    return info.value


def test_create_user(session):
    b = f.building(session, "XG01")
    user = create_user(session, "  louyu1 ", "manager", GOOD, ["XG01"], display_name="楼宇一")
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.username == "louyu1"  # trimmed
    assert stored.role == "manager"
    assert stored.display_name == "楼宇一"
    assert [x.code for x in stored.buildings] == [b.code]
    assert stored.active
    assert stored.password_hash != GOOD
    assert stored.check_password(GOOD)


def test_display_name_defaults_to_username(session):
    assert create_user(session, "leader2", "leader", GOOD).display_name == "leader2"


def test_duplicate_username_is_refused(session):
    create_user(session, "zhaoshang1", "promoter", GOOD)
    error = refused(session, "zhaoshang1", "leader", GOOD)
    assert error.field == "username"
    assert "zhaoshang1" in error.message
    # the same name with blanks around it is the same name
    refused(session, " zhaoshang1 ", "leader", GOOD)


@pytest.mark.parametrize("role", ["boss", "", "Admin", None])
def test_bad_role_is_refused(session, role):
    error = refused(session, "someone", role, GOOD)
    assert error.field == "role"


def test_every_known_role_is_accepted(session):
    for n, role in enumerate(["admin", "leader", "promoter", "manager"]):
        assert create_user(session, f"user{n}", role, GOOD).role == role


def test_short_password_is_refused(session):
    assert MIN_PASSWORD_LENGTH == 10
    error = refused(session, "someone", "promoter", "x" * 9)  # one short
    assert error.field == "password"
    assert "10" in error.message
    refused(session, "someone", "promoter", "")
    refused(session, "someone", "promoter", None)
    assert create_user(session, "someone", "promoter", "k7#Qm2!vXp").id is not None  # exactly 10 is enough


@pytest.mark.parametrize(
    "password, message",
    [
        ("a" * 10, "同一个字符的重复"),
        ("Z" * 40, "同一个字符的重复"),
        ("abcdefghij", "连续的字母、数字或键盘上相邻的键"),
        ("jihgfedcba", "连续的字母、数字或键盘上相邻的键"),
        ("0987654321", "连续的字母、数字或键盘上相邻的键"),
        ("7890123456", "连续的字母、数字或键盘上相邻的键"),
        ("QWERTYUIOP[]", "连续的字母、数字或键盘上相邻的键"),
        ("';lkjhgfdsa", "连续的字母、数字或键盘上相邻的键"),
        ("zxcvbnm,./", "连续的字母、数字或键盘上相邻的键"),
        ("!@#$%^&*()", "连续的字母、数字或键盘上相邻的键"),
        ("abcdef123456", "连续的字母、数字或键盘上相邻的键"),
        ("abababababab", "几个字符的简单重复"),
        ("1212121212", "几个字符的简单重复"),
        ("abcdabcdabcd", "几个字符的简单重复"),
        ("louyu9-secret", "不能包含用户名"),
        ("my-LOUYU9-pass", "不能包含用户名"),
        ("1234567890", "过于常见"),
    ],
)
def test_predictable_passwords_are_refused(session, password, message):
    error = refused(session, "louyu9", "manager", password)
    assert error.field == "password" and message in error.message


@pytest.mark.parametrize(
    "password",
    [
        "xigang-demo-2026",  # the demo password
        "pw-for-tests-123",
        "a brand new secret",
        "西岗区楼宇招商通2026",
        "k7#Qm2!vXp",
        "abc-xyz-qwe-ert1",  # short runs inside a longer password are fine
    ],
)
def test_ordinary_passwords_are_accepted(session, password):
    assert create_user(session, "louyu9", "manager", password).check_password(password)


def test_the_demo_password_passes_the_policy_for_every_demo_user():
    from crm.demo import DEMO_USERS
    from crm.accounts.passwords import password_problem

    assert all(password_problem("xigang-demo-2026", username) is None for username, _, _ in DEMO_USERS)


def test_a_short_username_is_not_searched_for_inside_the_password(session):
    assert create_user(session, "zs", "promoter", "zs-has-a-fine-one").id is not None


@pytest.mark.parametrize(
    "email",
    [
        "zhangsan",
        "zhangsan@",
        "@xigang.gov.cn",
        "zhang san@xigang.gov.cn",
        "zhangsan@xigang",
        "zhangsan@@xigang.gov.cn",
        "zhangsan@xigang..gov.cn",
        "zhangsan@-xigang.gov.cn",
        "zhangsan@xigang.gov.cn, lisi@xigang.gov.cn",
        "<zhangsan@xigang.gov.cn>",
        "zhangsan@192.168.1.1",
        "张三@xigang.gov.cn",
        "zhangsan@xigang.gov.cn\x00evil",
        "a" * 65 + "@xigang.gov.cn",
    ],
)
def test_malformed_email_addresses_are_refused(session, email):
    error = refused(session, "louyu9", "manager", GOOD, email=email)
    assert error.field == "email" and "电子邮箱格式不正确" in error.message


def test_email_addresses_are_trimmed_and_blank_is_none(session):
    assert (
        create_user(session, "a1x", "leader", GOOD, email="  Li.Ming+crm@dl-xg.gov.cn ").email
        == "Li.Ming+crm@dl-xg.gov.cn"
    )
    assert create_user(session, "a2x", "leader", GOOD, email="   ").email is None


def test_empty_username_is_refused(session):
    assert refused(session, "   ", "promoter", GOOD).field == "username"


def test_unknown_building_code_is_refused(session):
    f.building(session, "XG01")
    error = refused(session, "louyu9", "manager", GOOD, ["XG01", "XG99"])
    assert error.field == "building"
    assert "XG99" in error.message


@pytest.mark.parametrize("role", ["admin", "leader", "promoter"])
def test_buildings_only_for_managers(session, role):
    f.building(session, "XG01")
    error = refused(session, "someone", role, GOOD, ["XG01"])
    assert error.field == "building"


def test_manager_without_buildings_is_allowed(session):
    assert create_user(session, "louyu2", "manager", GOOD).buildings == []


# --- authenticate -----------------------------------------------------------------------------


def test_authenticate_right_password(session):
    user = create_user(session, "admin", "admin", GOOD)
    assert authenticate(session, "admin", GOOD) is user
    assert authenticate(session, " admin ", GOOD) is user  # the typed name is trimmed


def test_authenticate_wrong_password(session):
    create_user(session, "admin", "admin", GOOD)
    assert authenticate(session, "admin", GOOD + "x") is None
    assert authenticate(session, "admin", "") is None
    assert authenticate(session, "admin", None) is None


def test_authenticate_unknown_user(session):
    create_user(session, "admin", "admin", GOOD)
    assert authenticate(session, "nobody", GOOD) is None
    assert authenticate(session, "", GOOD) is None
    assert authenticate(session, None, None) is None


def test_authenticate_inactive_user(session):
    user = create_user(session, "leaver", "promoter", GOOD)
    user.active = False
    session.flush()
    assert authenticate(session, "leaver", GOOD) is None


def test_authenticate_factory_user(session):
    # the password the view tests sign in with
    f.user(session, "louyu1", "manager")
    assert authenticate(session, "louyu1", f.PASSWORD) is not None
