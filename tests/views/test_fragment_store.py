"""The parts of a building page that one worker rendered are served to the others from disk, and
only while the data is unchanged: a later lease shows at once, an empty database stores nothing,
and the directory keeps to its budget by dropping the oldest parts."""
from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone

import pytest
import time_machine

from crm.services import figure_cache, fragment_store
from tests import factories as f


@pytest.fixture()
def store(app, tmp_path):
    app.config["FRAGMENT_CACHE_DIR"] = str(tmp_path / "fragments")
    figure_cache.clear()
    yield tmp_path / "fragments"
    app.config["FRAGMENT_CACHE_DIR"] = ""
    figure_cache.clear()


@pytest.fixture()
def tower(session):
    b = f.building(session, "A01", name="共享缓存大厦")
    units = [f.unit(session, b, 5, "01", 120), f.unit(session, b, 5, "02", 80)]
    first = f.company(session, "大连先入驻有限公司")
    f.lease(session, first, b, [units[0]], date(2026, 1, 1))
    f.tax(session, first, "2026-09", 40_000, building=b)  # the tax roll-up gives the tax token
    f.user(session, "leader", "leader")
    session.commit()
    return {"building": b, "units": units}


def test_another_worker_gets_the_parts_from_disk_without_rendering(login, tower, store, monkeypatch):
    client = login("leader")
    first = client.get("/buildings/A01?month=2026-10").get_data(as_text=True)
    assert "大连先入驻有限公司" in first
    assert len(list(store.glob("*/*.json"))) == 1

    figure_cache.clear()  # a worker that has never rendered this building

    def no_rendering(*args, **kwargs):
        raise AssertionError("the parts should have come from the store")

    monkeypatch.setattr("crm.views.buildings.unit_states", no_rendering)
    second = client.get("/buildings/A01?month=2026-10").get_data(as_text=True)
    assert "大连先入驻有限公司" in second and "共享缓存大厦" in second
    assert re.search(r'id="chart-data">(.*?)</script>', second).group(1) == \
        re.search(r'id="chart-data">(.*?)</script>', first).group(1)


def test_a_new_lease_is_seen_at_once_by_every_worker(login, tower, store, session):
    client = login("leader")
    assert "大连后入驻有限公司" not in client.get("/buildings/A01?month=2026-10").get_data(as_text=True)
    f.lease(session, f.company(session, "大连后入驻有限公司"), tower["building"], [tower["units"][1]], date(2026, 2, 1))
    session.commit()
    figure_cache.clear()  # whichever worker serves the next view
    assert "大连后入驻有限公司" in client.get("/buildings/A01?month=2026-10").get_data(as_text=True)
    assert len(list(store.glob("*/*.json"))) == 2  # the old part stays until pruned, under its old name


def test_nothing_is_stored_for_a_database_without_data_versions(app, session, store):
    with app.test_request_context():
        parts = fragment_store.shared_parts(session, ("occupancy",), ("part", 1), lambda: {"html": "无版本"})
    assert parts == {"html": "无版本"}
    assert not store.exists() or not list(store.glob("*/*.json"))


def test_pruning_drops_the_oldest_parts_down_to_three_quarters_of_the_budget(tmp_path):
    for index in range(8):
        part = tmp_path / "ab" / f"{index:064x}.json"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(b"x" * 1000)
        os.utime(part, (1_700_000_000 + index, 1_700_000_000 + index))
    assert fragment_store.prune(tmp_path, budget=10_000) == 0  # 8 KB is within 10 KB
    assert fragment_store.prune(tmp_path, budget=6_000) == 4   # down to 4.5 KB: the four oldest go
    left = sorted(p.name for p in tmp_path.glob("*/*.json"))
    assert left == [f"{index:064x}.json" for index in range(4, 8)]


def test_the_candidate_pdf_is_built_once_for_every_worker(login, session, store, monkeypatch):
    from tests import candidate_district as district

    district.build(session)
    session.commit()
    clock = time_machine.travel(datetime.now(timezone.utc).replace(second=5, microsecond=0), tick=False)
    clock.start()  # both downloads in the same minute, whatever the real clock does
    client = login("leader")
    first = client.get("/reports/candidates.pdf?year=2026&as_of=2026-06")
    assert first.status_code == 200 and first.data.startswith(b"%PDF"), first.headers.get("Location")

    figure_cache.clear()  # another worker, in the same minute

    def no_building(*args, **kwargs):
        raise AssertionError("the PDF should have come from the store")

    monkeypatch.setattr("crm.reports.candidates.build_candidates_pdf", no_building)
    second = client.get("/reports/candidates.pdf?year=2026&as_of=2026-06")
    clock.stop()
    assert second.data == first.data
