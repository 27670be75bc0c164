"""How the integration API writes its objects as JSON: exact numbers (``number``), ISO dates,
UTC timestamps, and small references ({id, name} / {code, name}) instead of nested objects.

The shapes are those of the component schemas in ``crm/api/openapi.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from crm.models import Building, Company, FollowUp, Lead, Lease, LeadStageChange, MoveInRequest, Unit, User
from crm.services.leads import PipelineRules, lead_flags
from crm.services.units import UnitState
from crm.api.support import iso


def number(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def moment(value: datetime | None) -> str | None:
    """A recorded moment in UTC with its offset (SQLite hands back naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def ref(obj: Company | Lead | None) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.id, "name": obj.company_name if isinstance(obj, Lead) else obj.name}


def user_ref(user: User | None) -> dict | None:
    return None if user is None else {"id": user.id, "name": user.display_name}


def building_ref(building: Building | None) -> dict | None:
    return None if building is None else {"code": building.code, "name": building.name}


def unit_ref(unit: Unit) -> dict:
    return {"id": unit.id, "floor": unit.floor, "number": unit.number, "label": unit.label, "area": number(unit.area)}


def unit_json(state: UnitState) -> dict:
    lease = state.lease
    return unit_ref(state.unit) | {
        "status": state.status,
        "self_use": state.is_self_use,
        "self_use_period": None
        if state.self_use is None
        else {
            "start_date": iso(state.self_use.start_date),
            "end_date": iso(state.self_use.end_date),
        },
        "reserved_until": iso(state.unit.reserved_until),
        "lease": None
        if lease is None
        else {
            "id": lease.id,
            "company": ref(lease.company),
            "start_date": iso(lease.start_date),
            "end_date": iso(lease.end_date),
        },
    }


def company_json(company: Company, buildings: list[Building]) -> dict:
    return {
        "id": company.id,
        "name": company.name,
        "uscc": company.uscc,
        "industry_section": company.industry_section,
        "industry_group": company.industry_group,
        "hq_type": company.hq_type,
        "registered_in_district": company.registered_in_district,
        "taxed_in_district": company.taxed_in_district,
        "employees": company.employees,
        "registered_capital": number(company.registered_capital),
        "registered_building": building_ref(company.registered_building),
        "buildings": [building_ref(b) for b in buildings],
    }


def lease_json(lease: Lease, day: date) -> dict:
    return {
        "id": lease.id,
        "building": building_ref(lease.building),
        "company": ref(lease.company),
        "units": [unit_ref(u) for u in lease.units],
        "area": number(sum((u.area for u in lease.units), 0)),
        "start_date": iso(lease.start_date),
        "end_date": iso(lease.end_date),
        "moved_out_on": iso(lease.moved_out_on),
        "active": lease.is_active_on(day),
    }


def lead_json(lead: Lead, today: date, rules: PipelineRules) -> dict:
    return {
        "id": lead.id,
        "company_name": lead.company_name,
        "uscc": lead.uscc,
        "company_id": lead.company_id,
        "stage": lead.stage,
        "stage_label": lead.stage_label,
        "version": lead.version,
        "owner": user_ref(lead.owner),
        "source": lead.source,
        "industry_group": lead.industry_group,
        "hq_type": lead.hq_type,
        "priority": lead.priority,
        "intended_area": number(lead.intended_area),
        "expected_annual_tax": number(lead.expected_annual_tax),
        "next_followup_on": iso(lead.next_followup_on),
        "last_followup_on": iso(lead.last_followup_on),
        "created_on": iso(lead.created_on),
        "signed_on": iso(lead.signed_on),
        "paused_until": iso(lead.paused_until),
        "lost_reason": lead.lost_reason,
        "target_buildings": [building_ref(b) for b in lead.target_buildings],
        "flags": lead_flags(lead, today, rules),
    }


def followup_json(followup: FollowUp) -> dict:
    return {
        "id": followup.id,
        "lead_id": followup.lead_id,
        "author": user_ref(followup.author),
        "on": iso(followup.on),
        "method": followup.method,
        "notes": followup.notes,
        "next_followup_on": iso(followup.next_followup_on),
        "created_at": moment(followup.created_at),
    }


def stage_change_json(change: LeadStageChange) -> dict:
    return {
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "note": change.note,
        "changed_at": moment(change.changed_at),
        "user": user_ref(change.user),
    }


def movein_json(request: MoveInRequest, units: list[Unit]) -> dict:
    return {
        "id": request.id,
        "status": request.status,
        "lead": ref(request.lead),
        "company": ref(request.company),
        "building": building_ref(request.building),
        "units": [unit_ref(u) for u in units],
        "start_date": iso(request.start_date),
        "end_date": iso(request.end_date),
        "lease_id": request.lease_id,
        "note": request.note,
        "requested_by": user_ref(request.requested_by),
        "decided_by": user_ref(request.decided_by),
        "created_at": moment(request.created_at),
        "decided_at": moment(request.decided_at),
    }
