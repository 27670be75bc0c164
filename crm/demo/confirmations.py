"""The monthly confirmations: every month of the history but the last is confirmed by the
street's manager; the last awaits them."""

from __future__ import annotations

from crm.demo.clock import HISTORY_MONTHS
from crm.models import User
from crm.models.choices import STREETS
from crm.services import periods as P
from crm.services.snapshots import record_snapshots


def confirm_history(session, periods: list[str], users: dict[str, User], by_street: dict[str, list[int]]) -> int:
    """Record the confirmed snapshots; returns how many."""
    confirmed = P.months_ending(P.shift(periods[-1], -1), HISTORY_MONTHS - 1)
    snapshots = 0
    for n, street in enumerate(STREETS, start=1):
        if by_street[street]:
            snapshots += record_snapshots(session, confirmed, by_street[street], confirmed_by=users[f"louyu{n}"])
    return snapshots
