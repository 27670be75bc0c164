"""``crm cache warm``: run before the server starts, it keeps in the host's store what a first view
of the landing pages and of every building's pages would compute, so a worker's first view of a
building reads its parts instead of computing them; without a store or a leader it says why it
did nothing."""

from __future__ import annotations

from datetime import date

import pytest

import crm.cache as figure_cache
import crm.views.buildings as building_views
from tests import factories as f


@pytest.fixture()
def scene(session):
    b = f.building(session, "A01")
    unit = f.unit(session, b, 3, "01", 100)
    f.unit(session, b, 3, "02", 300)
    tenant = f.company(session, "大连预热测试有限公司")
    f.lease(session, tenant, b, [unit], date(2026, 1, 1))
    f.tax(session, tenant, "2026-09", 50_000, building=b)
    f.user(session, "ld", "leader")
    f.user(session, "ly", "manager", buildings=[b])
    session.commit()
    return b


def test_a_first_view_after_the_warm_reads_the_buildings_parts(app, session, scene, login, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", str(tmp_path))
    result = app.test_cli_runner().invoke(args=["cache", "warm"])
    assert result.exit_code == 0 and "已预热 6 个页面" in result.output  # 4 landing pages, the building and its tax
    assert list(tmp_path.glob("*/*.pickle"))

    figure_cache.clear()  # a worker started after the warm: its own memory, the same disk

    def computed(*args, **kwargs):
        raise AssertionError("the building's bridges were computed again")

    monkeypatch.setattr(building_views, "bridge_rows", computed)
    page = login("ly").get("/buildings/A01")  # a manager: the space part is every reader's
    assert page.status_code == 200 and 'data-testid="stacking-plan"' in page.get_data(as_text=True)


def test_without_a_store_or_a_leader_the_warm_says_why_it_did_nothing(app, session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", "")
    result = app.test_cli_runner().invoke(args=["cache", "warm"])
    assert result.exit_code == 0 and "未预热：未配置共享缓存目录" in result.output

    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", str(tmp_path))
    f.user(session, "ld", "leader").must_change_password = True
    session.commit()
    result = app.test_cli_runner().invoke(args=["cache", "warm"])
    assert "未预热：没有可用的领导账号" in result.output and not list(tmp_path.glob("*/*"))
