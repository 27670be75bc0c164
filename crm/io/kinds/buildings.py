"""Buildings (楼宇), keyed by their code. Admins only."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, fill_ids, row_plan, set_fields
from crm.io.kinds import register
from crm.io.parsers import MAX_AREA, choice, integer, positive_amount, text
from crm.models import Building, Unit
from crm.models.choices import STREETS, TIERS, ZONES
from crm.services import periods as P
from crm.services.figures import building_figures
from crm.services.occupancy import self_use_on, unit_exists_on

FIELDS = {
    "name": "名称",
    "street": "街道",
    "zone": "片区",
    "address": "地址",
    "gross_floor_area": "建筑面积",
    "declared_office_area": "登记办公面积",
    "floors": "楼层数",
    "grade": "等级",
    "owner": "产权单位",
    "operator": "运营单位",
    "positioning": "特色定位",
}


def _area(what):
    return lambda v, env: positive_amount(v, what, maximum=MAX_AREA)


@register
class BuildingsKind(ImportKind):
    name = "buildings"
    label = "楼宇"
    order = 10
    export_name = "楼宇"
    description = "楼宇的基本信息，按楼宇编码匹配：编码已存在的更新，不存在的新建。"
    columns = [
        Column(
            "code",
            "楼宇编码",
            "code",
            lambda v, env: text(v, 16),
            required=True,
            example="XG36",
            note="楼宇的固定编码，用来匹配已有楼宇",
            aliases=("编码",),
        ),
        Column(
            "name",
            "楼宇名称",
            "name",
            lambda v, env: text(v, 100),
            required=True,
            example="西岗示例大厦",
            aliases=("名称",),
        ),
        Column(
            "street",
            "街道",
            "street",
            lambda v, env: choice(v, {s: s for s in STREETS}, "街道"),
            required=True,
            example=STREETS[0],
            note="可选：" + "、".join(STREETS),
        ),
        Column(
            "zone",
            "片区",
            "zone",
            lambda v, env: choice(v, {z: z for z in ZONES}, "片区"),
            example=ZONES[2],
            note="可选：" + "、".join(ZONES) + "；不属于片区留空",
        ),
        Column("address", "地址", "address", lambda v, env: text(v, 200), example="大连市西岗区八一路 1 号"),
        Column("gross_floor_area", "建筑面积", "gross_floor_area", _area("建筑面积"), unit="m²", example=52000),
        Column(
            "declared_office_area",
            "登记办公面积",
            "declared_office_area",
            _area("登记办公面积"),
            unit="m²",
            required=True,
            example=38000,
            note="楼宇登记记录中的办公面积；各单元面积之和（自用除外，即可租面积）不能超过它。"
            "旧模板的“可租面积”列即此列，请改用此列名",
        ),
        Column("floors", "楼层数", "floors", lambda v, env: integer(v, "楼层数", 1), required=True, example=28),
        Column("grade", "等级", "grade", lambda v, env: text(v, 8), example="甲级"),
        Column("owner", "产权单位", "owner", lambda v, env: text(v, 100), example="大连示例置业有限公司"),
        Column("operator", "运营单位", "operator", lambda v, env: text(v, 100), example="大连示例物业管理有限公司"),
        Column("positioning", "特色定位", "positioning", lambda v, env: text(v, 500), example="数字技术服务、金融服务"),
        Column("leasable_area", "可租面积", "leasable_area", unit="m²", export_only=True),
        Column("occupancy", "入驻率", "occupancy", export_only=True),
        Column("occupied_area", "已出租面积", "occupied_area", unit="m²", export_only=True),
        Column("vacant_area", "空置面积", "vacant_area", unit="m²", export_only=True),
        Column("tenants", "入驻企业数", "tenants", export_only=True),
        Column("tax_ytd", "本年累计税收", "tax_ytd", unit="元", export_only=True),
        Column("tier", "税收层级", "tier", export_only=True),
    ]
    notes = [
        "导出文件中的可租面积、入驻率、已出租和空置面积、入驻企业数、税收等统计列在导入时会被忽略。",
        "登记办公面积是楼宇登记记录中的办公面积；可租面积是现有非自用单元的面积之和（入驻率的分母），由单元计算得出。",
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        codes = {r.values["code"] for r in rows}
        existing = {b.code: b for b in session.scalars(select(Building).where(Building.code.in_(codes)))}
        unit_area = dict(
            session.execute(
                select(Unit.building_id, func.sum(Unit.area))
                .where(
                    Unit.building_id.in_([b.id for b in existing.values()]),
                    ~self_use_on(ctx.today),
                    unit_exists_on(ctx.today),
                )
                .group_by(Unit.building_id)
            ).all()
        )
        seen: dict[str, int] = {}
        for r in rows:
            v, code = r.values, r.values["code"]
            if code in seen:
                self.error(ctx, plan, r.row, "code", f"楼宇编码 {code} 与第 {seen[code]} 行重复")
                continue
            seen[code] = r.row
            building = existing.get(code)
            declared = v.get("declared_office_area", building.declared_office_area if building else None)
            gross = v.get("gross_floor_area", building.gross_floor_area if building else None)
            if declared is not None and gross is not None and declared > gross:
                self.error(
                    ctx,
                    plan,
                    r.row,
                    "declared_office_area",
                    f"登记办公面积 {declared:,.2f} m² 大于建筑面积 {gross:,.2f} m²",
                )
                continue
            if building is not None and "declared_office_area" in v:
                used = unit_area.get(building.id) or 0
                if v["declared_office_area"] < used:
                    self.error(
                        ctx,
                        plan,
                        r.row,
                        "declared_office_area",
                        f"登记办公面积 {v['declared_office_area']:,.2f} m² 小于该楼现有单元（自用除外）面积合计 {used:,.2f} m²",
                    )
                    continue
                plan.basis.append(f"units|{building.id}|{used}")
            plan.rows.append(row_plan(r.row, code, v, building, diff(building, v, FIELDS) if building else None))

    def apply(self, ctx: Context, plan) -> list[Change]:
        changes = []
        for rp in plan.rows:
            if rp.action == "create":
                building = Building(code=rp.key, is_demo=False)
                set_fields(building, rp.values, FIELDS)
                ctx.session.add(building)
                changes.append(Change(rp.row, "create", "buildings", None, rp.key, record=building))
            elif rp.action == "update":
                set_fields(rp.target, rp.values, FIELDS)
                changes.append(Change(rp.row, "update", "buildings", rp.target.id, rp.key, rp.changes))
        ctx.session.flush()
        return fill_ids(changes)

    def export_items(self, session, scope, args, today, keep=None):
        month = P.parse_period(args.get("month") or P.last_complete_month(today), "month")
        rows = building_figures(session, month, scope.building_ids)
        return [r for r in rows if keep is None or keep(r, args)]

    def export_values(self, row) -> dict:
        b, occ = row.building, row.occupancy
        values = {key: getattr(b, key) for key in ("code", *FIELDS)}
        values.update(
            occupancy=None if occ.occupancy is None else round(occ.occupancy, 4),
            leasable_area=occ.leasable_area,
            occupied_area=occ.occupied_area,
            vacant_area=occ.vacant_area,
            tenants=occ.tenants,
            tax_ytd=row.tax_ytd,
            tier=TIERS.get(row.tier, ""),
        )
        return values
