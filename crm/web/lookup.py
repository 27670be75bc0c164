"""Finding the object a URL names, for pages and the API alike: missing is 404, not the user's is
403 (``ensure`` logs the refusal)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building
from crm.permissions import ensure

MAX_CODE = 16  # Building.code's length: a longer path segment names no building


def building_or_404(code: str, action: str = "buildings.view") -> Building:
    """The building whose code the path carries, when the user may do ``action`` on it."""
    building = None
    if len(code) <= MAX_CODE and code.isprintable():
        building = db.session.scalar(select(Building).where(Building.code == code))
    if building is None:
        abort(404)
    ensure(action, building)
    return building
