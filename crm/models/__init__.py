"""All models, imported here so that Alembic and the app see one complete metadata."""
from crm.models.building import Building, Unit
from crm.models.company import Company
from crm.models.lead import FollowUp, Lead, LeadStageChange, MoveInRequest, lead_target_buildings
from crm.models.lease import Lease, lease_units
from crm.models.setting import Setting
from crm.models.snapshot import OccupancySnapshot
from crm.models.tax import BuildingTaxMonth, TaxRecord
from crm.models.user import User, user_buildings

__all__ = [
    "Building", "Unit", "Company", "Lease", "lease_units", "Setting", "OccupancySnapshot",
    "BuildingTaxMonth", "TaxRecord", "User", "user_buildings",
    "FollowUp", "Lead", "LeadStageChange", "MoveInRequest", "lead_target_buildings",
]
