"""Each role's menu and home panel, and what a leader reads: on a small world where each number
can be counted by hand (today 2026-11-15, so the month to confirm is 2026-10).

甲大厦 (A01, kept by manager "ly"): 3F-01 under a lease that ended 2026-10-15 with nothing recorded
(到期未处置), 3F-02 let until 2026-12-01 (16 days left), 3F-03 let until 2027-01-20 (66 days), 3F-04
vacant; one move-in request waits for it. 乙大厦 (B01, kept by "ly2") has one of its own.
Promoter "p1" has a lead due today, one 5 days overdue and one never followed up; "p2" has one
overdue. Tax 2026-09: A01's tenant ¥120 m (a 亿元楼), B01's ¥60 m (a candidate: ¥80 m projected).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import Briefing, MoveInRequest
from tests import factories as f


@pytest.fixture()
def world(session):
    a = f.building(session, "A01", "甲大厦")
    b = f.building(session, "B01", "乙大厦")
    units = [f.unit(session, a, 3, f"0{n}", 100) for n in range(1, 5)]
    b_unit = f.unit(session, b, 2, "01", 100)
    tenant_a, tenant_b = f.company(session, "甲租户有限公司"), f.company(session, "乙租户有限公司")
    f.lease(session, f.company(session, "到期未续有限公司"), a, [units[0]], date(2024, 10, 16), date(2026, 10, 15))
    f.lease(session, tenant_a, a, [units[1]], date(2024, 1, 1), date(2026, 12, 1))
    f.lease(session, f.company(session, "丙租户有限公司"), a, [units[2]], date(2024, 1, 1), date(2027, 1, 20))
    f.lease(session, tenant_b, b, [b_unit], date(2024, 1, 1))
    f.tax(session, tenant_a, "2026-09", 120_000_000, building=a)
    f.tax(session, tenant_b, "2026-09", 60_000_000, building=b)
    users = {
        name: f.user(session, name, role, buildings=kept)
        for name, role, kept in (
            ("admin", "admin", []),
            ("leader", "leader", []),
            ("p1", "promoter", []),
            ("p2", "promoter", []),
            ("ly", "manager", [a]),
            ("ly2", "manager", [b]),
        )
    }
    leads = {
        "due": f.lead(
            session,
            users["p1"],
            "今日跟进有限公司",
            stage="contact",
            last_followup_on=date(2026, 11, 1),
            next_followup_on=date(2026, 11, 15),
        ),
        "late": f.lead(
            session,
            users["p1"],
            "逾期有限公司",
            stage="contact",
            last_followup_on=date(2026, 11, 1),
            next_followup_on=date(2026, 11, 10),
        ),
        "never": f.lead(session, users["p1"], "未跟进有限公司"),
        "other": f.lead(
            session,
            users["p2"],
            "他人逾期有限公司",
            stage="contact",
            last_followup_on=date(2026, 11, 1),
            next_followup_on=date(2026, 11, 1),
        ),
    }
    for lead, building, unit in ((leads["due"], a, units[3]), (leads["other"], b, b_unit)):
        session.add(
            MoveInRequest(
                lead=lead,
                company=f.company(session),
                building=building,
                unit_ids=str(unit.id),
                start_date=date(2026, 12, 1),
                requested_by_id=lead.owner_id,
            )
        )
    session.commit()
    return dict(leads={key: lead.id for key, lead in leads.items()})


def menu(html: str) -> list[str]:
    nav = html.split('id="mainnav"', 1)[1].split("nav-bell", 1)[0]  # the bar, dropdown groups included
    return [label.strip() for label in re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', nav)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    "user, expected",
    [
        ("ly", ["首页", "月度填报", "楼宇", "租约到期", "入驻申请", "预警", "属地化", "企业", "数据导入"]),
        (
            "p1",
            ["首页", "我的跟进", "招商项目", "看板", "属地化", "预警", "楼宇", "楼层图", "企业", "税收", "数据导入"],
        ),
        (
            "leader",
            ["首页", "简报", "亿元楼", "填报情况", "预警", "属地化", "楼宇", "楼层图", "企业", "招商项目", "税收"],
        ),
        (
            "admin",
            [
                "首页",
                "楼宇",
                "企业",
                "招商项目",
                "月度填报",
                "属地化",
                "预警",
                "税收",
                "报表",
                "数据导入",
                "更多",
                "系统管理",
            ],
        ),
    ],
)
def test_each_role_has_its_menu(login, world, user, expected):
    html = login(user).get("/").get_data(as_text=True)
    assert menu(html) == expected


def test_the_admins_menu_holds_the_admin_pages(login, world):
    html = login("admin").get("/buildings").get_data(as_text=True)
    more, admin = [part.split("</ul>", 1)[0] for part in html.split('class="dropdown-menu')[1:3]]
    assert re.findall(r'class="dropdown-item[^"]*" href="([^"]+)">', more) == [
        "/leads/board",
        "/movein-requests",
        "/expiries",
        "/stacking",
    ]
    assert re.findall(r'class="dropdown-item[^"]*" href="([^"]+)">', admin) == [
        "/admin/users",
        "/confirmations/status",
        "/admin/jobs",
        "/admin/settings",
        "/admin/warnings/settings",
    ]
    assert 'class="nav-link text-nowrap active" aria-current="page" href="/buildings"' in html


def test_the_managers_home_counts_their_buildings_work(login, world):
    page = text(login("ly").get("/").get_data(as_text=True))
    assert "2026年10月月度填报 0 / 1 栋已确认 待确认：甲大厦" in page
    assert "到期未处置 1 份" in page
    assert "待确认入驻申请 1 条" in page
    assert "90 天内到期租约 2 份 其中 30 天内 1 份" in page


def test_the_promoters_home_lists_their_own_work(login, world):
    html = login("p1").get("/").get_data(as_text=True)
    page = text(html)
    assert "今日应跟进 1 个" in page and "逾期未跟进 1 个" in page and "立项后未跟进 1 个" in page
    work = html.split('data-testid="home-work"', 1)[1].split("</ul>", 1)[0]
    assert "逾期有限公司 逾期 5 天" in text(work) and "今日跟进有限公司 今日跟进" in text(work)
    assert "他人逾期有限公司" not in work


def test_the_leaders_home_shows_briefing_yi_progress_and_the_months_changes(login, world):
    html = login("leader").get("/").get_data(as_text=True)
    page = text(html)
    assert "2026年10月简报 尚未生成" in page
    assert "已达亿元： 1 栋（甲大厦）" in page.replace("已达亿元：1", "已达亿元： 1")
    candidates = text(html.split('data-testid="home-yi"', 1)[1].split("</table>", 1)[0])
    assert "乙大厦 6,000.0 万元 8,000.0 万元 差 2,000.0 万元" in candidates
    assert 'data-testid="home-headline"' in html
    assert "我的跟进" not in menu(html)


def test_a_leader_gets_the_latest_briefing_generated_once(login, world, session):
    leader = login("leader")
    first = leader.get("/reports/briefings/latest")
    assert first.status_code == 200 and first.mimetype == "application/pdf" and first.data.startswith(b"%PDF")
    second = leader.get("/reports/briefings/latest")
    assert second.status_code == 200 and second.data == first.data
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Briefing)) == 1
    assert session.scalar(select(Briefing.period)) == "2026-10"
    assert "已生成第 1 版" in text(leader.get("/").get_data(as_text=True))


def test_a_leader_reads_the_confirmation_status_and_unit_lists_without_write_links(login, world):
    leader = login("leader")
    status = leader.get("/confirmations/status")
    assert status.status_code == 200 and "甲大厦" in status.get_data(as_text=True)
    units = leader.get("/buildings/A01/units")
    html = units.get_data(as_text=True)
    assert units.status_code == 200 and "到期未续有限公司" in html and "3F-04" in html
    assert "/move-out" not in html and "/walk" not in html and "登记入驻" not in html
    assert leader.get("/buildings/A01/walk").status_code == 403


def test_a_leader_is_told_only_that_a_lead_is_read_only(login, world):
    html = login("leader").get(f"/leads/{world['leads']['due']}").get_data(as_text=True)
    assert 'data-testid="lead-readonly">只读</span>' in html and "负责人" in html
    assert "不是该项目的负责人" not in html


def test_the_walk_shows_a_floor_with_big_actions_and_returns_to_it(login, world):
    ly = login("ly")
    floors = ly.get("/buildings/A01/walk").get_data(as_text=True)
    assert 'href="/buildings/A01/walk?floor=3"' in floors and "4 个单元 · 空置 1 · 到期 1" in text(floors)
    floor = ly.get("/buildings/A01/walk?floor=3").get_data(as_text=True)
    back = "next=/buildings/A01/walk?floor%3D3"
    assert floor.count('class="btn btn-danger" href="/buildings/A01/leases/') == 3  # 迁出: two let, one lapsed
    assert 'class="btn btn-primary" href="/buildings/A01/move-in?unit=' in floor and back in floor
    ly.post("/logout")
    assert login("ly2").get("/buildings/A01/walk").status_code == 403
