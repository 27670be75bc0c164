"""Companies (企业), keyed by 统一社会信用代码. Admins; managers for the companies that are theirs.

What a building manager may import (the rule is ``crm.permissions.Scope.may_change_company``):

- A company is tied to the buildings where it is registered and where it holds a lease it has
  not moved out of (running, not yet started, or past its end with no move-out recorded) —
  ``crm.services.companies.CompanyTies``, as of the import's day. Leases it has moved out of tie
  it no more: they are history.
- An existing company is the manager's when every building it is tied to is one of theirs, and
  it is tied to at least one. A row may change it only when it is theirs now and still theirs
  with the registered building the row gives (a blank 注册楼宇编码 means registered outside the
  district; a row without that column keeps the registration). So a manager cannot rename a
  company registered in, or leasing in, a building of someone else, nor move a registration
  (and with it the company's future tax attribution) to a building of someone else.
- A new company must be registered in one of their buildings: a company tied to none of them
  would be out of their sight the moment it is created. (A company that moves into their
  building without registering there is created by the move-in form or the leases import.)
- A row refused for scope says so in the same words whether the company exists or not, and
  shows none of its stored values.

Admins and the command line import any company.
"""

from __future__ import annotations

from sqlalchemy import select

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, fill_ids, row_plan, set_fields
from crm.io.kinds import register
from crm.io.parsers import MAX_AMOUNT, CellError, boolean, choice, integer, positive_amount, text
from crm.models import Building, Company
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS, INDUSTRY_SECTIONS
from crm.models.names import name_key
from crm.services.companies import company_ties, current_buildings, read_company_filters, search_companies
from crm.services.uscc import normalise_uscc, uscc_problem

FIELDS = {
    "name": "企业名称",
    "industry_section": "行业门类",
    "industry_group": "产业类别",
    "registered_in_district": "属地注册",
    "taxed_in_district": "属地纳税",
    "hq_type": "总部类型",
    "employees": "从业人数",
    "registered_capital": "注册资本",
    "registered_building_id": "注册楼宇",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
}
CHUNK = 5000


def uscc_cell(value, env) -> str:
    return normalise_uscc(text(value, 40))


def section(value, env) -> str:
    raw = text(value)
    for letter, label in INDUSTRY_SECTIONS.items():
        if raw.upper() == letter or raw == label:
            return letter
    letters = "、".join(INDUSTRY_SECTIONS)
    raise CellError(f"行业门类“{raw}”不正确：应为 GB/T 4754-2017 门类字母 {letters} 或其名称")


def companies_by_uscc(session, codes) -> dict[str, Company]:
    codes = sorted(codes)
    found = {}
    for start in range(0, len(codes), CHUNK):
        for company in session.scalars(select(Company).where(Company.uscc.in_(codes[start : start + CHUNK]))):
            found[company.uscc] = company
    return found


def companies_by_name_key(session, keys) -> dict[str, list[Company]]:
    """Stored companies by name key (``names.name_key``: the duplicate guard's comparison)."""
    keys = sorted(keys)
    found: dict[str, list[Company]] = {}
    for start in range(0, len(keys), CHUNK):
        for company in session.scalars(select(Company).where(Company.name_key.in_(keys[start : start + CHUNK]))):
            found.setdefault(company.name_key, []).append(company)
    return found


def check_uscc(kind, ctx, plan, r, known: dict, key="uscc") -> bool:
    """A valid USCC, or one an admin accepted as issued (override) on an existing company."""
    code = r.values[key]
    problem = uscc_problem(code)
    if problem is None:
        return True
    company = known.get(code)
    if company is not None and company.uscc_override:
        return True
    kind.error(ctx, plan, r.row, key, problem)
    return False


@register
class CompaniesKind(ImportKind):
    name = "companies"
    label = "企业"
    order = 30
    export_name = "企业"
    description = "企业名录，按统一社会信用代码匹配；没有代码的行是错误。楼宇管理员只能导入在其楼宇注册或入驻的企业。"
    columns = [
        Column(
            "uscc",
            "统一社会信用代码",
            "uscc",
            uscc_cell,
            required=True,
            example="91210200241281392F",
            note="18 位，按 GB 32100-2015 校验",
            aliases=("信用代码", "社会信用代码"),
        ),
        Column("name", "企业名称", "name", lambda v, env: text(v, 200), required=True, example="大连示例科技有限公司"),
        Column(
            "industry_section",
            "行业门类",
            "industry_section",
            section,
            example="I",
            note="GB/T 4754-2017 门类字母 A–T 或名称",
        ),
        Column(
            "industry_group",
            "产业类别",
            "industry_group",
            lambda v, env: choice(v, {g: g for g in INDUSTRY_GROUPS}, "产业类别"),
            example=INDUSTRY_GROUPS[0],
            note="可选：" + "、".join(INDUSTRY_GROUPS),
        ),
        Column(
            "registered_in_district",
            "属地注册",
            "registered_in_district",
            lambda v, env: boolean(v),
            blank=False,
            example="是",
            note="是/否，留空视为否",
        ),
        Column(
            "taxed_in_district",
            "属地纳税",
            "taxed_in_district",
            lambda v, env: boolean(v),
            blank=False,
            example="是",
            note="是/否，留空视为否",
        ),
        Column(
            "hq_type",
            "总部类型",
            "hq_type",
            lambda v, env: choice(v, HQ_TYPES, "总部类型"),
            blank="none",
            example="区域型总部",
            note="可选：" + "、".join(HQ_TYPES.values()) + "；留空为非总部",
        ),
        Column("employees", "从业人数", "employees", lambda v, env: integer(v, "从业人数", 0), example=120),
        Column(
            "registered_capital",
            "注册资本",
            "registered_capital",
            lambda v, env: positive_amount(v, "注册资本", env.scale, MAX_AMOUNT),
            unit="元",
            money=True,
            example=5000000,
            note="单位元；表头写“注册资本（万元）”时按万元换算",
        ),
        Column(
            "registered_building",
            "注册楼宇编码",
            "registered_building",
            lambda v, env: text(v, 16),
            example="XG01",
            note="注册地址所在楼宇的编码；税收优先归属该楼宇。不在本区楼宇留空",
        ),
        Column("contact_name", "联系人", "contact_name", lambda v, env: text(v, 50), example="王经理"),
        Column("contact_phone", "联系电话", "contact_phone", lambda v, env: text(v, 30), example="0411-80000000"),
        Column("buildings", "所在楼宇", "buildings", export_only=True),
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        known = companies_by_uscc(session, {r.values["uscc"] for r in rows})
        codes = {r.values.get("registered_building") for r in rows} - {None}
        buildings = {b.code: b for b in session.scalars(select(Building).where(Building.code.in_(codes)))}
        ties = {} if ctx.scope.everywhere else company_ties(session, known.values(), ctx.today)
        seen: dict[str, int] = {}
        named = companies_by_name_key(session, {name_key(r.values["name"]) for r in rows} - {""})
        seen_names: dict[str, tuple[int, str]] = {}
        for r in rows:
            v = r.values
            if not check_uscc(self, ctx, plan, r, known):
                continue
            code = v["uscc"]
            if code in seen:
                self.error(ctx, plan, r.row, "uscc", f"统一社会信用代码 {code} 与第 {seen[code]} 行重复")
                continue
            seen[code] = r.row
            if "registered_building" in v:
                ref = v.pop("registered_building")
                building = buildings.get(ref) if ref else None
                if ref and building is None:
                    self.error(ctx, plan, r.row, "registered_building", f"楼宇编码 {ref} 不存在")
                    continue
                v["registered_building_id"] = building.id if building else None
            company = known.get(code)
            now = ties.get(company.id) if company is not None else None
            after = v.get("registered_building_id", company.registered_building_id if company else None)
            if not ctx.scope.may_change_company(now, after):
                column = "registered_building" if "registered_building_id" in v else "uscc"
                self.error(
                    ctx,
                    plan,
                    r.row,
                    column,
                    "此企业不属于您负责的楼宇：楼宇管理员只能导入注册地和在租楼宇都在其负责楼宇内的企业，"
                    "新企业须注册在您负责的楼宇；其他情况请联系系统管理员",
                )
                continue
            if company is None:
                self.warn_same_name(plan, r.row, v["name"], code, named, seen_names, ctx.scope.everywhere)
            plan.rows.append(row_plan(r.row, code, v, company, diff(company, v, FIELDS) if company else None))

    def warn_same_name(self, plan, row: int, name: str, code: str, named: dict, seen_names: dict, reveal: bool) -> None:
        """A new company whose name is an existing company's, or an earlier row's, under another
        USCC: often a mistyped code or a re-registration. Imported as new, but the preview says so.
        Only an admin (``reveal``) is shown the stored company's code: a manager may not see it."""
        key = name_key(name)
        header = self.column("name").header
        for other in named.get(key, []):
            stored = f"已有 {other.uscc}，" if reveal else ""
            plan.warn(
                row,
                header,
                None,
                f"企业名称与已有企业「{other.name}」相同，但统一社会信用代码不同"
                f"（{stored}本行 {code}）：本行将作为新企业导入，请核对代码",
            )
        if key in seen_names and seen_names[key][1] != code:
            first_row, first_code = seen_names[key]
            plan.warn(
                row, header, None, f"企业名称与第 {first_row} 行相同，但统一社会信用代码不同（{first_code}、{code}）"
            )
        seen_names.setdefault(key, (row, code))

    def apply(self, ctx: Context, plan) -> list[Change]:
        changes = []
        for rp in plan.rows:
            if rp.action == "create":
                company = Company(uscc=rp.key, hq_type="none", registered_in_district=False, taxed_in_district=False)
                set_fields(company, rp.values, FIELDS)
                ctx.session.add(company)
                changes.append(Change(rp.row, "create", "companies", None, rp.key, record=company))
            elif rp.action == "update":
                set_fields(rp.target, rp.values, FIELDS)
                changes.append(Change(rp.row, "update", "companies", rp.target.id, rp.key, rp.changes))
        ctx.session.flush()
        return fill_ids(changes)

    def export_items(self, session, scope, args, today, keep=None):
        """Every company the list shows for these filters, in its order (not just one page)."""
        filters, _ = read_company_filters(args, scope.building_ids)
        everything = search_companies(
            session, filters, args.get("sort", "name"), args.get("dir") == "desc", page=1, per_page=10**9
        )
        companies = everything.companies
        codes = dict(session.execute(select(Building.id, Building.code)).all())
        where = {}
        for start in range(0, len(companies), CHUNK):
            where.update(current_buildings(session, [c.id for c in companies[start : start + CHUNK]], today))
        return [(c, codes, scope.only_visible(where.get(c.id, []))) for c in companies]

    def export_values(self, item) -> dict:
        company, codes, where = item
        values = {key: getattr(company, key) for key in ("uscc", *FIELDS) if key != "registered_building_id"}
        values["hq_type"] = HQ_TYPES.get(company.hq_type, company.hq_type)
        values["industry_section"] = company.industry_section
        values["registered_building"] = codes.get(company.registered_building_id)
        values["buildings"] = "、".join(b.code for b in where)
        return values
