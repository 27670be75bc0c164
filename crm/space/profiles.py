"""Building profiles (楼宇画像): the texts, the photos, and the plain data of the two PDFs.

``internal_data`` is leadership's view of a building (figures, tax, tenants, leads);
``external_data`` is what a prospect may read, and is built from a whitelist — the building's
own descriptive fields, its profile texts and the vacant units by floor — so no tenant, tax or
occupancy figure can reach the 对外招商版 by accident.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm.models import Building, BuildingPhoto, BuildingProfile, Lead, lead_target_buildings
from crm.models.choices import INDUSTRY_GROUPS, TIERS
from crm.models.lead import ACTIVE_STAGES
from crm.models.profile import MAX_PHOTOS
from crm.services import periods as P
from crm.services.bounds import clean_text
from crm.services.candidates import candidate_report
from crm.services.errors import DomainError
from crm.services.figures import building_history
from crm.services.tax_analysis import building_tax
from crm.services.units import floors, plan_states_of, unit_states
from crm.space import photos as photo_store
from crm.warnings.queries import building_panel
from crm.warnings.rules import RULES

ZERO = Decimal(0)
TEXT_FIELDS = {  # field: (label, longest)
    "description": ("楼宇简介", 1000),
    "transit": ("地铁/公交", 300),
    "parking": ("停车位", 300),
    "dining": ("餐饮", 300),
    "property_contact": ("物业联系人", 200),
    "policies": ("适用政策", 1500),
}
POSITIONING_LONGEST = 300
TOP_TAXPAYERS = 10


# ------------------------------------------------------------------------------------------
# reading and editing


def profile_of(session, building: Building) -> BuildingProfile:
    """The building's profile; an unsaved blank one when nobody has written it yet."""
    profile = session.scalar(select(BuildingProfile).where(BuildingProfile.building_id == building.id))
    return profile if profile is not None else BuildingProfile(building_id=building.id)


def photos_of(session, building_ids) -> dict[int, list[BuildingPhoto]]:
    """{building id: its photos in order} for ``building_ids``."""
    rows = session.scalars(
        select(BuildingPhoto)
        .where(BuildingPhoto.building_id.in_(list(building_ids)))
        .order_by(BuildingPhoto.building_id, BuildingPhoto.position, BuildingPhoto.id)
    )
    found: dict[int, list[BuildingPhoto]] = defaultdict(list)
    for photo in rows:
        found[photo.building_id].append(photo)
    return found


def save_profile(
    session, building: Building, values: dict, positioning: str | None, actor, now: datetime
) -> BuildingProfile:
    """Write the profile texts and the building's 特色定位; a too-long field is refused by name."""
    cleaned = {}
    for name, (label, longest) in TEXT_FIELDS.items():
        value = clean_text(values.get(name) or "").strip()
        if len(value) > longest:
            raise DomainError(f"「{label}」最多 {longest} 个字，现有 {len(value)} 个字。", field=name)
        cleaned[name] = value or None
    positioning = clean_text(positioning or "").strip()
    if len(positioning) > POSITIONING_LONGEST:
        raise DomainError(
            f"「特色定位」最多 {POSITIONING_LONGEST} 个字，现有 {len(positioning)} 个字。", field="positioning"
        )
    profile = profile_of(session, building)
    for name, value in cleaned.items():
        setattr(profile, name, value)
    profile.updated_at, profile.updated_by_id = now, getattr(actor, "id", None)
    if (building.positioning or None) != (positioning or None):
        building.positioning = positioning or None
    session.add(profile)
    session.flush()
    return profile


def add_photo(session, building: Building, folder: str, data: bytes, name: str, actor, now: datetime) -> BuildingPhoto:
    """Check, re-encode and store an upload as the building's last photo (at most six)."""
    count = session.scalar(
        select(func.count()).select_from(BuildingPhoto).where(BuildingPhoto.building_id == building.id)
    )
    if count >= MAX_PHOTOS:
        raise DomainError(f"每栋楼最多 {MAX_PHOTOS} 张照片，请先删除一张再上传。", field="photo")
    stored = photo_store.store(folder, data, name)
    exists = session.scalar(
        select(BuildingPhoto).where(BuildingPhoto.building_id == building.id, BuildingPhoto.sha256 == stored.sha256)
    )
    if exists is not None:
        raise DomainError(f"照片「{name}」与已有的一张相同，未重复添加。", field="photo")
    last = session.scalar(select(func.max(BuildingPhoto.position)).where(BuildingPhoto.building_id == building.id))
    photo = BuildingPhoto(
        building_id=building.id,
        sha256=stored.sha256,
        width=stored.width,
        height=stored.height,
        size=stored.size,
        position=(last or 0) + 1,
        uploaded_at=now,
        uploaded_by_id=getattr(actor, "id", None),
    )
    session.add(photo)
    session.flush()
    return photo


def remove_photo(session, building: Building, photo_id: int) -> None:
    """Drop the photo from the building. The file stays: another building may share its hash,
    and an archived proposal was built from it."""
    photo = session.get(BuildingPhoto, photo_id)
    if photo is None or photo.building_id != building.id:
        raise DomainError("这张照片已不存在，请刷新页面。", field="photo")
    session.delete(photo)
    session.flush()


def make_cover(session, building: Building, photo_id: int) -> None:
    """Put the photo first: the cover of the profile and of proposals."""
    photos = photos_of(session, [building.id])[building.id]
    chosen = next((p for p in photos if p.id == photo_id), None)
    if chosen is None:
        raise DomainError("这张照片已不存在，请刷新页面。", field="photo")
    for position, photo in enumerate([chosen, *(p for p in photos if p is not chosen)], start=1):
        photo.position = position
    session.flush()


def open_warnings(session, building: Building) -> list[str]:
    """Open warnings (预警) of the building for the internal profile, one line each: severity,
    rule and title, newest first."""
    return [
        f"【{w.severity_label}】{RULES.get(w.rule, w.rule)}：{w.title}"
        for w in building_panel(session, building.id).open
    ]


# ------------------------------------------------------------------------------------------
# the data of the PDFs


@dataclass(frozen=True)
class FloorSpace:
    floor: int
    units: list[tuple[str, Decimal]]  # (unit number, area)

    @property
    def area(self) -> Decimal:
        return sum((a for _, a in self.units), ZERO)


def vacant_by_floor(states) -> list[FloorSpace]:
    """The vacant units of each floor (top floor first), floors without any left out."""
    rows = []
    for floor, on_floor in floors(states):
        vacant = [(s.unit.number, s.unit.area) for s in on_floor if s.status == "vacant"]
        if vacant:
            rows.append(FloorSpace(floor, vacant))
    return rows


def _photo_paths(session, building: Building, folder: str | None, limit: int) -> list[str]:
    if folder is None:
        return []
    return [photo_store.photo_path(folder, p.sha256) for p in photos_of(session, [building.id])[building.id][:limit]]


def profile_texts(profile: BuildingProfile, building: Building) -> dict:
    return {name: getattr(profile, name) or "" for name in TEXT_FIELDS} | {"positioning": building.positioning or ""}


def external_data(
    session, building: Building, today: date, photo_folder: str | None, contact: dict | None, states=None
) -> dict:
    """What the 对外招商版 shows — and only that (see module docstring)."""
    states = states if states is not None else unit_states(session, building, today)
    return {
        "code": building.code,
        "name": building.name,
        "street": building.street,
        "zone": building.zone or "",
        "address": building.address or "",
        "grade": building.grade or "",
        "floors": building.floors,
        "declared_office_area": building.declared_office_area,
        "operator": building.operator or "",
        "texts": profile_texts(profile_of(session, building), building),
        "vacant": vacant_by_floor(states),
        "photos": _photo_paths(session, building, photo_folder, 3),
        "contact": contact or {},
        "as_of": today,
    }


def _industry_mix(states) -> list[tuple[str, Decimal, int]]:
    """(industry group, leased area, tenants) of the building's tenants on the day, largest first."""
    area: dict[str, Decimal] = defaultdict(lambda: ZERO)
    companies: dict[str, set[int]] = defaultdict(set)
    for s in states:
        if s.lease is not None:
            group = s.lease.company.industry_group or "未分类"
            area[group] += s.unit.area
            companies[group].add(s.lease.company_id)
    order = {g: i for i, g in enumerate(INDUSTRY_GROUPS)}
    return sorted(((g, a, len(companies[g])) for g, a in area.items()), key=lambda r: (-r[1], order.get(r[0], 99)))


def _expiries_by_month(states, today: date) -> list[tuple[str, int, Decimal]]:
    """(YYYY-MM, leases, area) of the leases ending in each of the next 12 months."""
    horizon = today + timedelta(days=365)
    leases = {}
    for s in states:
        if s.lease is not None and s.lease.end_date is not None and today <= s.lease.end_date <= horizon:
            leases.setdefault(s.lease.id, [s.lease, ZERO])[1] += s.unit.area
    months: dict[str, list] = {}
    for lease, area in leases.values():
        row = months.setdefault(P.period_of(lease.end_date), [0, ZERO])
        row[0] += 1
        row[1] += area
    return [(p, n, a) for p, (n, a) in sorted(months.items())]


def _candidate_status(session, building: Building, month: str, today: date) -> str:
    try:
        report = candidate_report(session, as_of=month, today=today)
    except DomainError:
        return "—"
    if any(r.code == building.code for r in report.yi_buildings):
        return "本年已达亿元楼"
    row = next((r for r in report.candidates if r.code == building.code), None)
    return f"亿元楼候选第 {row.rank} 名：{row.verdict}" if row else "非候选"


def open_leads(session, building: Building) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .join(lead_target_buildings, lead_target_buildings.c.lead_id == Lead.id)
            .where(
                lead_target_buildings.c.building_id == building.id,
                Lead.stage.in_(ACTIVE_STAGES),
                Lead.merged_into_id.is_(None),
            )
            .order_by(Lead.expected_annual_tax.desc().nulls_last(), Lead.id)
        )
    )


def internal_data(session, building: Building, month: str, today: date, photo_folder: str | None = None) -> dict:
    """Leadership's 内部版: the building's figures for as-of month ``month``, its tenants and leads
    as of ``today``."""
    as_of = P.as_of_day(month, today)
    tax = building_tax(session, building, month, as_of)
    figures = tax.figures
    states = unit_states(session, building, as_of)
    history = building_history(session, building, month)
    year, _ = P.split(month)
    last_year = next((y for y in tax.years if y.year == year - 1), None)
    return {
        "code": building.code,
        "name": building.name,
        "street": building.street,
        "address": building.address or "",
        "month": month,
        "as_of": as_of,
        "declared_office_area": building.declared_office_area,
        "occupancy": figures.occupancy,
        "tax_ytd": figures.tax_ytd,
        "tax_ytd_prev": figures.tax_ytd_prev,
        "tax_last_year": last_year.total if last_year else ZERO,
        "last_year_label": last_year.label if last_year else f"{year - 1}年",
        "tax_per_m2": figures.tax_per_m2,
        "tier": TIERS.get(figures.tier or "", "未达千万楼"),
        "candidate": _candidate_status(session, building, month, today),
        "trend": [(P.label(p.period), p.occupancy.occupancy) for p in history],
        "industries": _industry_mix(states),
        "top_taxpayers": [(t.company.name, t.tax, t.share) for t in tax.tenants[:TOP_TAXPAYERS]],
        "expiries": _expiries_by_month(states, as_of),
        "vacant": vacant_by_floor(states),
        "leads": [
            (lead.company_name, lead.stage_label, lead.expected_annual_tax, lead.intended_area, lead.owner.display_name)
            for lead in open_leads(session, building)
        ],
        "warnings": open_warnings(session, building),
        "texts": profile_texts(profile_of(session, building), building),
        "photos": _photo_paths(session, building, photo_folder, 1),
    }


def booklet_data(session, today: date, photo_folder: str | None, contact: dict | None) -> list[dict]:
    """The 对外招商版 data of every building, by code, for the district booklet."""
    buildings = list(session.scalars(select(Building).order_by(Building.code)))
    states = plan_states_of(session, None, today)  # every building's units in one read
    return [external_data(session, b, today, photo_folder, contact, states.get(b.id, [])) for b in buildings]
