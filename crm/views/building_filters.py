"""The building list's filters (street, zone, tier, search): read from the query string, and
applied to rows of building figures — by the list page and by its export alike."""

from __future__ import annotations

from crm.models.choices import STREETS, TIERS, ZONES
from crm.services.bounds import QueryReader


def read_building_filters(args) -> QueryReader:
    """The list's filters (street, zone, tier, search); ``kept`` holds the valid ones."""
    query = QueryReader(args)
    query.choice("street", "街道", STREETS)
    query.choice("zone", "片区", [*ZONES, "none"])
    query.choice("tier", "税收层级", [*TIERS, "none"])
    query.text("q", "搜索")
    return query


def matches_filters(row, args) -> bool:
    b = row.building
    text = args.get("q", "").strip().lower()
    if args.get("street") and b.street != args["street"]:
        return False
    if args.get("zone") and (b.zone or "none") != args["zone"]:
        return False
    if args.get("tier") and (row.tier or "none") != args["tier"]:
        return False
    if text and text not in f"{b.code} {b.name} {b.address or ''} {b.positioning or ''}".lower():
        return False
    return True
