"""Exports: every list as .xlsx or .csv, filtered as on screen and limited to what the user sees:
a kind is refused to whoever its page refuses (``exports.<kind>``), and its rows are those of the
user's scope (``crm.permissions.Scope``)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, request, send_file
from flask_login import current_user

from crm.extensions import db
from crm.io import exports
from crm.io.kinds import get_kind
from crm.permissions import ACTIONS, allow, ensure, scope_of
from crm.services.errors import DomainError
from crm.views.building_filters import matches_filters
from crm.web.params import today
from crm.web.lookup import building_or_404

bp = Blueprint("exports", __name__)

# Page-specific filters an export applies after the kind's own (the buildings list filters in Python).
KEEP = {"buildings": matches_filters}


@bp.route("/exports/<kind_name>")
@allow("exports.download")
def download(kind_name):
    try:
        kind = get_kind(kind_name)
    except DomainError:
        abort(404)
    action = f"exports.{kind.name}"
    if action not in ACTIONS:
        abort(403)  # a kind that no page lists is exported to nobody
    ensure(action)
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(400)
    args = request.args.to_dict()
    suffix = ""
    if args.get("building"):
        building = building_or_404(args["building"])
        suffix = f"-{building.code}"
    try:
        items = kind.export_items(db.session, scope_of(current_user), args, today(), KEEP.get(kind.name))
    except DomainError as error:
        abort(400, error.message)
    data = exports.export(kind, items, fmt)
    return send_file(
        io.BytesIO(data),
        mimetype=exports.FORMATS[fmt],
        as_attachment=True,
        download_name=exports.filename(kind, fmt, today(), suffix),
    )
