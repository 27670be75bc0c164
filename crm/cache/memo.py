"""Per-transaction memos: values a request reads several times (the data-version tokens, the
settings) kept in ``session.info`` and forgotten when the transaction ends, since the next one
may see other processes' writes. Whoever writes such a value in the session forgets it too."""

from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")
MEMO_KEY = "transaction_memo"


def remembered(session, name: str, read: Callable[[], T]) -> T:
    memo = session.info.setdefault(MEMO_KEY, {})
    if name not in memo:
        memo[name] = read()
    return memo[name]


def forget(session, name: str) -> None:
    session.info.get(MEMO_KEY, {}).pop(name, None)


def _forget_all(session, _transaction) -> None:
    session.info.pop(MEMO_KEY, None)


def init_transaction_memo(session_class=Session) -> None:
    """Forget every memo when a session's transaction ends; safe to call more than once."""
    if not event.contains(session_class, "after_transaction_end", _forget_all):
        event.listen(session_class, "after_transaction_end", _forget_all)
