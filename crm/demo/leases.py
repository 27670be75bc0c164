"""Lease histories: each building's lettable blocks, let up to its occupancy target, with move-ins,
move-outs and leases that ran out during the history; then the moves of a company from one
building to another."""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta

from crm.demo.chance import pick_weighted, seeded, some_days
from crm.demo.clock import Window
from crm.demo.records import GBuilding, GLease, GUnit
from crm.models.choices import MOVE_OUT_REASONS


def _blocks(rng: random.Random, unit_indexes: list[int], units: list[GUnit], whole_floor: float) -> list[list[int]]:
    """Lettable blocks of one building: 1–4 adjacent units of a floor, or whole floors."""
    by_floor: dict[int, list[int]] = defaultdict(list)
    for i in unit_indexes:
        if not units[i].self_use:
            by_floor[units[i].floor].append(i)
    blocks: list[list[int]] = []
    last_whole_floor = None
    for floor in sorted(by_floor):
        members = by_floor[floor]
        if rng.random() < whole_floor:
            if last_whole_floor == floor - 1 and rng.random() < 0.3:
                blocks[-1] = blocks[-1] + members  # two floors for one big tenant
                last_whole_floor = None
            else:
                blocks.append(list(members))
                last_whole_floor = floor
            continue
        last_whole_floor = None
        i = 0
        while i < len(members):
            size = pick_weighted(rng, [(1, 15), (2, 35), (3, 32), (4, 18)])
            blocks.append(members[i : i + size])
            i += size
    return blocks


def _current_end(rng: random.Random, start: date, window: Window) -> date | None:
    u = rng.random()
    if u < 0.04:
        return None
    if u < 0.10:
        end = window.today + some_days(rng, 0, 29)
    elif u < 0.18:
        end = window.today + some_days(rng, 30, 89)
    elif u < 0.28:
        end = window.today + some_days(rng, 90, 179)
    else:
        end = window.today + some_days(rng, 180, 1100)
    return max(end, start)


def _moved_out(rng: random.Random, moved_out: date) -> tuple[date, date, str]:
    """Start, end and reason of a lease that ended with a move-out on ``moved_out``."""
    reason = pick_weighted(rng, list(zip(MOVE_OUT_REASONS, [35, 30, 20, 8, 7])))
    start = moved_out - some_days(rng, 300, 2600)
    end = moved_out if reason == "到期" else moved_out + some_days(rng, 60, 700)
    return start, end, reason


def building_leases(
    scale: int, b_index: int, building: GBuilding, unit_indexes: list[int], units: list[GUnit], window: Window
) -> list[GLease]:
    rng = seeded(scale, "leases", b_index)
    blocks = _blocks(rng, unit_indexes, units, 0.16 if building.grade == "甲级" else 0.10)
    leasable = sum(units[i].area_cents for i in unit_indexes if not units[i].self_use)
    target = building.occupancy_target * leasable
    order = list(range(len(blocks)))
    rng.shuffle(order)
    occupied = set()
    taken = 0
    for k in order:
        area = sum(units[i].area_cents for i in blocks[k])
        if taken + area / 2 <= target:
            occupied.add(k)
            taken += area
    history_days = (window.last_day - window.first_day).days
    leases: list[GLease] = []
    for k, block in enumerate(blocks):
        area = sum(units[i].area_cents for i in block)

        def lease(start, end, moved_out_on=None, reason=None):
            leases.append(GLease(b_index, list(block), area, start, end, moved_out_on, reason))

        if k in occupied:
            if rng.random() < 0.35:  # moved in during the history
                start = window.first_day + some_days(rng, 20, history_days)
                if rng.random() < 0.45:  # after someone else moved out
                    moved_out = start - some_days(rng, 20, 300)
                    if moved_out > window.first_day:
                        p_start, p_end, reason = _moved_out(rng, moved_out)
                        lease(p_start, p_end, moved_out, reason)
            else:
                start = window.first_day - some_days(rng, 30, 3000)
            lease(start, _current_end(rng, start, window))
        else:
            u = rng.random()
            if u < 0.035:  # past its end, no move-out recorded: flagged to the manager
                end = window.today - some_days(rng, 2, 80)
                lease(end - some_days(rng, 360, 1800), end)
            elif u < 0.435:  # moved out during the history
                moved_out = window.first_day + some_days(rng, 15, history_days)
                p_start, p_end, reason = _moved_out(rng, moved_out)
                lease(p_start, p_end, moved_out, reason)
    return leases


def link_moves(scale: int, leases: list[GLease], window: Window) -> None:
    """Some tenants that moved out took a lease elsewhere soon after: the same company."""
    rng = seeded(scale, "moves")
    recent = sorted(
        (i for i, lease in enumerate(leases) if lease.moved_out_on is None and lease.start >= window.first_day),
        key=lambda i: (leases[i].start, i),
    )
    starts = [leases[i].start for i in recent]
    used = [False] * len(recent)
    movers = sorted(
        (
            i
            for i, lease in enumerate(leases)
            if lease.moved_out_on is not None and lease.reason in ("到期", "提前退租", "其他")
        ),
        key=lambda i: (leases[i].moved_out_on, i),
    )
    for i in movers:
        if rng.random() >= 0.35:
            continue
        old = leases[i]
        lo = bisect_left(starts, old.moved_out_on)
        hi = bisect_left(starts, old.moved_out_on + timedelta(days=150))
        free = [j for j in range(lo, hi) if not used[j]]
        if not free:
            continue
        elsewhere = [j for j in free if leases[recent[j]].building != old.building]
        pick = (elsewhere or free)[0] if rng.random() < 0.75 else free[0]
        used[pick] = True
        leases[recent[pick]].follows = old
