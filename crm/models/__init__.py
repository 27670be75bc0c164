"""All models, imported here so that Alembic and the app see one complete metadata."""

from crm.models.briefing import Briefing
from crm.models.building import Building, Unit, UnitSelfUse
from crm.models.company import Company
from crm.models.correction import Correction, CorrectionItem
from crm.models.history import ChangeLog
from crm.models.imports import ImportBatch, ImportChange
from crm.models.lead import FollowUp, Lead, LeadStageChange, MoveInRequest, UnitReservation, lead_target_buildings
from crm.models.lease import Lease, lease_units
from crm.models.localisation import CompanyFlagPeriod, LocalisationFollowUp, LocalisationItem
from crm.models.profile import BuildingPhoto, BuildingProfile
from crm.models.proposal import SpaceProposal
from crm.models.notification import ChannelSetting, Delivery, JobRun, Notification, Reminder, RoleWebhook
from crm.models.security import ApiToken, LoginAttempt
from crm.models.setting import Setting
from crm.models.snapshot import OccupancySnapshot
from crm.models.tax import BuildingTaxMonth, TaxRecord
from crm.models.user import User, user_buildings
from crm.models.version import DataVersion, LeadChange
from crm.models.warning import EarlyWarning, EarlyWarningNote

__all__ = [
    "Building",
    "Unit",
    "UnitSelfUse",
    "Company",
    "Correction",
    "CorrectionItem",
    "Lease",
    "lease_units",
    "Setting",
    "OccupancySnapshot",
    "BuildingTaxMonth",
    "TaxRecord",
    "User",
    "user_buildings",
    "ChangeLog",
    "ImportBatch",
    "ImportChange",
    "ApiToken",
    "LoginAttempt",
    "FollowUp",
    "Lead",
    "LeadStageChange",
    "MoveInRequest",
    "lead_target_buildings",
    "UnitReservation",
    "ChannelSetting",
    "Delivery",
    "JobRun",
    "Notification",
    "Reminder",
    "RoleWebhook",
    "Briefing",
    "BuildingPhoto",
    "BuildingProfile",
    "SpaceProposal",
    "DataVersion",
    "LeadChange",
    "CompanyFlagPeriod",
    "LocalisationItem",
    "LocalisationFollowUp",
    "EarlyWarning",
    "EarlyWarningNote",
]
