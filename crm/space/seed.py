"""Profile texts of the demo buildings (``seed_profiles``), for ``crm demo load``."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from crm.models import Building, BuildingProfile

TRANSIT = {
    "八一路": "地铁 2 号线人民广场站步行约 8 分钟；公交 15、23、531 路八一路站",
    "人民广场": "地铁 2 号线人民广场站 C 口步行约 3 分钟；公交 2、16、406 路",
    "白云": "地铁 1 号线中山公园站步行约 10 分钟；公交 5、28 路白云街站",
    "日新": "地铁 1 号线、2 号线西安路站步行约 6 分钟；公交 19、902 路",
    "香炉礁": "地铁 2 号线香炉礁站步行约 5 分钟；公交 3、22 路香炉礁站",
}
POLICIES = (
    "落户奖励：新引进企业按实际贡献给予分档奖励；\n"
    "租金补贴：符合西岗区重点产业方向的企业，前三年给予办公用房租金补贴；\n"
    "人才服务：高层次人才子女入学、住房保障协助办理。"
)


def seed_profiles(session) -> int:
    """Give every demo building without a profile the demo texts; returns how many were written."""
    have = set(session.scalars(select(BuildingProfile.building_id)))
    written = 0
    for index, building in enumerate(session.scalars(select(Building).order_by(Building.code))):
        if building.id in have:
            continue
        focus = building.positioning or "综合商务办公"
        session.add(
            BuildingProfile(
                building_id=building.id,
                description=(
                    f"{building.name}位于西岗区{building.street}街道，{building.floors} 层"
                    f"{('，' + building.grade + '写字楼') if building.grade else ''}，聚焦{focus}。"
                    "大堂与标准层经过改造，可提供精装与毛坯两种交付标准，支持整层与分割租赁。"
                ),
                transit=TRANSIT.get(building.street, "周边公交线路密集，距地铁站步行 10 分钟以内"),
                parking=f"地下车位约 {80 + (index * 37) % 300} 个，月租与临时停车均可",
                dining="楼内设员工餐厅，周边步行 5 分钟内有商场美食街与便利店",
                property_contact=f"物业服务中心 0411-8{index:03d} 6{index:03d}"[:40],
                policies=POLICIES,
                updated_at=datetime.now(timezone.utc),
            )
        )
        written += 1
    session.flush()
    return written
