"""The contract of ``crm.cache``: an answer from memory only while the data it derives from is
unchanged. A write in another session (standing in for another process), a change of a lease's
units alone, a tax record, a self-use period, an unsaved change and a rolled-back write are each
seen at the next call; a database without tokens caches nothing."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.models import Lease, Unit
import crm.cache as figure_cache
from crm.cache.versions import OCCUPANCY, TAX, tokens
from crm.services.figures import building_figures
from crm.services.tax import refresh_rollup
from tests import factories as f

MONTH = "2026-10"


@pytest.fixture()
def scene(session):
    b = f.building(session, "A01")
    u1, u2 = f.unit(session, b, 3, "01", 100), f.unit(session, b, 3, "02", 300)
    tenant = f.company(session, "大连缓存测试有限公司")
    lease = f.lease(session, tenant, b, [u1], date(2026, 1, 1))
    f.tax(session, tenant, "2026-09", 50_000, building=b)
    session.commit()
    return {"building": b, "units": (u1, u2), "lease": lease, "tenant": tenant}


def occupied(session) -> Decimal:
    return building_figures(session, MONTH)[0].occupancy.occupied_area


def test_a_write_committed_by_another_session_is_seen_at_once(session, scene):
    assert occupied(session) == Decimal("100")
    assert occupied(session) == Decimal("100")  # now from the cache
    lease_id, unit_id = scene["lease"].id, scene["units"][1].id
    session.commit()  # the reader's request ends (and with it SQLite's write lock)
    with Session(db.engine) as other:
        lease = other.get(Lease, lease_id)
        lease.units.append(other.get(Unit, unit_id))  # the units alone change
        other.commit()
    assert occupied(session) == Decimal("400")


def test_a_tax_rollup_is_seen_at_once(session, scene):
    assert building_figures(session, MONTH)[0].tax_ytd == Decimal("50000")
    f.tax(session, scene["tenant"], "2026-10", 7_000, building=scene["building"])
    assert building_figures(session, MONTH)[0].tax_ytd == Decimal("57000")


def test_a_rolled_back_write_leaves_no_trace(session, scene):
    before = occupied(session)
    scene["lease"].moved_out_on = date(2026, 3, 1)
    assert occupied(session) == Decimal("0")  # the writer sees its own change
    session.rollback()
    assert occupied(session) == before
    refresh_rollup(session)  # a new token after the rollback is not the rolled-back one
    assert occupied(session) == before


def test_the_cache_keeps_to_its_budget_dropping_the_least_recently_used(session, monkeypatch):
    figure_cache.clear()
    monkeypatch.setattr(figure_cache, "BUDGET_BYTES", 3_600)  # three parts of about 1.2 KB
    computed = []

    def part(name):
        def compute():
            computed.append(name)
            return {"html": "楼" * 500}  # about 1 KB

        return figure_cache.cached(session, (), ("part", name), compute)

    part("a"), part("b"), part("a"), part("c"), part("d")  # "b" is the least recently used when "d" comes
    part("a"), part("b")
    assert computed == ["a", "b", "c", "d", "b"]
    assert figure_cache._weight_total <= 3_600


def test_a_setting_changed_by_another_session_is_seen_at_once(session):
    from crm.models.setting import Setting, all_settings

    session.add(Setting(key="candidate_threshold", value="40000000"))
    session.commit()
    assert all_settings(session)["candidate_threshold"] == "40000000"
    session.commit()
    assert all_settings(session)["candidate_threshold"] == "40000000"
    session.commit()
    with Session(db.engine) as other:  # another worker process saves the settings page
        other.get(Setting, "candidate_threshold").value = "30000000"
        other.commit()
    assert all_settings(session)["candidate_threshold"] == "30000000"


def test_pipeline_writes_by_another_session_are_seen_at_once(session):
    """The month's pipeline is kept under the pipeline's data version: a follow-up, a stage move
    and a change of a lead's target buildings alone, each committed elsewhere, show at once."""
    from crm.models import Building, FollowUp, Lead
    from crm.services.leads import move_stage
    from crm.services.pipeline import as_of, pipeline_month, pipeline_potentials

    today = date(2026, 11, 15)
    a, b = f.building(session, "A01"), f.building(session, "B01")
    zs = f.user(session, "zs", "promoter")
    lead = f.lead(
        session,
        zs,
        "缓存项目",
        stage="contact",
        created_on=date(2026, 11, 1),
        expected_annual_tax=Decimal("1000000"),
        target_buildings=[a],
    )
    session.commit()
    ids = {"lead": lead.id, "zs": zs.id, "b": b.id}

    def figures():
        month = pipeline_month(session, "2026-11", today)
        return (
            {s.stage: s.count for s in month.funnel if s.count},
            month.followups,
            pipeline_potentials(session, as_of("2026-11", today)),
        )

    assert figures() == ({"contact": 1}, 0, {a.id: Decimal("200000.00")})
    assert figures() == ({"contact": 1}, 0, {a.id: Decimal("200000.00")})  # now from the cache
    session.commit()
    with Session(db.engine) as other:
        other.add(FollowUp(lead_id=ids["lead"], author_id=ids["zs"], on=today, method="电话", notes="回访"))
        other.commit()
    assert figures()[1] == 1
    session.commit()
    with Session(db.engine) as other:
        moved = other.get(Lead, ids["lead"])
        move_stage(other, moved, "visit", moved.owner, today)
        other.commit()
    assert figures()[0] == {"visit": 1}
    session.commit()
    with Session(db.engine) as other:
        aimed = other.get(Lead, ids["lead"])
        aimed.target_buildings.append(other.get(Building, ids["b"]))  # the targets alone
        other.commit()
    assert figures()[2] == {a.id: Decimal("175000.00"), b.id: Decimal("175000.00")}  # 1,000,000 × 35 % ÷ 2


def occupied_in(session, unit_building, period=MONTH) -> Decimal:
    from crm.services.snapshots import occupancy_for_months

    return occupancy_for_months(session, [period])[(unit_building.id, period)].occupied_area


def test_an_unsaved_change_asked_before_any_flush_is_seen(session, scene):
    """The tokens were read earlier in the transaction; the change is still only in the session."""
    assert occupied_in(session, scene["building"]) == Decimal("100")  # cached under today's tokens
    scene["lease"].moved_out_on = date(2026, 3, 1)
    assert occupied_in(session, scene["building"]) == Decimal("0")


def test_a_figure_computed_from_an_unsaved_change_is_gone_after_the_rollback(session, scene):
    figure_cache.clear()
    session.commit()
    tokens(session)  # remembered before the change, as a page does
    scene["lease"].moved_out_on = date(2026, 3, 1)
    assert occupied_in(session, scene["building"]) == Decimal("0")  # a miss: computed after the autoflush
    session.rollback()
    assert occupied_in(session, scene["building"]) == Decimal("100")  # the next request


def test_a_tax_record_written_alone_renews_the_tax_token(session, scene):
    from crm.models import TaxRecord

    before = tokens(session)[TAX]
    session.add(TaxRecord(company=scene["tenant"], period="2026-08", total_tax=Decimal("1")))
    session.flush()  # no roll-up
    assert tokens(session)[TAX] != before


def test_a_self_use_period_renews_the_occupancy_token(session, scene):
    from crm.models import UnitSelfUse

    before = tokens(session)[OCCUPANCY]
    session.add(UnitSelfUse(unit=scene["units"][1], start_date=date(2026, 2, 1)))
    session.commit()
    assert tokens(session)[OCCUPANCY] != before


def test_a_bulk_statement_renews_its_kinds_token(session, scene):
    from sqlalchemy import update

    before = tokens(session)[OCCUPANCY]
    session.execute(update(Lease.__table__).values(end_date=date(2026, 12, 31)))
    assert tokens(session)[OCCUPANCY] != before


def test_nothing_is_kept_while_a_kind_has_no_token(session):
    from crm.models import DataVersion

    session.query(DataVersion).delete()
    session.commit()
    computed = []
    for _ in range(2):
        figure_cache.cached(session, (OCCUPANCY,), ("tokenless",), lambda: computed.append(1))
    assert len(computed) == 2


def plans_stored(directory) -> list:
    """The page parts in the host's store (the figures they derive from are stored beside them)."""
    entries = [pickle.loads(path.read_bytes()) for path in directory.glob("*/*.pickle")]
    return [entry for entry in entries if isinstance(entry, dict) and "plan" in entry]


def test_page_parts_are_shared_by_the_processes_of_a_host_until_a_write(app, session, scene, tmp_path, monkeypatch):
    from crm.cache.fragments import cached_fragments

    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", str(tmp_path))
    renders = []

    def part():
        renders.append(1)
        return {"plan": f"<p>{occupied(session)} m²</p>"}

    def page():
        return cached_fragments("test-plan", (OCCUPANCY,), ("A01", MONTH), part)["plan"]

    assert page() == "<p>100.00 m²</p>" and len(renders) == 1
    figure_cache.clear()  # another worker process: its own memory, the same disk
    assert page() == "<p>100.00 m²</p>" and len(renders) == 1
    stored = len(plans_stored(tmp_path))
    scene["lease"].units.append(scene["units"][1])  # unsaved: rendered, not stored
    assert page() == "<p>400.00 m²</p>" and len(plans_stored(tmp_path)) == stored
    session.commit()
    figure_cache.clear()
    assert page() == "<p>400.00 m²</p>" and len(renders) == 3
    assert len(plans_stored(tmp_path)) == stored + 1


def test_a_building_takes_its_share_of_the_district_figures_kept_and_never_a_stale_one(session, scene):
    from crm.services.snapshots import _month_figures, occupancy_for_months

    building = scene["building"]
    other = f.building(session, "A02")
    f.lease(
        session,
        f.company(session, "大连另一楼宇有限公司"),
        other,
        [f.unit(session, other, 1, "01", 50)],
        date(2026, 1, 1),
    )
    session.commit()
    figure_cache.clear()
    assert _month_figures.kept(session, (MONTH,), None) is None  # a look computes nothing
    alone = occupancy_for_months(session, [MONTH], [building.id])
    district = occupancy_for_months(session, [MONTH])  # the district's figures, now kept
    assert set(district) == {(building.id, MONTH), (other.id, MONTH)}
    assert (
        occupancy_for_months(session, [MONTH], [building.id])
        == alone
        == {(building.id, MONTH): district[(building.id, MONTH)]}
    )
    # A move-out renews the token: the kept district entry no longer answers for the building.
    scene["lease"].moved_out_on = date(2026, 3, 1)
    session.commit()
    assert occupancy_for_months(session, [MONTH], [building.id])[(building.id, MONTH)].occupied_area == Decimal("0")


def test_figures_computed_by_one_process_are_read_by_the_others_until_a_write(
    app, session, scene, tmp_path, monkeypatch
):
    from crm.services import snapshots

    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", str(tmp_path))
    building = scene["building"]
    assert occupied_in(session, building) == Decimal("100")
    figure_cache.clear()  # another worker process: its own memory, the same disk

    def recomputed(*args, **kwargs):
        raise AssertionError("computed again: the stored figures were not read")

    with monkeypatch.context() as patch:
        patch.setattr(snapshots, "occupancy_on_days", recomputed)
        assert snapshots._month_figures.kept(session, (MONTH,), None) is not None  # a look reads the store too
        assert occupied_in(session, building) == Decimal("100")
    scene["lease"].moved_out_on = date(2026, 3, 1)
    session.commit()
    figure_cache.clear()
    assert occupied_in(session, building) == Decimal("0")  # a new token: computed, not read


def test_a_figure_that_cannot_be_stored_is_still_answered(app, session, scene, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FRAGMENT_CACHE_DIR", str(tmp_path))
    figure = figure_cache.cached(session, (OCCUPANCY,), ("unpicklable",), lambda: lambda: 42, shared=True)
    assert figure() == 42
    assert list(tmp_path.glob("*/*.pickle")) == []  # kept in this process only
    assert figure_cache.cached(session, (OCCUPANCY,), ("unpicklable",), lambda: None, shared=True) is figure
