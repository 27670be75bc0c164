"""The briefing on /reports: an admin generates, leaders and admins list and download the archive;
a refused month is explained beside the field and nothing is written."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from crm.models import Briefing

try:
    from tests import briefing_month as month_scene
    from tests import factories as f
except ImportError:  # pragma: no cover
    import briefing_month as month_scene
    import factories as f


@pytest.fixture()
def scene(session):
    built = month_scene.build(session)
    f.user(session, "leader1", "leader")
    session.commit()
    return built


def briefing_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Briefing))


def test_empty_archive_says_what_happens_next(login, scene):
    page = login("leader1").get("/reports").get_data(as_text=True)
    assert 'id="briefings"' in page and "月度简报" in page
    assert "还没有归档的月度简报。每月 6 日系统自动生成上月简报并发送给领导和管理员。" in page
    assert 'data-testid="briefing-generate-form"' not in page  # a leader generates nothing


def test_admin_generates_then_leader_downloads_the_archived_pdf(app, login, scene, session):
    admin = login("admin1")
    page = admin.get("/reports").get_data(as_text=True)
    assert 'data-testid="briefing-generate-form"' in page and 'value="2026-10"' in page  # last complete month
    response = admin.post("/reports/briefings", data={"month": "2026-10"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports#briefings")
    session.expire_all()
    briefing = session.scalar(select(Briefing))
    assert (briefing.period, briefing.version, briefing.source, briefing.generated_by_id) == (
        "2026-10",
        1,
        "web",
        scene["admin"].id,
    )
    page = admin.get("/reports").get_data(as_text=True)
    assert "2026年10月月度简报已生成并归档" in page

    leader = app.test_client()
    leader.post("/login", data={"username": "leader1", "password": f.PASSWORD})
    page = leader.get("/reports").get_data(as_text=True)
    rows = re.findall(r'data-testid="briefing-row"', page)
    assert len(rows) == 1 and "第 1 版" in page and "admin1" in page and f"{briefing.pages}</td>" in page
    assert "下载最新简报（2026年10月）" in page
    download = leader.get(f"/reports/briefings/{briefing.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == briefing.pdf and download.data.startswith(b"%PDF")
    disposition = unquote(download.headers["Content-Disposition"])
    assert disposition.startswith("attachment") and "西岗区商务楼宇经济月度简报-2026年10月.pdf" in disposition


def test_regenerating_keeps_the_old_version(login, scene, session):
    admin = login("admin1")
    admin.post("/reports/briefings", data={"month": "2026-10"})
    admin.post("/reports/briefings", data={"month": "2026-10"})
    assert briefing_count(session) == 2
    page = admin.get("/reports/briefings").get_data(as_text=True)
    assert page.count('data-testid="briefing-row"') == 2
    assert page.index("第 2 版") < page.index("第 1 版")  # newest first, marked latest
    assert page.count("最新</span>") == 1


@pytest.mark.parametrize(
    "month, message",
    [
        ("2026-11", "2026年11月尚未结束，月度简报要到 2026-12-01 起才能生成；最近可生成的是2026年10月"),
        ("2027-03", "2027年3月尚未到来，不能生成简报；最近可生成的是2026年10月"),
        ("2019-01", "2019年1月早于系统中最早的数据（2025年1月），无法生成简报"),
        ("十月", "月份格式不正确：&#39;十月&#39;，应为 YYYY-MM，例如 2026-10"),
    ],
)
def test_a_refused_month_is_explained_beside_the_field_and_nothing_is_written(login, scene, session, month, message):
    response = login("admin1").post("/reports/briefings", data={"month": month})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-testid="briefing-error">{message}</div>' in page
    assert f'value="{month}"' in page  # the month as typed
    assert briefing_count(session) == 0


def test_an_empty_month_is_asked_for(login, scene, session):
    page = login("admin1").post("/reports/briefings", data={"month": ""}).get_data(as_text=True)
    assert "请选择要生成简报的月份" in page and briefing_count(session) == 0


def test_an_unknown_briefing_is_not_found(login, scene):
    assert login("leader1").get("/reports/briefings/999/download").status_code == 404


@pytest.mark.parametrize("username", ["zs", "louyu-a"])
def test_promoters_and_managers_see_no_briefings(login, scene, session, username):
    session.add(Briefing(period="2026-10", version=1, source="schedule", size=9, pages=1, pdf=b"%PDF-1.4\n", data={}))
    session.commit()
    client = login(username)
    assert client.get("/reports/briefings").status_code == 403
    briefing_id = session.scalar(select(Briefing.id))
    assert client.get(f"/reports/briefings/{briefing_id}/download").status_code == 403
    assert client.post("/reports/briefings", data={"month": "2026-10"}).status_code == 403
    assert briefing_count(session) == 1


def test_the_reports_page_lists_the_latest_six_and_links_the_rest(login, scene, session):
    for index in range(8):
        session.add(
            Briefing(
                period=f"2026-{index + 1:02d}",
                version=1,
                source="schedule",
                size=2048,
                pages=9,
                pdf=b"%PDF-1.4\n",
                data={},
            )
        )
    session.commit()
    page = login("leader1").get("/reports").get_data(as_text=True)
    assert page.count('data-testid="briefing-row"') == 6 and "查看全部 8 份归档简报" in page
    assert "定时任务" in page and "2 KB" in page
    full = login("leader1").get("/reports/briefings").get_data(as_text=True)
    assert full.count('data-testid="briefing-row"') == 8
