"""Password policy (OWASP ASVS level 2) and changing, resetting and deactivating accounts.

At least 10 characters, any characters up to 128, and none of what a guesser tries first: one of
the common passwords shipped in crm/data/common-passwords.txt, a password containing the username,
one character repeated (``aaaaaaaaaa``), a few characters repeated (``abababab``, ``abcdabcd``), or
nothing but runs of the alphabet, the digits or neighbouring keys (``1234567890``, ``abcdefghij``,
``qwertyuiop``, ``qwerty123456``), either way round. Hashes: crm/accounts/hashing.py (Argon2id).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from crm.models import User
from crm.accounts.tokens import revoke_all_tokens
from crm.services.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_RUN = 3  # a run shorter than this is just two neighbouring characters
MAX_REPEATED_UNIT = 4  # "abab…", "abcabc…", "abcdabcd…" are weak; longer units are phrases
# Orders a guesser walks along: the alphabet, the digits, the keyboard's rows (with their shifted
# symbols) as typed on a US/Chinese layout. Each is also walked backwards.
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
)
_LINES = SEQUENCES + tuple(sequence[::-1] for sequence in SEQUENCES)
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_run(text: str) -> bool:
    """One character repeated, or a stretch of a sequence forwards or backwards."""
    return len(set(text)) == 1 or any(text in line for line in _LINES)


def only_runs(password: str) -> bool:
    """True when ``password`` splits into runs of at least ``MIN_RUN`` characters, each one
    character repeated or a walk along a sequence: ``1234567890``, ``qwerty123456``, ``aaabbbccc``."""
    text = password.lower()
    # can_end[i]: text[:i] splits into runs (a short dynamic programme; passwords are short)
    can_end = [True] + [False] * len(text)
    for end in range(MIN_RUN, len(text) + 1):
        can_end[end] = any(can_end[start] and _is_run(text[start:end]) for start in range(end - MIN_RUN + 1))
    return can_end[len(text)]


def repeats_a_short_unit(password: str) -> bool:
    """``abababab``, ``abcabcabca``, ``1212121212``: a unit of at most four characters, repeated."""
    text = password.lower()
    return any(text == (text[:size] * (len(text) // size + 1))[: len(text)] for size in range(1, MAX_REPEATED_UNIT + 1))


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is not acceptable, in Chinese, or None."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 个字符"
    if password.lower() in common_passwords():
        return "这个密码过于常见，容易被猜中，请换一个"
    username = (username or "").strip().lower()
    if username and password.lower() == username:
        return "密码不能与用户名相同"
    # A username of one or two characters is part of too many good passwords to rule them out.
    if len(username) >= 3 and username in password.lower():
        return "密码不能包含用户名"
    if len(set(password.lower())) == 1:
        return "密码不能是同一个字符的重复"
    if repeats_a_short_unit(password):
        return "密码不能是几个字符的简单重复（如 abababab）"
    if only_runs(password):
        return "密码不能只由连续的字母、数字或键盘上相邻的键组成（如 1234567890、abcdefghij、qwertyuiop）"
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
