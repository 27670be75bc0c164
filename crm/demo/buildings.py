"""The buildings and their units: the 35 profiles of scale 1, then variations of them for each
further scale step."""

from __future__ import annotations

import math
from itertools import chain, count

from crm.demo.chance import cents_of, seeded, trade_name
from crm.demo.profiles import NAME_SUFFIXES, PROFILES, STREET_PLACES, STREET_ROADS, STREET_ZONES, Profile
from crm.demo.records import GBuilding, GUnit

LEASABLE_TARGET_M2 = 1_234_000  # Σ unit area at scale 1; the plan counts 123 万 m² of office space


def _building_profiles(scale: int) -> list[tuple[Profile, str]]:
    """The profile and name of every building: the 35 of scale 1, then variations of them."""
    result = [(p, p.name) for p in PROFILES]
    used = {p.name for p in PROFILES}
    rng = seeded(scale, "names")
    for copy in range(1, scale):
        for p in PROFILES:
            drawn = (
                rng.choice(STREET_ROADS[p.street] + STREET_PLACES[p.street]) + rng.choice(NAME_SUFFIXES)
                for _ in range(20)
            )
            name = next((candidate for candidate in drawn if candidate not in used), None)
            if name is None:  # the pool is exhausted at large scales: tag a drawn name
                base = rng.choice(STREET_ROADS[p.street]) + rng.choice(NAME_SUFFIXES)
                tags = chain(["B座", "C座", "二期", "三期", "东塔", "西塔"], (f"{n}号楼" for n in count(2)))
                name = next(base + tag for tag in tags if base + tag not in used)
            used.add(name)
            result.append((p, name))
    return result


def buildings_and_units(scale: int) -> tuple[list[GBuilding], list[GUnit]]:
    profiles = _building_profiles(scale)
    width = max(2, len(str(len(profiles))))
    area_factor = LEASABLE_TARGET_M2 / sum(p.area_k for p in PROFILES)
    buildings: list[GBuilding] = []
    units: list[GUnit] = []
    for index, (profile, name) in enumerate(profiles):
        rng = seeded(scale, "building", index)
        copy = index >= len(PROFILES)
        area = profile.area_k * area_factor * (rng.uniform(0.7, 1.1) if copy else 1.0)
        occupancy = profile.occupancy
        tax = profile.tax_m * 1_000_000
        growth = profile.growth
        zone = profile.zone
        if copy:
            occupancy = min(max(occupancy + rng.uniform(-0.08, 0.06), 0.40), 0.95)
            tax *= rng.uniform(0.3, 0.85)
            growth += rng.uniform(-0.02, 0.02)
            zone = rng.choice(STREET_ZONES[profile.street])
        top = profile.grade == "甲级"
        plate = rng.uniform(1300, 2100) if top else rng.uniform(900, 1500)
        office_floors = min(max(round(area / plate), 6), 52)
        retail = (
            profile.retail_floors
            if profile.retail_floors is not None
            else (rng.randint(2, 3) if top else rng.randint(0, 2))
        )
        floors = office_floors + retail
        plate_cents = cents_of(area / office_floors)
        unit_size = rng.uniform(150, 230)
        b_index = len(buildings)
        first_unit = len(units)
        for floor in range(retail + 1, floors + 1):
            per_floor = min(max(round(plate_cents / 100 / unit_size), 4), 12)
            weights = [rng.uniform(0.6, 1.5) for _ in range(per_floor)]
            total_w = sum(weights)
            given = 0
            for i, w in enumerate(weights):
                cents = plate_cents - given if i == per_floor - 1 else int(plate_cents * w / total_w)
                given += cents
                units.append(GUnit(b_index, floor, f"{i + 1:02d}", cents, False))
        # The property manager's own office: a unit on the first office floor, not for let.
        if rng.random() < 0.45:
            units[first_unit].self_use = True
        unit_total = sum(u.area_cents for u in units[first_unit:])
        declared = math.ceil(unit_total * rng.uniform(1.0, 1.05) / 100) * 100
        gross = int(declared * rng.uniform(1.3, 1.7) / 100) * 100
        owner_name = trade_name(rng)
        owner = rng.choice(
            [
                f"大连{owner_name}置业有限公司",
                f"大连{owner_name}房地产开发有限公司",
                f"大连{owner_name}投资发展有限公司",
            ]
        )
        operator_name = trade_name(rng)
        operator = rng.choice(
            [
                f"大连{operator_name}物业服务有限公司",
                f"大连{operator_name}物业管理有限公司",
                f"{operator_name}商业运营管理（大连）有限公司",
            ]
        )
        road = profile.road if not copy else rng.choice(STREET_ROADS[profile.street])
        buildings.append(
            GBuilding(
                code=f"XG{index + 1:0{width}d}",
                name=name,
                street=profile.street,
                zone=zone,
                address=f"大连市西岗区{road}{rng.randint(1, 199)}号",
                floors=floors,
                grade=profile.grade,
                owner=owner,
                operator=operator,
                positioning=profile.positioning,
                declared_cents=declared,
                gross_cents=gross,
                occupancy_target=occupancy,
                tax_target=tax,
                growth=growth,
            )
        )
    return buildings, units
