"""Seeded draws: every random choice of the demo comes from a ``random.Random`` seeded with a
string naming the scale and the part being drawn (string seeds are hashed with SHA-512, so
PYTHONHASHSEED plays no part)."""

from __future__ import annotations

import random
from datetime import timedelta

from crm.demo.profiles import GIVEN_CHARS, SURNAMES, TRADE_NAME_CHARS


def seeded(scale: int, *parts) -> random.Random:
    return random.Random(":".join(["xigang-demo", str(scale), *map(str, parts)]))


def cents_of(m2: float) -> int:
    return int(round(m2 * 100))


def pick_weighted(rng: random.Random, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights)[0]


def some_days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, max(low, high)))


def trade_name(rng: random.Random) -> str:
    return rng.choice(TRADE_NAME_CHARS) + rng.choice(TRADE_NAME_CHARS)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given
