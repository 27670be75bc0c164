"""Sign-in throttling (crm.accounts.signin): guessing gets nowhere, and nobody can lock the owner out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm.models import LoginAttempt
from crm.accounts.signin import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USERNAME, pair_delay, sign_in
from tests import factories as f

START = datetime(2026, 11, 15, 0, 0, tzinfo=timezone.utc)
ATTACKER, OWNER_DESK = "203.0.113.66", "10.9.8.7"


@pytest.fixture()
def leader(session):
    user = f.user(session, "leader", "leader")
    session.commit()
    return user


def attempt(session, password, address, at, username="leader"):
    result = sign_in(session, username, password, address, "pytest", now=at)
    session.flush()
    return result


def guesses_heard(session, *where) -> int:
    """Attempts whose password was actually checked (not refused by the throttle)."""
    return session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.throttled.is_(False), *where)
    )


def test_the_delays_grow_from_the_fifth_failure_and_stop_at_30_minutes():
    assert [pair_delay(n).total_seconds() / 60 for n in range(1, 13)] == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30]


def test_a_guesser_at_one_address_gets_10_tries_in_the_first_hour_and_56_in_a_day(session, leader):
    for minute in range(0, 24 * 60, 2):  # a guess every two minutes, day and night
        attempt(session, f"guess-number-{minute:05d}", ATTACKER, START + timedelta(minutes=minute))
    assert guesses_heard(session, LoginAttempt.at < START + timedelta(hours=1)) == 10
    assert guesses_heard(session) == 56
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 24 * 30  # every attempt is logged


def test_the_right_password_is_refused_while_throttled(session, leader):
    for second in range(5):
        attempt(session, "wrong-password-x", ATTACKER, START + timedelta(seconds=second))
    result = attempt(session, f.PASSWORD, ATTACKER, START + timedelta(seconds=10))
    assert result.user is None and result.throttled_minutes == 1


def test_refused_attempts_do_not_prolong_the_wait(session, leader):
    for second in range(5):
        attempt(session, "wrong-password-x", ATTACKER, START + timedelta(seconds=second))
    for second in range(10, 59):  # hammering while throttled
        assert attempt(session, "wrong-password-x", ATTACKER, START + timedelta(seconds=second)).throttled_minutes
    assert attempt(session, f.PASSWORD, ATTACKER, START + timedelta(minutes=1, seconds=5)).user is not None


def test_an_attacker_elsewhere_never_keeps_the_owner_out(session, leader):
    # A few guesses every 15 minutes used to keep the account locked for as long as they went on.
    for minute in range(0, 6 * 60, 3):
        attempt(session, "wrong-password-x", ATTACKER, START + timedelta(minutes=minute))
        if minute % 60 == 0:
            owner = attempt(session, f.PASSWORD, OWNER_DESK, START + timedelta(minutes=minute, seconds=30))
            assert owner.user is not None, f"owner refused after {minute} minutes"


def test_many_addresses_reach_the_username_ceiling_but_a_clean_address_is_still_heard(session, leader):
    at = START
    for n in range(MAX_FAILURES_PER_USERNAME):  # a botnet: one failure from each address
        attempt(session, "wrong-password-x", f"198.51.100.{n}", at)
        at += timedelta(seconds=1)
    assert attempt(session, f.PASSWORD, "198.51.100.0", at).throttled_minutes  # has failed: refused
    newcomer = attempt(session, "wrong-password-y", "198.51.100.200", at)  # has not: heard, and fails
    assert newcomer.user is None and not newcomer.throttled_minutes
    assert attempt(session, "wrong-password-z", "198.51.100.200", at).throttled_minutes  # now it has
    assert attempt(session, f.PASSWORD, OWNER_DESK, at).user is not None  # the owner gets in
    # An hour after the last failure the ceiling is gone and every address is heard again.
    assert attempt(session, f.PASSWORD, "198.51.100.0", at + timedelta(hours=1)).user is not None


def test_one_username_from_many_addresses_hears_20_an_hour_plus_one_per_fresh_address(session, leader):
    addresses = [f"198.51.100.{n}" for n in range(30)]
    for minute in range(0, 60, 6):
        for address in addresses:
            attempt(session, "wrong-password-x", address, START + timedelta(minutes=minute))
    heard = guesses_heard(session)
    assert heard <= MAX_FAILURES_PER_USERNAME + len(addresses)
    assert heard == len(addresses)  # the ceiling is full within the first minute: each address is heard once


def test_spraying_usernames_from_one_address_hears_50_an_hour_then_one_per_fresh_username(session, leader):
    for minute in range(0, 60, 2):
        for n in range(10):
            attempt(session, "wrong-password-x", ATTACKER, START + timedelta(minutes=minute), username=f"staff{n}")
    assert guesses_heard(session) == MAX_FAILURES_PER_ADDRESS
    # the owner elsewhere is not affected
    assert attempt(session, f.PASSWORD, OWNER_DESK, START + timedelta(minutes=60)).user is not None


def test_spraying_from_a_shared_office_address_does_not_shut_a_colleague_out(session, leader):
    """The bureau's staff may share one NAT address with whoever sprays from inside it."""
    for n in range(MAX_FAILURES_PER_ADDRESS + 10):
        attempt(session, "wrong-password-x", ATTACKER, START + timedelta(seconds=n), username=f"staff{n}")
    assert attempt(session, f.PASSWORD, ATTACKER, START + timedelta(minutes=2)).user is not None
    # ...while a username the address sprayed stays refused until its failures age out.
    assert attempt(
        session, "wrong-password-x", ATTACKER, START + timedelta(minutes=3), username="staff3"
    ).throttled_minutes


def test_a_success_clears_the_pairs_count(session, leader):
    for second in range(4):
        attempt(session, "wrong-password-x", OWNER_DESK, START + timedelta(seconds=second))
    assert attempt(session, f.PASSWORD, OWNER_DESK, START + timedelta(seconds=5)).user is not None
    for second in range(6, 10):
        assert not attempt(session, "wrong-password-x", OWNER_DESK, START + timedelta(seconds=second)).throttled_minutes
