"""Pipeline pages as each role uses them: the list, the board (htmx moves, conflicts, CSRF), a
lead's page and its forms, matching and reserving, landing and the manager's confirmation."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from crm.extensions import db
from crm.cache import clear as clear_cache
from crm.models import FollowUp, Lead, Lease, MoveInRequest, Unit, User
from tests import factories as f

HX = {"HX-Request": "true"}


@pytest.fixture()
def scene(session):
    a = f.building(session, "A01", "甲科技大厦", positioning="数字技术服务")
    b = f.building(session, "B01", "乙大厦")
    units = [f.unit(session, a, 6, n, 250) for n in ("01", "02", "03")]
    tenant = f.company(session, "大连在驻软件有限公司", industry_group="数字技术服务")
    f.lease(session, tenant, b, [f.unit(session, b, 2, "01", 300)], date(2025, 1, 1))
    zs1, zs2 = f.user(session, "zs1", "promoter"), f.user(session, "zs2", "promoter")
    f.user(session, "admin", "admin")
    f.user(session, "leader", "leader")
    f.user(session, "ly_a", "manager", buildings=[a])
    f.user(session, "ly_b", "manager", buildings=[b])
    mine = f.lead(
        session,
        zs1,
        "大连蓝港数据科技有限公司",
        stage="contact",
        intended_area=Decimal("500"),
        industry_group="数字技术服务",
        expected_annual_tax=Decimal("3000000"),
        next_followup_on=date(2026, 11, 20),
        last_followup_on=date(2026, 11, 10),
    )
    theirs = f.lead(
        session,
        zs2,
        "华信（大连）软件有限公司",
        stage="visit",
        next_followup_on=date(2026, 11, 12),
        last_followup_on=date(2026, 11, 5),
    )
    session.commit()
    return {"a": a, "b": b, "units": units, "mine": mine.id, "theirs": theirs.id}


def text(response) -> str:
    return response.get_data(as_text=True)


def test_list_filters_and_shows_flags(login, scene):
    client = login("zs1")
    page = text(client.get("/leads"))
    assert "大连蓝港数据科技有限公司" in page and "华信（大连）软件有限公司" in page
    assert "300.0" in page  # 3,000,000 yuan → 300.0 万元
    page = text(client.get("/leads?owner=me"))
    assert "大连蓝港数据科技有限公司" in page and "华信（大连）软件有限公司" not in page
    page = text(client.get("/leads?overdue=followup"))
    assert "华信（大连）软件有限公司" in page and "大连蓝港数据科技有限公司" not in page and "跟进逾期" in page
    assert "没有符合筛选条件的项目" in text(client.get("/leads?stage=signed"))
    a = scene["a"].id
    page = text(client.get(f"/leads?building={a}"))
    assert f'<option value="{a}" selected>A01 甲科技大厦</option>' in page  # the filter keeps its choice
    assert f'<option value="{a}">A01 甲科技大厦</option>' in text(client.get("/leads"))


def test_roles_and_ownership(login, scene, client):
    assert login("leader").get("/leads/board").status_code == 200
    assert client.post(f"/leads/{scene['mine']}/stage", data={"stage": "visit"}).status_code == 403
    client.post("/logout")
    manager = login("ly_a")
    assert manager.get("/leads").status_code == 403 and manager.get("/followups").status_code == 403
    client.post("/logout")
    zs1 = login("zs1")
    assert zs1.get(f"/leads/{scene['theirs']}").status_code == 200  # read-only for others' leads
    assert "只读" in text(zs1.get(f"/leads/{scene['theirs']}"))
    assert zs1.post(f"/leads/{scene['theirs']}/stage", data={"stage": "negotiation"}).status_code == 403
    assert zs1.post(f"/leads/{scene['theirs']}/followups", data={"method": "电话", "notes": "x"}).status_code == 403
    assert zs1.get(f"/leads/{scene['theirs']}/edit").status_code == 403
    assert zs1.post(f"/leads/{scene['mine']}/owner", data={"owner_id": 1}).status_code == 403
    assert zs1.get("/leads/99999").status_code == 404


def test_new_lead_warns_of_a_duplicate_then_saves_when_confirmed(login, scene, session):
    client = login("zs1")
    form = {
        "company_name": "华信软件有限责任公司",
        "source": "网络",
        "industry_group": "数字技术服务",
        "hq_type": "none",
        "priority": "normal",
        "intended_area": "400",
        "expected_annual_tax": "120",
    }
    page = text(client.post("/leads/new", data=form))
    assert "疑似重复" in page and "负责人 zs2" in page and 'value="华信软件有限责任公司"' in page
    assert session.scalar(select(func.count()).select_from(Lead)) == 2
    response = client.post("/leads/new", data=form | {"confirm_duplicate": "y"})
    assert response.status_code == 302
    lead = session.scalar(select(Lead).where(Lead.company_name == "华信软件有限责任公司"))
    assert lead.owner.username == "zs1" and lead.expected_annual_tax == Decimal("1200000.00")
    assert lead.next_followup_on == date(2026, 11, 18)


def test_bad_uscc_is_shown_beside_the_field(login, scene, session):
    page = text(
        login("zs1").post(
            "/leads/new",
            data={
                "company_name": "新公司",
                "source": "网络",
                "hq_type": "none",
                "priority": "normal",
                "industry_group": "",
                "uscc": "91310110666007217U",
            },
        )
    )
    assert 'data-testid="error-uscc">统一社会信用代码校验位错误：末位应为 T，实为 U' in page
    assert session.scalar(select(func.count()).select_from(Lead)) == 2


def test_followup_form_and_timeline(login, scene, session):
    client = login("zs1")
    lead_id = scene["mine"]
    page = text(
        client.post(f"/leads/{lead_id}/followups", data={"method": "电话", "notes": "约考察", "next_on": "2026-11-01"})
    )
    assert 'data-testid="error-next_on">下次跟进日期 2026-11-01 已经过去' in page and "约考察</textarea>" in page
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 0
    assert (
        client.post(f"/leads/{lead_id}/followups", data={"method": "走访", "notes": "上门拜访总经理"}).status_code
        == 302
    )
    page = text(client.get(f"/leads/{lead_id}"))
    assert 'data-testid="next-followup">2026-11-22' in page  # a week after today (2026-11-15)
    assert "上门拜访总经理" in page and "走访" in page


def test_board_move_with_htmx_returns_the_message_and_the_columns_it_touched(login, scene, session):
    client = login("zs1")
    lead = session.get(Lead, scene["mine"])
    page = text(client.get("/leads/board"))
    assert re.search(r'data-testid="count-contact">1<', page)
    response = client.post(
        f"/leads/{lead.id}/stage",
        data={"stage": "negotiation", "from": "contact", "version": lead.version},
        headers=HX,
    )
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="board-message">') and "已移至「洽谈」" in page
    # The two columns, each to take the place of its own on the board; no other column.
    assert re.findall(r'<section id="board-column-(\w+)" hx-swap-oob="true"', page) == ["contact", "negotiation"]
    assert re.search(r'data-testid="count-negotiation">1<', page) and re.search(r'data-testid="count-contact">0<', page)
    assert 'data-testid="tax-negotiation">300.0 万元' in page
    assert f'data-lead="{lead.id}"' in page.split('id="board-column-negotiation"')[1]


def test_a_move_refused_by_someone_elses_move_shows_the_column_the_lead_is_in(login, scene, session):
    lead = session.get(Lead, scene["mine"])
    seen = lead.version
    client = login("zs1")
    client.post(f"/leads/{lead.id}/stage", data={"stage": "visit", "from": "contact", "version": seen}, headers=HX)
    # The board still shows it under 接洽: dragged from there to 洽谈 with the old version.
    page = text(
        client.post(
            f"/leads/{lead.id}/stage", data={"stage": "negotiation", "from": "contact", "version": seen}, headers=HX
        )
    )
    assert re.findall(r'<section id="board-column-(\w+)"', page) == ["contact", "visit", "negotiation"]
    assert f'data-lead="{lead.id}"' in page.split('id="board-column-visit"')[1].split("</section>")[0]


def card(page: str, lead_id: int) -> str:
    return re.search(rf'<article class="board-card[^"]*"\s+data-lead="{lead_id}".*?</article>', page, re.S).group(0)


def test_board_cards_follow_the_lead_and_the_reader(login, scene, client):
    """Cards are kept between views: still each reader sees which cards they may move, and a
    follow-up shows on the card at once."""
    page = text(login("zs1").get("/leads/board"))
    assert "locked" not in card(page, scene["mine"]) and "locked" in card(page, scene["theirs"])
    assert "2026-11-20" in card(page, scene["mine"])
    client.post("/logout")
    page = text(login("zs2").get("/leads/board"))
    assert "locked" in card(page, scene["mine"]) and "locked" not in card(page, scene["theirs"])
    client.post("/logout")
    zs1 = login("zs1")
    assert (
        zs1.post(
            f"/leads/{scene['mine']}/followups",
            data={"method": "电话", "notes": "约定下周看房", "next_on": "2026-11-25"},
        ).status_code
        == 302
    )
    page = text(zs1.get("/leads/board"))
    assert "2026-11-25" in card(page, scene["mine"]) and "2026-11-20" not in card(page, scene["mine"])


def test_second_mover_gets_a_conflict_and_lost_needs_a_reason(login, scene, session):
    lead = session.get(Lead, scene["mine"])
    seen = lead.version
    client = login("zs1")
    assert (
        client.post(f"/leads/{lead.id}/stage", data={"stage": "visit", "version": seen}, headers=HX).status_code == 200
    )
    response = client.post(f"/leads/{lead.id}/stage", data={"stage": "negotiation", "version": seen}, headers=HX)
    assert response.status_code == 409 and "刚被zs1 修改过（当前阶段：考察）" in text(response)
    session.expire_all()
    assert session.get(Lead, lead.id).stage == "visit"
    response = client.post(f"/leads/{lead.id}/stage", data={"stage": "lost", "version": seen + 1}, headers=HX)
    assert response.status_code == 400 and "项目退出须填写原因" in text(response)


def test_board_moves_need_the_csrf_header(app, login, scene, session):
    client = login("zs1")
    lead = session.get(Lead, scene["mine"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/leads/{lead.id}/stage", data={"stage": "visit"}, headers=HX)
        assert refused.status_code == 400
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', text(client.get("/leads/board"))).group(1)
        moved = client.post(f"/leads/{lead.id}/stage", data={"stage": "visit"}, headers=HX | {"X-CSRFToken": token})
        assert moved.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_board_queries_do_not_grow_with_leads(login, scene, session):
    client = login("zs1")
    zs1 = session.scalar(select(Lead.owner_id).where(Lead.id == scene["mine"]))

    def queries(url):
        count = [0]

        def on_execute(*args):
            count[0] += 1

        clear_cache()  # count the queries of a first view, not of a cached one
        event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", on_execute)
        return count[0]

    def add(count, prefix):
        for n in range(count):
            lead = Lead(
                company_name=f"{prefix}{n}",
                source="网络",
                owner_id=zs1,
                stage=["lead", "visit", "signed"][n % 3],
                created_on=date(2026, 11, 1),
                next_followup_on=date(2026, 11, 14 + n % 5),
            )
            session.add(lead)
            session.add(FollowUp(lead=lead, author_id=zs1, on=date(2026, 11, 2), method="电话", notes="x"))
        session.commit()

    urls = ["/leads/board", "/leads", "/followups", f"/leads/{scene['mine']}", "/"]
    add(5, "首批")  # every list of "my work" has rows: the counts below compare like with like
    before = [queries(u) for u in urls]
    add(40, "批量")
    assert [queries(u) for u in urls] == before


def test_followups_page_lists_my_overdue(login, scene):
    page = text(login("zs2").get("/followups"))
    assert 'data-testid="overdue-count">1 个' in page and "华信（大连）软件有限公司" in page and "3 天" in page
    assert "大连蓝港数据科技有限公司" not in page


def test_followups_page_shows_the_most_urgent_and_links_to_the_whole_list(login, scene, session, monkeypatch):
    from crm.views import followups

    monkeypatch.setattr(followups, "SHOWN", 0)  # every list is "cut": the link must lead to all of it
    page = text(login("zs2").get("/followups"))
    assert 'data-testid="overdue-count">1 个' in page and 'data-testid="overdue-table-more"' in page
    link = re.search(r'data-testid="overdue-table-more">[^<]*<a href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "华信（大连）软件有限公司" in text(login("zs2").get(link))


def test_the_lead_list_filters_leads_never_followed_up(login, scene, session):
    zs1 = session.scalar(select(User).where(User.username == "zs1"))
    f.lead(session, zs1, "大连新线索有限公司", created_on=date(2026, 11, 14))  # no follow-up yet
    session.commit()
    page = text(login("zs1").get("/leads?overdue=never"))
    assert (
        "大连新线索有限公司" in page
        and "大连蓝港数据科技有限公司" not in page
        and "华信（大连）软件有限公司" not in page
    )


def test_match_reserve_land_and_confirm(login, scene, session, client):
    zs1 = login("zs1")
    lead_id = scene["mine"]
    page = text(zs1.get(f"/leads/{lead_id}/matches"))
    assert "6F-01、6F-02" in page and "甲科技大厦" in page
    a1, a2, a3 = scene["units"]
    response = zs1.post(f"/leads/{lead_id}/reserve", data={"unit_ids": f"{a1.id},{a2.id}", "until": "2026-12-31"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Unit, a1.id).reserved_until == date(2026, 12, 31)

    lead = session.get(Lead, lead_id)
    for stage in ("signed", "registered"):
        lead = session.get(Lead, lead_id)
        zs1.post(f"/leads/{lead_id}/stage", data={"stage": stage, "version": lead.version})
        session.expire_all()
    form = text(zs1.get(f"/leads/{lead_id}/land"))
    assert "6F-01 · 250 m² · 预留至 2026-12-31" in form  # the lead's held units are offered, ticked
    response = zs1.post(
        f"/leads/{lead_id}/land",
        data={
            "action": "submit",
            "building_id": scene["a"].id,
            "unit_ids": [a1.id, a2.id],
            "start_date": "2026-11-20",
            "uscc": "91210200241281392F",
            "company_name": "大连蓝港数据科技有限公司",
            "registered_in_district": "y",
        },
    )
    assert response.status_code == 302
    request = session.scalar(select(MoveInRequest))
    assert request.status == "pending"
    client.post("/logout")

    assert login("ly_b").get("/movein-requests").status_code == 200
    assert "大连蓝港数据科技有限公司" not in text(client.get("/movein-requests"))  # not their building
    assert client.post(f"/movein-requests/{request.id}/confirm").status_code == 403
    assert 'data-testid="home-moveins">0 条' in text(client.get("/"))  # counted for the building's manager only
    client.post("/logout")
    manager = login("ly_a")
    assert "大连蓝港数据科技有限公司" in text(manager.get("/movein-requests"))
    assert 'data-testid="home-moveins">1 条' in text(manager.get("/"))
    assert manager.post(f"/movein-requests/{request.id}/confirm").status_code == 302
    session.expire_all()
    assert session.get(Lead, lead_id).stage == "settled"
    lease = session.scalar(select(Lease).where(Lease.building_id == scene["a"].id))
    assert sorted(u.label for u in lease.units) == ["6F-01", "6F-02"] and lease.start_date == date(2026, 11, 20)


def test_landing_in_let_units_is_refused_beside_the_field(login, scene, session):
    zs1 = login("zs1")
    lead = session.get(Lead, scene["mine"])
    lead.stage = "registered"
    session.commit()
    let = session.scalar(select(Unit).where(Unit.building_id == scene["b"].id))
    page = text(
        zs1.post(
            f"/leads/{lead.id}/land",
            data={
                "action": "submit",
                "building_id": scene["b"].id,
                "unit_ids": [let.id],
                "start_date": "2026-11-20",
                "uscc": "91210200241281392F",
            },
        )
    )
    assert "2F-01 在 2026-11-20 不是空置的" in page
    assert session.scalar(select(func.count()).select_from(MoveInRequest)) == 0


def test_admin_reassigns_and_merges(login, scene, session):
    admin = login("admin")
    zs2 = session.scalar(select(Lead.owner_id).where(Lead.id == scene["theirs"]))
    assert admin.post(f"/leads/{scene['mine']}/owner", data={"owner_id": zs2}).status_code == 302
    session.expire_all()
    assert session.get(Lead, scene["mine"]).owner_id == zs2
    assert admin.post(f"/leads/{scene['mine']}/merge", data={"other_id": scene["theirs"]}).status_code == 302
    session.expire_all()
    assert session.get(Lead, scene["theirs"]).merged_into_id == scene["mine"]
    page = text(admin.get(f"/leads/{scene['mine']}"))
    assert f"合并：项目 #{scene['theirs']}" in page and "负责人由 zs1 改为 zs2" in page


def test_dashboard_shows_the_funnel(login, scene):
    client = login("leader")
    page = text(client.get("/?month=2026-11"))  # the running month: today's state
    assert 'data-testid="pipeline-as-of">截至今日（2026-11-15）<' in page
    assert 'data-testid="funnel-contact">1<' in page and 'data-testid="funnel-visit">1<' in page
    assert 'data-testid="landed-month">0<' in page
    # October (the default month) ended before both leads were created on 11-01.
    page = text(client.get("/"))
    assert 'data-testid="pipeline-as-of">2026年10月末<' in page
    assert 'data-testid="funnel-contact">0<' in page and 'data-testid="funnel-visit">0<' in page
    # The deadline flags are today's work whatever the month, and say so.
    assert "跟进提醒 <small" in page and "截至今日（2026-11-15）" in page
