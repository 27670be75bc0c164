"""Who may do what, and which rows they see — the half of ``crm.permissions`` that needs no
request: the actions and their roles, ``Scope`` and ``scope_of``, ``may``. Services, imports
and the command line use this module; pages and the API use ``crm.permissions``, which adds the
route rules (``allow``, ``ensure``) on top and re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, inspect, select
from sqlalchemy.orm import object_session

from crm.extensions import db
from crm.models import (
    Building,
    Company,
    EarlyWarning,
    ImportBatch,
    Lead,
    Lease,
    LocalisationItem,
    MoveInRequest,
    OccupancySnapshot,
    TaxRecord,
    Unit,
    user_buildings,
)
from crm.cache.memo import remembered
from crm.services.companies import CompanyTies, tied_to_buildings


def _resolved(user):
    """The user behind Flask-Login's ``current_user`` proxy (which looks the user up again on
    every attribute), or ``user`` itself."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


READ_ROLES = {"admin", "leader", "promoter", "manager"}

# action -> roles allowed at all; object rules below narrow managers to their buildings.
ACTIONS: dict[str, set[str]] = {
    "dashboard.view": READ_ROLES,
    "buildings.view": READ_ROLES,
    "companies.view": READ_ROLES,
    "admin.users": {"admin"},
    # The investment-attraction pipeline: promoters work their own leads (LEAD_OWNER_ACTIONS),
    # read everyone's; an admin reassigns and merges; managers see move-in requests of their buildings.
    "leads.view": {"admin", "leader", "promoter"},
    "leads.create": {"admin", "promoter"},
    "leads.edit": {"admin", "promoter"},
    "leads.admin": {"admin"},
    "followups.view": {"admin", "leader", "promoter"},
    "movein.view": {"admin", "leader", "manager"},
    "movein.decide": {"admin", "manager"},
    "account.self": READ_ROLES,
    # Building managers' work: the object rule narrows managers to their buildings.
    "buildings.manage": {"admin", "manager"},
    "confirmations.confirm": {"admin", "manager"},
    # Who has confirmed which month: leadership reads it, an admin chases it; not a manager's
    # (it spans every building).
    "confirmations.status": {"admin", "leader"},
    "history.view": READ_ROLES,
    "expiries.view": READ_ROLES,
    # Tax and the 亿元楼 candidates. A building's tax tab is open to everyone who sees the
    # building (managers only theirs, by the object rule), as its tenants' tax already shows on the
    # building page; the district tax page spans every building, so not managers; the candidate
    # list and the reports page are leadership material; thresholds and basis are the admin's.
    "tax.building": READ_ROLES,
    "tax.district": {"admin", "leader", "promoter"},
    "reports.view": {"admin", "leader"},
    # The monthly briefing: leadership reads the archive; only an admin generates one.
    "briefings.view": {"admin", "leader"},
    "briefings.generate": {"admin"},
    "settings.admin": {"admin"},
    # Reminders: everyone reads their own notifications and sets their channels; the
    # jobs page (runs, failed deliveries, group-robot URLs) is the admin's.
    "notifications.view": READ_ROLES,
    "jobs.admin": {"admin"},
    # Imports and exports: the imports page is open to whoever may import some kind; each
    # kind is its own action ``imports.<kind>`` (crm/io/kinds). Managers import rows of their own
    # buildings only — the importer makes a row for another building an error — and companies
    # wholly theirs (``Scope.may_change_company``). An import batch is seen by the one who uploaded
    # it and by admins. Exports: ``EXPORT_PAGES`` below.
    "imports.use": {"admin", "manager", "promoter"},
    "imports.buildings": {"admin"},
    "imports.units": {"admin", "manager"},
    "imports.companies": {"admin", "manager"},
    "imports.leases": {"admin", "manager"},
    "imports.tax": {"admin"},
    "imports.leads": {"admin", "promoter"},
    "exports.download": READ_ROLES,
    # 属地化: everyone reads the lists (a manager those of their buildings, by the object rule);
    # promoters and managers work the targets, an admin any of them; leaders only read.
    "localisation.view": READ_ROLES,
    "localisation.work": {"admin", "promoter", "manager"},
    # Warnings (预警): everyone reads those of their scope (a manager, their buildings'); a manager
    # handles those of their buildings, a promoter those they own (WARNING_OWNER_ACTIONS), an
    # admin any; the thresholds are the admin's.
    "warnings.view": READ_ROLES,
    "warnings.handle": {"admin", "manager", "promoter"},
    # Building profiles (楼宇画像): everyone who sees a building reads its profile and its 对外招商版;
    # its manager (object rule) and admins edit it; the 内部版 (tax, tenants, leads) and the booklet
    # are for the roles that read the pipeline.
    "profiles.edit": {"admin", "manager"},
    "profiles.internal": {"admin", "leader", "promoter"},
}

# Each export kind lists the rows of a page: it is the page's action, so whoever the page refuses
# gets no file either (a manager, refused the leads list, downloads no leads). A kind missing
# here cannot be exported by anyone.
EXPORT_PAGES = {
    "buildings": "buildings.view",
    "units": "buildings.view",
    "companies": "companies.view",
    "leases": "buildings.view",
    "tax": "tax.building",
    "leads": "leads.view",
}
ACTIONS.update({f"exports.{kind}": ACTIONS[page] for kind, page in EXPORT_PAGES.items()})

PUBLIC = "public"


def managed_building_ids(user) -> set[int]:
    if "buildings" in inspect(user).dict:  # loaded, perhaps just changed, in this session
        return {b.id for b in user.buildings}
    # Only the ids: a manager's 70 buildings as objects cost a page more than the rest of its checks.
    session = object_session(user) or db.session
    return remembered(
        session,
        f"managed_building_ids:{user.id}",
        lambda: set(session.scalars(select(user_buildings.c.building_id).where(user_buildings.c.user_id == user.id))),
    )


# The column that puts a row of each model in a building.
_BUILDING_COLUMN = {
    Building: Building.id,
    Unit: Unit.building_id,
    Lease: Lease.building_id,
    OccupancySnapshot: OccupancySnapshot.building_id,
    MoveInRequest: MoveInRequest.building_id,
    TaxRecord: TaxRecord.building_id,
    LocalisationItem: LocalisationItem.building_id,
    EarlyWarning: EarlyWarning.building_id,
}


@dataclass(frozen=True)
class Scope:
    """The buildings one user reaches — what they see, and for buildings' records what they
    change — as one value every path filters by. ``building_ids`` None: every building."""

    building_ids: frozenset[int] | None = None

    @property
    def everywhere(self) -> bool:
        return self.building_ids is None

    def has_building(self, building_id: int | None) -> bool:
        return self.building_ids is None or building_id in self.building_ids

    def only_visible(self, buildings: Iterable[Building]) -> list[Building]:
        """The buildings of a list the user may see, in order (a company's, say)."""
        return [b for b in buildings if self.has_building(b.id)]

    def condition(self, model):
        """The SQL condition a row of ``model`` meets when the user may see it (None: any row)."""
        if self.building_ids is None:
            return None
        if model is Company:
            return tied_to_buildings(self.building_ids)
        return _BUILDING_COLUMN[model].in_(self.building_ids)

    def filter(self, stmt, model):
        """``stmt`` (a select of ``model``) narrowed to the rows the user may see."""
        condition = self.condition(model)
        return stmt if condition is None else stmt.where(condition)

    def sees(self, obj) -> bool:
        """Whether the user may see ``obj``; a kind of object without a rule is refused to a
        limited scope."""
        if self.building_ids is None or obj is None:
            return True
        if isinstance(obj, Company):
            session = object_session(obj) or db.session
            return bool(session.scalar(select(exists().where(Company.id == obj.id, self.condition(Company)))))
        column = _BUILDING_COLUMN.get(type(obj))
        return column is not None and getattr(obj, column.key) in self.building_ids

    def may_change_company(self, now: CompanyTies | None, registered_after: int | None) -> bool:
        """Whether the user may create (``now`` None) or change a company so that it ends up
        registered in ``registered_after`` (None: outside the district).

        A company is a manager's when every building it is tied to (``CompanyTies``) is theirs
        and there is at least one. They may change it only when it is theirs before the change
        and still theirs after it; they may create one only registered in one of their buildings.
        """
        if self.building_ids is None:
            return True
        after = (now or CompanyTies(None, frozenset())).with_registration(registered_after)
        return all(ties.buildings and ties.buildings <= self.building_ids for ties in filter(None, (now, after)))


EVERYWHERE = Scope()


def scope_of(user) -> Scope:
    """The user's scope: a manager's buildings; every building for everyone else and for the
    command line (``user`` None)."""
    user = _resolved(user)
    if user is None or getattr(user, "role", None) != "manager":
        return EVERYWHERE
    return Scope(frozenset(managed_building_ids(user)))


def visible_building_ids(user) -> frozenset[int] | None:
    """Buildings whose figures the user may see; None means all of them."""
    return scope_of(user).building_ids


LEAD_OWNER_ACTIONS = {"leads.edit"}
WARNING_OWNER_ACTIONS = {"warnings.handle"}


def _owns_lead(user, action: str, obj) -> bool:
    """A promoter changes only their own leads; everyone else allowed the action changes any."""
    if action not in LEAD_OWNER_ACTIONS or not isinstance(obj, Lead) or user.role != "promoter":
        return True
    return obj.owner_id == user.id


def _owns_warning(user, action: str, obj) -> bool:
    """A promoter handles only the warnings they own (their portfolio's companies)."""
    if action not in WARNING_OWNER_ACTIONS or not isinstance(obj, EarlyWarning) or user.role != "promoter":
        return True
    return obj.owner_id == user.id


def may(user, action: str, obj=None) -> bool:
    user = _resolved(user)  # asked for each of hundreds of cards: resolve a proxy once
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role not in ACTIONS[action]:
        return False
    if isinstance(obj, ImportBatch):
        return user.role == "admin" or obj.user_id == user.id
    if not _owns_lead(user, action, obj) or not _owns_warning(user, action, obj):
        return False
    return obj is None or scope_of(user).sees(obj)
