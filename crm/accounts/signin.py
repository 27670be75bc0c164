"""Signing in: checking a password, throttling guessers without locking anybody out, and the
sign-in audit log.

Three limits, none of which lets an attacker keep the account's owner out:

* **Per (username, address)**: growing delays. Five failures in a row cost nothing (typos); from
  the fifth on, each failure makes the pair wait before its next attempt — 1, 2, 4, 8, 16 minutes,
  then 30 minutes each time. A success from the pair clears its count; failures older than 24 hours
  are forgotten.
* **Per username**: a looser ceiling of 20 failures within an hour, from all addresses together.
  Above it an address that has itself failed for this username within the hour is refused, while
  an address without such a failure still has its password checked — so the owner signs in from
  their own desk while an attack goes on elsewhere.
* **Per address**: 50 failures within an hour over all usernames (password spraying). Above it the
  address is refused for every username it has itself failed for within the hour; a username it
  has not failed for is still heard, so an office behind one NAT address cannot be shut out by one
  colleague's (or intruder's) spraying — a sprayer gets one guess per username per hour.

An attempt refused by a limit is logged but never counted as a failure, so hammering a throttled
sign-in does not prolong its wait. Every attempt, good or bad, is recorded with address and user
agent. The address is the client address as the app determines it (``CRM_PROXY_COUNT``).

What that allows a guesser at most:

* one address, one username: 10 guesses in the first hour, then 2 an hour (56 in the first day);
* one username, all addresses: 20 an hour, plus one an hour for each further address that has not
  failed for it within the hour;
* one address, all usernames: 50 an hour, then one more per username not yet tried in the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from crm.models import LoginAttempt, User
from crm.accounts.hashing import DUMMY_HASH, verify_password

FREE_FAILURES = 5  # failures in a row a pair may make before it has to wait
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=30)
PAIR_MEMORY = timedelta(hours=24)

CEILING_WINDOW = timedelta(hours=1)
MAX_FAILURES_PER_USERNAME = 20
MAX_FAILURES_PER_ADDRESS = 50


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


def _failures(*where):
    """Failed attempts that count: throttled ones never do."""
    return (LoginAttempt.succeeded.is_(False), LoginAttempt.throttled.is_(False), *where)


def pair_delay(failures: int) -> timedelta:
    """How long a pair waits after its ``failures``-th failure in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 10)  # 2**10 minutes is far past the cap already
    return min(FIRST_DELAY * 2**doublings, MAX_DELAY)


def _pair_free_at(session, username: str, address: str | None, now: datetime) -> datetime | None:
    """When the pair may try again, or None if it may now."""
    pair = (LoginAttempt.username == username, LoginAttempt.address == address)
    last_success = session.scalar(select(func.max(LoginAttempt.at)).where(*pair, LoginAttempt.succeeded.is_(True)))
    since = now - PAIR_MEMORY
    if last_success is not None:
        since = max(since, _aware(last_success))
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(*_failures(*pair, LoginAttempt.at > since))
    ).one()
    if not count:
        return None
    free_at = _aware(last) + pair_delay(count)
    return free_at if free_at > now else None


def _ceiling_free_at(session, limit: int, now: datetime, *where) -> datetime | None:
    """When fewer than ``limit`` of the failures matching ``where`` will lie within the window,
    or None if fewer do now."""
    times = select(LoginAttempt.at).where(*_failures(*where, LoginAttempt.at > now - CEILING_WINDOW))
    count = session.scalar(select(func.count()).select_from(times.subquery()))
    if count < limit:
        return None
    # The window must lose count - limit + 1 failures, oldest first.
    ages_out = session.scalar(times.order_by(LoginAttempt.at).offset(count - limit).limit(1))
    return _aware(ages_out) + CEILING_WINDOW


def _last_pair_failure(session, username: str, address: str | None, now: datetime) -> datetime | None:
    """This address's latest counted failure for this username within the ceiling window."""
    last = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            *_failures(
                LoginAttempt.username == username,
                LoginAttempt.address == address,
                LoginAttempt.at > now - CEILING_WINDOW,
            )
        )
    )
    return None if last is None else _aware(last)


def _ceiling_for_pair(free_at: datetime | None, last_here: datetime | None) -> datetime | None:
    """Above a ceiling only a pair that has itself failed lately waits: a clean pair is heard."""
    if free_at is None or last_here is None:
        return None
    return min(free_at, last_here + CEILING_WINDOW)


def throttled_until(session, username: str, address: str | None, now: datetime) -> datetime | None:
    """When this username may next be tried from this address, or None if it may now."""
    last_here = _last_pair_failure(session, username, address, now)
    waits = [
        _pair_free_at(session, username, address, now),
        _ceiling_for_pair(
            _ceiling_free_at(session, MAX_FAILURES_PER_USERNAME, now, LoginAttempt.username == username), last_here
        ),
        _ceiling_for_pair(
            _ceiling_free_at(session, MAX_FAILURES_PER_ADDRESS, now, LoginAttempt.address == address), last_here
        ),
    ]
    waits = [moment for moment in waits if moment is not None]
    return max(waits) if waits else None


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(int((moment - now).total_seconds() + 59) // 60, 1)


def sign_in(
    session, username: str, password: str, address: str | None, user_agent: str | None, now: datetime | None = None
) -> SignIn:
    """Check credentials unless throttled; record the attempt either way."""
    now = now or datetime.now(timezone.utc)
    username = (username or "").strip()[:64]
    address = (address or "")[:64] or None
    wait_until = throttled_until(session, username, address, now)
    user = None if wait_until is not None else authenticate(session, username, password)
    session.add(
        LoginAttempt(
            username=username,
            address=address,
            user_agent=(user_agent or "")[:300],
            at=now,
            succeeded=user is not None,
            throttled=wait_until is not None,
        )
    )
    if wait_until is not None:
        return SignIn(None, throttled_minutes=_minutes_until(wait_until, now))
    return SignIn(user)
