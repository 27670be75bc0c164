"""Space proposals (载体推荐书): up to five of a lead's matching candidates, as the PDF addressed to
the company, archived with what it proposed.

A candidate is named by its unit ids (as the matching page lists them). Each must still be one
run of units on one floor of one building, free for the lead today (``matching.free_condition``),
so a proposal never offers space that has been let or held for another lead meanwhile. The data
handed to the PDF holds the building's external facts only — no tenant and no tax figure.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from crm.models import Building, Lead, SpaceProposal, Unit
from crm.models.proposal import MAX_CANDIDATES
from crm.services.errors import DomainError
from crm.services.matching import free_condition
from crm.services.occupancy import unit_exists_on
from crm.space.profiles import external_data


def parse_choices(raw: list[str]) -> list[list[int]]:
    """The ticked candidates (each "id,id,…") as lists of unit ids; refused with a message."""
    chosen = []
    for value in raw:
        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise DomainError("所选载体无效，请刷新匹配结果后重新勾选。", field="choice")
        if ids and ids not in chosen:
            chosen.append(ids)
    if not chosen:
        raise DomainError("请至少勾选一个载体，再生成推荐书。", field="choice")
    if len(chosen) > MAX_CANDIDATES:
        raise DomainError(f"推荐书最多包含 {MAX_CANDIDATES} 个载体，您勾选了 {len(chosen)} 个。", field="choice")
    return chosen


def resolve(session, lead: Lead, chosen: list[list[int]], today: date) -> list[list[Unit]]:
    """The units of each candidate, checked: existing, one floor of one building, free for the lead."""
    all_ids = [i for ids in chosen for i in ids]
    free = set(
        session.scalars(
            select(Unit.id).where(Unit.id.in_(all_ids), unit_exists_on(today), free_condition(today, lead.id))
        )
    )
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(all_ids)))}
    resolved = []
    for ids in chosen:
        found = [units.get(i) for i in ids]
        if any(u is None for u in found) or len({(u.building_id, u.floor) for u in found}) != 1:
            raise DomainError("所选载体的单元已变动，请刷新匹配结果后重新勾选。", field="choice")
        taken = [u for u in found if u.id not in free]
        if taken:
            names = "、".join(f"{u.building.name} {u.label}" for u in taken)
            raise DomainError(f"{names} 已不再空置或已为其他项目预留，请刷新匹配结果。", field="choice")
        resolved.append(sorted(found, key=lambda u: u.number))
    return resolved


def _floor_strip(session, units: list[Unit], today: date) -> dict:
    """The candidate's floor for the PDF's strip: every unit on it (number, area, proposed or
    not) and the building's floor count — no status or tenant of the others."""
    first = units[0]
    on_floor = session.scalars(
        select(Unit)
        .where(Unit.building_id == first.building_id, Unit.floor == first.floor, unit_exists_on(today))
        .order_by(Unit.number)
    )
    chosen = {u.id for u in units}
    return {"floor": first.floor, "units": [(u.number, u.area, u.id in chosen) for u in on_floor]}


def proposal_data(
    session, lead: Lead, candidates: list[list[Unit]], today: date, photo_folder: str | None, contact: dict
) -> dict:
    """The plain data of the proposal PDF."""
    facts: dict[int, dict] = {}
    rows = []
    for units in candidates:
        building: Building = units[0].building
        if building.id not in facts:
            facts[building.id] = external_data(session, building, today, photo_folder, None)
        rows.append(
            {
                "building": facts[building.id],
                "floor": units[0].floor,
                "units": [(u.label, u.area) for u in units],
                "area": sum((u.area for u in units), Decimal(0)),
                "strip": _floor_strip(session, units, today),
            }
        )
    return {
        "company": lead.company_name,
        "intended_area": lead.intended_area,
        "industry": lead.industry_group or "",
        "candidates": rows,
        "contact": contact,
        "date": today,
    }


def summary(data: dict) -> list[dict]:
    """What the archive keeps of each candidate, for the timeline."""
    return [
        {
            "building": c["building"]["code"],
            "name": c["building"]["name"],
            "floor": c["floor"],
            "units": [label for label, _ in c["units"]],
            "area": str(c["area"]),
        }
        for c in data["candidates"]
    ]


def record_proposal(session, lead: Lead, data: dict, pdf: bytes, pages: int, actor, now: datetime) -> SpaceProposal:
    proposal = SpaceProposal(
        lead_id=lead.id,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
        candidates=summary(data),
        size=len(pdf),
        pages=pages,
        pdf=pdf,
    )
    session.add(proposal)
    session.flush()
    return proposal


def proposals_of(session, lead: Lead) -> list[SpaceProposal]:
    return list(
        session.scalars(
            select(SpaceProposal)
            .where(SpaceProposal.lead_id == lead.id)
            .order_by(SpaceProposal.created_at.desc(), SpaceProposal.id.desc())
        )
    )
