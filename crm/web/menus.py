"""The main menu of each role, leading to the day's work first.

A manager starts from 月度填报 and their buildings; a promoter from 我的跟进 and the pipeline; a
leader from the briefing, the 亿元楼 and who has confirmed the month — and is never offered "my"
work they do not have; an admin gets everything, the admin pages under 系统管理. An item shows
only when its page exists and the user may open it (``may_open``), so the menu never leads to a
403. The desktop bar and the phone's collapsed menu are the same list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request, url_for

from crm.permissions import may_open

# (endpoint, label, anchor), or a group: (label, ((endpoint, label, anchor), ...)).
HOME = ("dashboard.index", "首页", None)
BUILDINGS = ("buildings.index", "楼宇", None)
STACKING = ("space.stacking", "楼层图", None)
COMPANIES = ("companies.index", "企业", None)
LEADS = ("leads.index", "招商项目", None)
BOARD = ("leads.board", "看板", None)
IMPORTS = ("imports.index", "数据导入", None)
TAX = ("tax.district", "税收", None)
LOCALISATION = ("localisation.index", "属地化", None)
WARNINGS = ("warnings.index", "预警", None)

MENUS: dict[str, tuple] = {
    "manager": (
        HOME,
        ("confirmations.index", "月度填报", None),
        BUILDINGS,
        ("manage.district_expiries", "租约到期", None),
        ("movein_requests.index", "入驻申请", None),
        WARNINGS,
        LOCALISATION,
        COMPANIES,
        IMPORTS,
    ),
    "promoter": (
        HOME,
        ("followups.index", "我的跟进", None),
        LEADS,
        BOARD,
        LOCALISATION,
        WARNINGS,
        BUILDINGS,
        STACKING,
        COMPANIES,
        TAX,
        IMPORTS,
    ),
    "leader": (
        HOME,
        ("briefings.index", "简报", None),
        ("reports.index", "亿元楼", "candidates"),
        ("confirmations.status", "填报情况", None),
        WARNINGS,
        LOCALISATION,
        BUILDINGS,
        STACKING,
        COMPANIES,
        LEADS,
        TAX,
    ),
    # An admin's bar holds the daily pages; the rest sits in two groups so the bar fits 1366 px.
    "admin": (
        HOME,
        BUILDINGS,
        COMPANIES,
        LEADS,
        ("confirmations.index", "月度填报", None),
        LOCALISATION,
        WARNINGS,
        TAX,
        ("reports.index", "报表", None),
        IMPORTS,
        (
            "更多",
            (
                BOARD,
                ("movein_requests.index", "入驻申请", None),
                ("manage.district_expiries", "租约到期", None),
                STACKING,
            ),
        ),
        (
            "系统管理",
            (
                ("admin.users", "用户", None),
                ("confirmations.status", "填报情况", None),
                ("jobs_admin.index", "定时任务与提醒", None),
                ("settings.index", "门槛与口径", None),
                ("warnings.settings", "预警阈值", None),
            ),
        ),
    ),
}


@dataclass
class MenuItem:
    label: str
    url: str = ""
    endpoint: str = ""
    active: bool = False
    children: list[MenuItem] = field(default_factory=list)


def _active(endpoint: str, entries: list[tuple], current: str | None) -> bool:
    """The item of the page shown; a page not in the menu lights the first item of its blueprint
    (a building's page lights 楼宇)."""
    if current is None:
        return False
    if current == endpoint:
        return True
    if current in {e for e, _, _ in entries}:
        return False
    blueprint = current.split(".")[0]
    first = next((e for e, _, _ in entries if e.split(".")[0] == blueprint), None)
    return first == endpoint


def menu_for(role: str | None, current: str | None) -> list[MenuItem]:
    entries = MENUS.get(role or "", ())
    flat = [e for e in entries if isinstance(e[1], str)] + [
        c for e in entries if not isinstance(e[1], str) for c in e[1]
    ]
    flat = [e for e in flat if may_open(e[0])]

    def item(entry) -> MenuItem:
        endpoint, label, anchor = entry
        return MenuItem(label, url_for(endpoint, _anchor=anchor), endpoint, _active(endpoint, flat, current))

    items = []
    for entry in entries:
        if isinstance(entry[1], str):
            if may_open(entry[0]):
                items.append(item(entry))
            continue
        children = [item(c) for c in entry[1] if may_open(c[0])]
        if children:
            items.append(MenuItem(entry[0], children=children, active=any(c.active for c in children)))
    return items


def init_app(app) -> None:
    @app.context_processor
    def main_menu():
        from flask_login import current_user

        def menu():
            if not current_user.is_authenticated:
                return []
            return menu_for(current_user.role, request.endpoint)

        return {"main_menu": menu}
