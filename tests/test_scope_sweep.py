"""The scope sweep: every export kind, every import kind and every read of the JSON API, as every
role (and a manager of another street), reveals or changes exactly the rows that the pages show
or allow that role — on the two-street world of tests/scope_world.py, where each expectation
below can be checked by hand.

How it holds together:
- ``SEES[family][actor]`` is what an actor may see of a family of rows (buildings, units, ...);
  ``test_pages_show_what_the_table_says`` checks it against the pages themselves, so the table
  is "what the page shows", not an opinion.
- Every export kind, every API read and every import kind is read or previewed as every actor and
  compared with that table (``CHANGES`` for imports; where a page allows the same change — a
  unit's edit page, a lease's renewal, a lead's edit form — the table is checked against it too).
- The kinds come from the import/export registry and the API reads from ``app.url_map``: a new
  kind or a new API read that is not in the tables below fails ``test_every_*_is_swept``.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest

from crm.io.kinds import all_kinds
from crm.models import ImportBatch
from tests import scope_world
from tests.scope_world import ACTORS, csv_rows
from tests.test_authz_matrix import sign_in_as

FORBIDDEN = "refused"  # the path answers 403 (or, for an import, refuses the kind)


def by_actor(everyone, manager, other_manager, **others) -> dict:
    """An expectation per actor: ``everyone`` for admin, leader and promoter unless ``others`` says."""
    table = {actor: everyone for actor in scope_world.EVERYONE} | {"manager": manager, "other_manager": other_manager}
    return table | others


def in_buildings(keys, codes) -> set:
    """The units ("A1 5F-01": building first) or leases ("甲租户@A1": building last) of ``codes``."""
    return {key for key in keys if (key.split("@")[1] if "@" in key else key.split(" ")[0]) in codes}


ALL_UNITS = {"A1 5F-01", "A1 5F-02", "A2 3F-01", "B1 2F-01", "B1 2F-02", "B1 2F-03"}
ALL_LEASES = {"甲租户@A1", "乙租户@B1", "共享@A2", "共享@B1", "前租户@B1"}
ALL_COMPANIES = {"甲租户", "乙租户", "共享", "注册", "前租户", "区外"}
# Tax records: (company, period) -> (building attributed to, yuan)
TAX = {
    ("甲租户", "2026-09"): ("A1", 1_000_000),
    ("乙租户", "2026-09"): ("B1", 2_000_000),
    ("共享", "2026-08"): ("A2", 3_000_000),
    ("共享", "2026-09"): ("B1", 4_000_000),
    ("注册", "2026-10"): ("A1", 500_000),
    ("区外", "2026-09"): (None, 600_000),
}
MINE, THEIRS = {"A1", "A2"}, {"B1"}


def tax_in(codes) -> set:
    return {key for key, (code, _) in TAX.items() if codes is None or code in codes}


def tenants_tax(codes) -> set:
    """(company, building) for each building's tax tab: its tenants by the tax attributed to it."""
    return {(company, code) for (company, _), (code, _) in TAX.items() if code and (codes is None or code in codes)}


def building_tax(codes) -> set:
    sums = defaultdict(int)
    for code, amount in TAX.values():
        if code and (codes is None or code in codes):
            sums[code] += amount
    return set(sums.items())


SEES = {
    "buildings": by_actor({"A1", "A2", "B1"}, MINE, THEIRS),
    "units": by_actor(ALL_UNITS, in_buildings(ALL_UNITS, MINE), in_buildings(ALL_UNITS, THEIRS)),
    # A manager sees a company that leases (or leased) in their buildings or is registered there.
    "companies": by_actor(ALL_COMPANIES, {"甲租户", "共享", "注册"}, {"乙租户", "共享", "前租户"}),
    # ... and of its current leases, those in their buildings.
    "company_buildings": by_actor(
        {("甲租户", ("A1",)), ("乙租户", ("B1",)), ("共享", ("A2", "B1")), ("注册", ()), ("前租户", ()), ("区外", ())},
        {("甲租户", ("A1",)), ("共享", ("A2",)), ("注册", ())},
        {("乙租户", ("B1",)), ("共享", ("B1",)), ("前租户", ())},
    ),
    "leases": by_actor(ALL_LEASES, in_buildings(ALL_LEASES, MINE), in_buildings(ALL_LEASES, THEIRS)),
    # A tax record belongs to the building it is attributed to; an unattributed one to no manager.
    "tax": by_actor(tax_in(None), tax_in(MINE), tax_in(THEIRS)),
    "building_tenants_tax": by_actor(tenants_tax(None), tenants_tax(MINE), tenants_tax(THEIRS)),
    "building_tax": by_actor(building_tax(None), building_tax(MINE), building_tax(THEIRS)),
    "summary": by_actor(
        {("buildings", 3), ("tax_ytd", 10_500_000)},
        {("buildings", 2), ("tax_ytd", 4_500_000)},
        {("buildings", 1), ("tax_ytd", 6_000_000)},
    ),
    "district_tax": by_actor({"全区"}, FORBIDDEN, FORBIDDEN),
    "candidates": by_actor({"全区"}, FORBIDDEN, FORBIDDEN, promoter=FORBIDDEN),
    # The pipeline is not a building's: managers read none of it.
    "leads": by_actor({"蓝港", "华信"}, FORBIDDEN, FORBIDDEN),
    "followups": by_actor({"蓝港 2026-11-02"}, FORBIDDEN, FORBIDDEN),
    "work": by_actor({"蓝港", "华信"}, FORBIDDEN, FORBIDDEN, promoter={"蓝港"}),
    "movein": by_actor({"落地A1", "落地B1"}, {"落地A1"}, {"落地B1"}, promoter=FORBIDDEN),
    # A building's unit list reads as its plan does: every building's for the readers of all of them.
    "unit_lists": by_actor(ALL_UNITS, in_buildings(ALL_UNITS, MINE), in_buildings(ALL_UNITS, THEIRS)),
    # Who has confirmed which month spans every building: leadership and the admin.
    "confirmation_status": by_actor({"A1", "A2", "B1"}, FORBIDDEN, FORBIDDEN, promoter=FORBIDDEN),
    # 属地化, 注册不入驻: 注册 is registered in A1 and leases nothing; a manager sees a target by its
    # building (the registered one here). No tenant of the world is unregistered on the day.
    "localisation": by_actor({"注册"}, {"注册"}, set()),
    "localisation_unregistered": by_actor(set(), set(), set()),
    # A warning belongs to its building (a company's, to the company's building); one of no
    # building to no manager.
    "warnings": by_actor({"W-A1", "W-B1", "W-共享", "W-区外"}, {"W-A1", "W-共享"}, {"W-B1"}),
}

# What each import changes (a row planned without error), by the key of its row in the file.
NEW_UNITS = {"A1 6F-01", "B1 3F-01"}
NEW_LEASES = {"区外@A1", "区外@B1"}
CHANGES = {
    "buildings": by_actor(FORBIDDEN, FORBIDDEN, FORBIDDEN, admin={"A1", "A2", "B1", "C1"}),
    "units": by_actor(
        FORBIDDEN,
        in_buildings(ALL_UNITS | NEW_UNITS, MINE),
        in_buildings(ALL_UNITS | NEW_UNITS, THEIRS),
        admin=ALL_UNITS | NEW_UNITS,
    ),
    # A manager changes a company only when every building it is tied to — its registration and
    # the leases it has not moved out of — is theirs, before and after the row; a new company
    # only when registered in their building (crm/io/kinds/companies.py).
    "companies": by_actor(
        FORBIDDEN,
        {"甲租户", "注册", "新企业@A1"},
        {"乙租户", "新企业@B1"},
        admin=ALL_COMPANIES | {"新企业@A1", "新企业@B1"},
    ),
    "leases": by_actor(
        FORBIDDEN,
        in_buildings(ALL_LEASES | NEW_LEASES, MINE),
        in_buildings(ALL_LEASES | NEW_LEASES, THEIRS),
        admin=ALL_LEASES | NEW_LEASES,
    ),
    "tax": by_actor(FORBIDDEN, FORBIDDEN, FORBIDDEN, admin=tax_in(None) | {("甲租户", "2026-10")}),
    "leads": by_actor(FORBIDDEN, FORBIDDEN, FORBIDDEN, admin={"蓝港", "华信", "新项目"}, promoter={"蓝港", "新项目"}),
}


# ------------------------------------------------------------------------------------------
# the world, its names, and requests as each actor


class Sweep:
    """The world with lookups from what a page or file shows back to the names used above."""

    def __init__(self, app, session, world):
        self.app, self.session, self.world = app, session, world
        self.clients = {}
        self.building_codes = {b.name: code for code, b in world["buildings"].items()}
        self.companies = {c.id: key for key, c in world["companies"].items()}
        self.company_by_uscc = {c.uscc: key for key, c in world["companies"].items()}
        self.leases = {lease.id: key for key, lease in world["leases"].items()}
        self.leads = {lead.id: key for key, lead in world["leads"].items()}
        self.requests = {r.id: key for key, r in world["requests"].items()}
        self.warnings = {w.id: key for key, w in world["warnings"].items()}

    def client(self, actor):
        if actor not in self.clients:
            self.clients[actor] = self.app.test_client()
            sign_in_as(self.clients[actor], self.world["users"][actor])
        return self.clients[actor]

    def get(self, actor, path):
        return self.client(actor).get(path)

    def html(self, actor, path):
        response = self.get(actor, path)
        return None if response.status_code == 403 else response.get_data(as_text=True)

    def json(self, actor, path):
        response = self.get(actor, path)
        if response.status_code == 403:
            return None
        assert response.status_code == 200, (actor, path, response.get_data(as_text=True)[:300])
        return response.get_json()


@pytest.fixture()
def sweep(app, session):
    return Sweep(app, session, scope_world.build(session))


# ------------------------------------------------------------------------------------------
# what the pages show


def links(html, prefix) -> list[str]:
    return re.findall(rf'href="{re.escape(prefix)}([^"?/#]+)"', html)


def ids(html, prefix) -> set[int]:
    return {int(i) for i in re.findall(rf'href="{re.escape(prefix)}(\d+)"', html)}


def table_rows(html, testid) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]  # the header row aside


def month_of(label: str) -> str:
    year, month = re.fullmatch(r"(\d{4})年(\d{1,2})月", label.strip()).groups()
    return f"{year}-{int(month):02d}"


def page_buildings(sweep, actor):
    return set(links(sweep.html(actor, "/buildings"), "/buildings/"))


def page_units(sweep, actor):
    units = set()
    for code in sweep.world["buildings"]:
        html = sweep.html(actor, f"/buildings/{code}")
        for floor, buttons in re.findall(r'class="sp-label">(-?\d+)F</div>(.*?)</div>', html or "", re.S):
            units |= {f"{code} {floor}F-{number}" for number in re.findall(r">([^<>\s]+)</button>", buttons)}
    return units


def page_companies(sweep, actor):
    return {sweep.companies[i] for i in ids(sweep.html(actor, "/companies"), "/companies/")}


def page_company_buildings(sweep, actor):
    rows = table_rows(sweep.html(actor, "/companies"), "companies-table")
    return {(sweep.companies[ids(row, "/companies/").pop()], tuple(links(row, "/buildings/"))) for row in rows}


def company_pages(sweep, actor):
    for company_id, key in sweep.companies.items():
        html = sweep.html(actor, f"/companies/{company_id}")
        if html is not None:
            yield key, html


def page_leases(sweep, actor):
    found = set()
    for key, html in company_pages(sweep, actor):
        lease_table = html.split('<h2 class="h6">租约</h2>', 1)[1].split("</table>", 1)[0]
        found |= {f"{key}@{code}" for code in links(lease_table, "/buildings/")}
    return found


def page_tax(sweep, actor):
    found = set()
    for key, html in company_pages(sweep, actor):
        if 'data-testid="company-tax"' in html:
            found |= {
                (key, month_of(re.search(r"<td>([^<]+)</td>", row).group(1))) for row in table_rows(html, "company-tax")
            }
    return found


def page_leads(sweep, actor):
    html = sweep.html(actor, "/leads")
    return FORBIDDEN if html is None else {sweep.leads[i] for i in ids(html, "/leads/")}


def page_followups(sweep, actor):
    found = set()
    for lead_id, key in sweep.leads.items():
        html = sweep.html(actor, f"/leads/{lead_id}")
        if html is None:
            return FORBIDDEN
        found |= {f"{key} 2026-11-02" for _ in re.findall("约了下周看房", html)}
    return found


def page_work(sweep, actor):
    html = sweep.html(actor, "/followups")
    return FORBIDDEN if html is None else {sweep.leads[i] for i in ids(html, "/leads/")}


def page_movein(sweep, actor):
    html = sweep.html(actor, "/movein-requests?status=all")
    if html is None:
        return FORBIDDEN
    names = [re.findall(r"<td>([^<]+)</td>", row)[0] for row in table_rows(html, "movein-table")]
    return {f"落地{sweep.building_codes[name]}" for name in names}


def page_unit_lists(sweep, actor):
    units = set()
    for code in sweep.world["buildings"]:
        html = sweep.html(actor, f"/buildings/{code}/units")
        if html is not None:
            units |= {
                f"{code} {floor}F-{number}"
                for floor, number in re.findall(r"<strong class=\"text-nowrap\">(-?\d+)F-([^<]+)</strong>", html)
            }
    return units


def page_confirmation_status(sweep, actor):
    html = sweep.html(actor, "/confirmations/status")
    return FORBIDDEN if html is None else set(re.findall(r'data-building="([^"]+)"', html))


def page_localisation(kind):
    def read(sweep, actor):
        html = sweep.html(actor, f"/localisation?type={kind}")
        return FORBIDDEN if html is None else {sweep.companies[i] for i in ids(html, "/companies/")}

    return read


def page_warnings(sweep, actor):
    html = sweep.html(actor, "/warnings")
    return FORBIDDEN if html is None else {sweep.warnings[i] for i in ids(html, "/warnings/")}


def page_opens(path):
    return lambda sweep, actor: FORBIDDEN if sweep.html(actor, path) is None else {"全区"}


# Families whose rows no page lists one by one (sums over the rows above) are checked against
# the table alone: building_tenants_tax, building_tax, summary.
PAGES = {
    "buildings": page_buildings,
    "units": page_units,
    "companies": page_companies,
    "company_buildings": page_company_buildings,
    "leases": page_leases,
    "tax": page_tax,
    "leads": page_leads,
    "followups": page_followups,
    "work": page_work,
    "movein": page_movein,
    "warnings": page_warnings,
    "district_tax": page_opens("/tax"),
    "candidates": page_opens("/reports"),
    "unit_lists": page_unit_lists,
    "confirmation_status": page_confirmation_status,
    "localisation": page_localisation("registered_not_occupying"),
    "localisation_unregistered": page_localisation("occupying_unregistered"),
}


def test_pages_show_what_the_table_says(sweep):
    got = {family: {actor: read(sweep, actor) for actor in ACTORS} for family, read in PAGES.items()}
    assert got == {family: {actor: SEES[family][actor] for actor in ACTORS} for family in PAGES}


# ------------------------------------------------------------------------------------------
# exports: the file of each kind holds the rows the page shows


def export_of(kind, rows_of):
    def read(sweep, actor):
        response = sweep.get(actor, f"/exports/{kind}?format=csv")
        if response.status_code == 403:
            return FORBIDDEN
        assert response.status_code == 200
        return rows_of(sweep, csv_rows(response))

    return read


def unit_key(code, floor, number) -> str:
    return f"{code} {floor}F-{number}"


EXPORTS = {
    "buildings": (("buildings",), export_of("buildings", lambda s, rows: {"buildings": {r["楼宇编码"] for r in rows}})),
    "units": (
        ("units",),
        export_of("units", lambda s, rows: {"units": {unit_key(r["楼宇编码"], r["楼层"], r["单元号"]) for r in rows}}),
    ),
    "companies": (
        ("companies", "company_buildings"),
        export_of(
            "companies",
            lambda s, rows: {
                "companies": {s.company_by_uscc[r["统一社会信用代码"]] for r in rows},
                "company_buildings": {
                    (s.company_by_uscc[r["统一社会信用代码"]], tuple(filter(None, r["所在楼宇"].split("、"))))
                    for r in rows
                },
            },
        ),
    ),
    "leases": (
        ("leases",),
        export_of(
            "leases",
            lambda s, rows: {"leases": {f"{s.company_by_uscc[r['统一社会信用代码']]}@{r['楼宇编码']}" for r in rows}},
        ),
    ),
    "tax": (
        ("tax",),
        export_of(
            "tax", lambda s, rows: {"tax": {(s.company_by_uscc[r["统一社会信用代码"]], r["所属期"]) for r in rows}}
        ),
    ),
    "leads": (("leads",), export_of("leads", lambda s, rows: {"leads": {s.leads[int(r["项目编号"])] for r in rows}})),
}


def expected(families, actor) -> dict | str:
    first = SEES[families[0]][actor]
    return FORBIDDEN if first == FORBIDDEN else {family: SEES[family][actor] for family in families}


def test_every_export_kind_is_swept():
    assert {kind.name for kind in all_kinds()} == set(EXPORTS)


def test_the_localisation_export_holds_the_rows_its_page_shows(sweep):
    got = {}
    for actor in ACTORS:
        response = sweep.get(actor, "/localisation/export?type=registered_not_occupying&format=csv")
        assert response.status_code == 200
        got[actor] = {sweep.company_by_uscc[r["统一社会信用代码"]] for r in csv_rows(response)}
    assert got == {actor: SEES["localisation"][actor] for actor in ACTORS}


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_an_export_holds_the_rows_its_page_shows(sweep, kind):
    families, read = EXPORTS[kind]
    got = {actor: read(sweep, actor) for actor in ACTORS}
    assert got == {actor: expected(families, actor) for actor in ACTORS}


# ------------------------------------------------------------------------------------------
# the JSON API: every read answers the rows the page shows


def api_list(path, family, key):
    def read(sweep, actor):
        body = sweep.json(actor, path)
        return FORBIDDEN if body is None else {family: {key(sweep, item) for item in body["items"]}}

    return read


def api_each(paths_of, rows_of):
    """A read of one object per path, for each object of the world: FORBIDDEN when every one is
    refused, else the union of the rows of those answered, with ``"answered"`` the objects that were."""

    def read(sweep, actor):
        found, answered = defaultdict(set), set()
        for name, path in paths_of(sweep):
            body = sweep.json(actor, path)
            if body is not None:
                answered.add(name)
                for family, rows in rows_of(sweep, body).items():
                    found[family] |= rows
        return FORBIDDEN if not answered else dict(found, answered=answered)

    return read


def per_building(path):
    return lambda sweep: [(code, path.format(code=code)) for code in sweep.world["buildings"]]


def api_buildings(sweep, actor):
    return {"buildings": {b["code"] for b in sweep.json(actor, "/api/v1/buildings")}}


def api_companies(sweep, actor):
    items = sweep.json(actor, "/api/v1/companies?per_page=200")["items"]
    return {
        "companies": {sweep.companies[c["id"]] for c in items},
        "company_buildings": {(sweep.companies[c["id"]], tuple(b["code"] for b in c["buildings"])) for c in items},
    }


def api_company(sweep, body) -> dict:
    key = sweep.companies[body["id"]]
    return {
        "leases": {f"{key}@{lease['building']['code']}" for lease in body["leases"]},
        "tax": {(key, t["month"]) for t in body["tax"]},
        "company_buildings": {(key, tuple(b["code"] for b in body["buildings"]))},
    }


def api_tax_buildings(sweep, actor):
    body = sweep.json(actor, "/api/v1/tax/buildings")
    rows = body["buildings"]
    return {
        "buildings": {b["code"] for b in rows},
        "building_tax": {(b["code"], int(Decimal(str(b["total_tax"])))) for b in rows if b["total_tax"]},
    }


def api_summary(sweep, actor):
    body = sweep.json(actor, "/api/v1/summary")
    return {"summary": {("buildings", body["buildings"]), ("tax_ytd", int(Decimal(str(body["tax_ytd"]))))}}


def api_opens(path, family):
    """A district-wide read: the whole district, or refused."""
    return lambda sweep, actor: FORBIDDEN if sweep.json(actor, path) is None else {family: {"全区"}}


def api_work(sweep, actor):
    body = sweep.json(actor, "/api/v1/followups")
    if body is None:
        return FORBIDDEN
    return {
        "work": {
            sweep.leads[item["id"]] for group in ("due_today", "overdue", "never", "upcoming") for item in body[group]
        }
    }


# rule -> (families it reveals — the first decides whether the actor is refused — , reader)
API_READS = {
    "/api/v1/buildings": (("buildings",), api_buildings),
    "/api/v1/buildings/<code>": (
        ("buildings", "units"),
        api_each(
            per_building("/api/v1/buildings/{code}"),
            lambda s, body: {"units": {unit_key(body["code"], u["floor"], u["number"]) for u in body["units"]}},
        ),
    ),
    "/api/v1/buildings/<code>/units": (
        ("buildings", "units"),
        api_each(
            per_building("/api/v1/buildings/{code}/units"),
            lambda s, body: {"units": {f"{body['building']['code']} {u['label']}" for u in body["items"]}},
        ),
    ),
    "/api/v1/buildings/<code>/tax": (
        ("buildings", "building_tenants_tax"),
        api_each(
            per_building("/api/v1/buildings/{code}/tax"),
            lambda s, body: {
                "building_tenants_tax": {
                    (s.companies[t["company"]["id"]], body["building"]["code"]) for t in body["tenants"]
                }
            },
        ),
    ),
    "/api/v1/companies": (("companies", "company_buildings"), api_companies),
    "/api/v1/companies/<int:company_id>": (
        ("companies", "leases", "tax", "company_buildings"),
        api_each(lambda s: [(key, f"/api/v1/companies/{i}") for i, key in s.companies.items()], api_company),
    ),
    "/api/v1/leases": (
        ("leases",),
        api_list("/api/v1/leases?per_page=200", "leases", lambda s, lease: s.leases[lease["id"]]),
    ),
    "/api/v1/tax/buildings": (("buildings", "building_tax"), api_tax_buildings),
    "/api/v1/tax/district": (("district_tax",), api_opens("/api/v1/tax/district", "district_tax")),
    "/api/v1/reports/candidates": (("candidates",), api_opens("/api/v1/reports/candidates?year=2026", "candidates")),
    "/api/v1/summary": (("summary",), api_summary),
    "/api/v1/leads": (("leads",), api_list("/api/v1/leads?per_page=200", "leads", lambda s, lead: s.leads[lead["id"]])),
    "/api/v1/leads/<int:lead_id>": (
        ("leads",),
        api_each(lambda s: [(key, f"/api/v1/leads/{i}") for i, key in s.leads.items()], lambda s, body: {}),
    ),
    "/api/v1/leads/<int:lead_id>/followups": (
        ("leads", "followups"),
        api_each(
            lambda s: [(key, f"/api/v1/leads/{i}/followups") for i, key in s.leads.items()],
            lambda s, body: {"followups": {f"{s.leads[int(f['lead_id'])]} {f['on']}" for f in body["items"]}},
        ),
    ),
    "/api/v1/followups": (("work",), api_work),
    "/api/v1/movein-requests": (
        ("movein",),
        api_list("/api/v1/movein-requests?status=all", "movein", lambda s, r: s.requests[r["id"]]),
    ),
    "/api/v1/localisation": (
        ("localisation", "localisation_unregistered"),
        lambda sweep, actor: {
            **api_list(
                "/api/v1/localisation?type=registered_not_occupying",
                "localisation",
                lambda s, t: s.companies[t["company"]["id"]],
            )(sweep, actor),
            **api_list(
                "/api/v1/localisation?type=occupying_unregistered",
                "localisation_unregistered",
                lambda s, t: s.companies[t["company"]["id"]],
            )(sweep, actor),
        },
    ),
    "/api/v1/warnings": (
        ("warnings",),
        api_list("/api/v1/warnings?per_page=200", "warnings", lambda s, w: s.warnings[w["id"]]),
    ),
}
# Reads that reveal no rows of the world.
NOT_ROWS = {"/api/v1/openapi.json": "the description of the API itself"}


def test_every_api_read_is_swept(app):
    reads = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and "GET" in rule.methods}
    assert reads == set(API_READS) | set(NOT_ROWS)


@pytest.mark.parametrize("rule", sorted(API_READS))
def test_an_api_read_reveals_the_rows_its_page_shows(sweep, rule):
    families, read = API_READS[rule]
    got = {}
    for actor in ACTORS:
        body = read(sweep, actor)
        if isinstance(body, dict) and "answered" in body:  # one object per path: the objects are the first family
            answered = body.pop("answered")
            body.setdefault(families[0], set())
            body[families[0]] |= answered
        got[actor] = body if body == FORBIDDEN else {family: body.get(family, set()) for family in families}
    assert got == {actor: expected(families, actor) for actor in ACTORS}


# ------------------------------------------------------------------------------------------
# imports: a file naming every record of its kind (and new ones) changes what the actor may change


def buildings_file(sweep):
    rows = [(code, (code, b.name, b.street, "100000", "20")) for code, b in sweep.world["buildings"].items()]
    return ("楼宇编码", "楼宇名称", "街道", "可租面积", "楼层数"), rows + [
        ("C1", ("C1", "丙大厦", "日新", "50000", "10"))
    ]


def units_file(sweep):
    rows = [(key, (u.building.code, str(u.floor), u.number, str(u.area))) for key, u in sweep.world["units"].items()]
    new = [("A1 6F-01", ("A1", "6", "01", "50")), ("B1 3F-01", ("B1", "3", "01", "60"))]
    return ("楼宇编码", "楼层", "单元号", "面积"), rows + new


def companies_file(sweep):
    from tests.factories import make_uscc

    rows = [
        (key, (c.uscc, c.name, c.registered_building.code if c.registered_building else ""))
        for key, c in sweep.world["companies"].items()
    ]
    new = [
        ("新企业@A1", (make_uscc(), "新企业甲有限公司", "A1")),
        ("新企业@B1", (make_uscc(), "新企业乙有限公司", "B1")),
    ]
    return ("统一社会信用代码", "企业名称", "注册楼宇编码"), rows + new


def leases_file(sweep):
    def row(lease):
        units = "、".join(f"{u.floor}F-{u.number}" for u in lease.units)
        return (
            lease.company.uscc,
            lease.building.code,
            units,
            str(lease.start_date),
            str(lease.end_date or ""),
            str(lease.moved_out_on or ""),
        )

    outsider = sweep.world["companies"]["区外"].uscc
    new = [
        ("区外@A1", (outsider, "A1", "5F-02", "2026-12-01", "2027-11-30", "")),
        ("区外@B1", (outsider, "B1", "2F-03", "2026-12-01", "2027-11-30", "")),
    ]
    return (
        ("统一社会信用代码", "楼宇编码", "单元", "开始日期", "结束日期", "退租日期"),
        [(key, row(lease)) for key, lease in sweep.world["leases"].items()] + new,
    )


def tax_file(sweep):
    companies = sweep.world["companies"]
    rows = [
        ((company, period), (companies[company].uscc, period, str(amount)))
        for (company, period), (_, amount) in TAX.items()
    ]
    new = [(("甲租户", "2026-10"), (companies["甲租户"].uscc, "2026-10", "700000"))]
    return ("统一社会信用代码", "所属期", "全口径税收"), rows + new


def leads_file(sweep):
    rows = [
        (key, (str(lead.id), lead.company_name, "以商招商", lead.owner.username))
        for key, lead in sweep.world["leads"].items()
    ]
    return ("项目编号", "企业名称", "来源", "负责人账号"), rows + [
        ("新项目", ("", "新项目科技有限公司", "以商招商", "promoter"))
    ]


IMPORT_FILES = {
    "buildings": buildings_file,
    "units": units_file,
    "companies": companies_file,
    "leases": leases_file,
    "tax": tax_file,
    "leads": leads_file,
}


def preview(sweep, actor, kind, header, rows) -> set | str:
    """Upload the file on /imports as ``actor``: the keys of the rows planned without an error."""
    text = "\n".join(",".join(cells) for cells in [header, *(cells for _, cells in rows)]) + "\n"
    response = sweep.client(actor).post(
        "/imports",
        data={"kind": kind, "file": (io.BytesIO(text.encode("utf-8")), f"{kind}.csv")},
        content_type="multipart/form-data",
    )
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 400:
        assert "您没有导入" in response.get_data(as_text=True)
        return FORBIDDEN
    batch = sweep.session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))
    refused = {row for row, *_ in batch.report["errors"]}
    return {key for number, (key, _) in enumerate(rows, start=2) if number not in refused}


def test_every_import_kind_is_swept():
    assert {kind.name for kind in all_kinds()} == set(IMPORT_FILES) == set(CHANGES)


@pytest.mark.parametrize("kind", sorted(IMPORT_FILES))
def test_an_import_changes_what_the_actor_may_change(sweep, kind):
    header, rows = IMPORT_FILES[kind](sweep)
    got = {actor: preview(sweep, actor, kind, header, rows) for actor in ACTORS}
    assert got == {actor: CHANGES[kind][actor] for actor in ACTORS}
    for actor in ACTORS:  # a kind the actor may not import is not offered to them either
        page = sweep.html(actor, "/imports")
        if page is not None:
            assert (f'<option value="{kind}"' in page) == (CHANGES[kind][actor] != FORBIDDEN), actor


# Where a page changes the same records: a unit's edit page and the new-unit form, a lease's
# renewal and the move-in form, a lead's edit form and the new-lead form.
def allowed_by_pages(paths_of):
    def read(sweep, actor):
        return {key for key, path in paths_of(sweep) if sweep.get(actor, path).status_code == 200}

    return read


PAGE_CHANGES = {
    "units": allowed_by_pages(
        lambda s: (
            [(key, f"/buildings/{u.building.code}/units/{u.id}") for key, u in s.world["units"].items()]
            + [("A1 6F-01", "/buildings/A1/units/new"), ("B1 3F-01", "/buildings/B1/units/new")]
        )
    ),
    "leases": allowed_by_pages(
        lambda s: (
            [
                (key, f"/buildings/{lease.building.code}/leases/{lease.id}/renew")
                for key, lease in s.world["leases"].items()
            ]
            + [("区外@A1", "/buildings/A1/move-in"), ("区外@B1", "/buildings/B1/move-in")]
        )
    ),
    "leads": allowed_by_pages(
        lambda s: (
            [(key, f"/leads/{lead.id}/edit") for key, lead in s.world["leads"].items()] + [("新项目", "/leads/new")]
        )
    ),
}


def test_pages_allow_the_changes_the_imports_allow(sweep):
    got = {kind: {actor: read(sweep, actor) for actor in ACTORS} for kind, read in PAGE_CHANGES.items()}
    want = {
        kind: {actor: CHANGES[kind][actor] if CHANGES[kind][actor] != FORBIDDEN else set() for actor in ACTORS}
        for kind in PAGE_CHANGES
    }
    assert got == want
