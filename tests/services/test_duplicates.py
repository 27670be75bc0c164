"""The duplicate guard (normalised names, USCC, active leads and current tenants) and merging."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, insert, select

from crm.models import FollowUp, Lead, LeadStageChange
from crm.services import leads
from crm.services.duplicates import DuplicateIndex, DuplicatesFound, find_duplicates, merge_leads, normalise_name
from crm.services.errors import DomainError
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.mark.parametrize(
    "a, b",
    [
        ("大连蓝港数据科技有限公司", "大连蓝港数据科技有限责任公司"),
        ("华信（大连）软件股份有限公司", "华信软件"),
        ("华信(大连)软件有限公司", "华信 软件 集团"),
        ("ABC Logistics 有限公司", "abclogistics"),
    ],
)
def test_names_normalise_alike(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_normalised_names_differ_for_different_companies():
    assert normalise_name("大连华信软件有限公司") != normalise_name("华信软件有限公司")


@pytest.fixture()
def scene(session):
    zs1, zs2 = f.user(session, "zs1", "promoter"), f.user(session, "zs2", "promoter")
    b = f.building(session, "XG01", "森茂大厦")
    u = f.unit(session, b, 3, "01", 200)
    tenant = f.company(session, "大连鼎盛国际贸易有限公司")
    f.lease(session, tenant, b, [u], date(2025, 1, 1), date(2027, 12, 31))
    gone = f.company(session, "大连已迁出贸易有限公司")
    f.lease(session, gone, b, [f.unit(session, b, 3, "02", 100)], date(2020, 1, 1), date(2025, 12, 31))
    lead = f.lead(session, zs2, "华信（大连）软件有限公司", stage="visit", uscc="91210200241281392F")
    f.lead(session, zs2, "退出的软件有限公司", stage="lost")
    return {"zs1": zs1, "zs2": zs2, "lead": lead, "tenant": tenant}


def test_matches_active_leads_and_current_tenants_with_owner(session, scene):
    by_name = find_duplicates(session, "华信软件有限责任公司", None, TODAY)
    assert [(m.kind, m.id, m.owner, m.by_uscc) for m in by_name] == [("lead", scene["lead"].id, "zs2", False)]
    assert "负责人 zs2" in by_name[0].description and "考察" in by_name[0].description
    by_uscc = find_duplicates(session, "完全不同的名字", "91210200241281392F", TODAY)
    assert [(m.kind, m.by_uscc) for m in by_uscc] == [("lead", True)]
    tenant = find_duplicates(session, "大连鼎盛国际贸易股份有限公司", None, TODAY)
    assert [(m.kind, m.buildings) for m in tenant] == [("tenant", "森茂大厦")]
    assert find_duplicates(session, "大连已迁出贸易有限公司", None, TODAY) == []  # no longer a tenant
    assert find_duplicates(session, "退出的软件有限公司", None, TODAY) == []  # lost is not active


def test_create_shows_matches_before_saving_and_saves_when_confirmed(session, scene):
    data = leads.LeadInput(company_name="华信软件有限公司", source="网络")
    with pytest.raises(DuplicatesFound) as found:
        leads.create_lead(session, data, scene["zs1"], TODAY)
    assert found.value.matches[0].owner == "zs2" and "负责人 zs2" in found.value.message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Lead).where(Lead.owner_id == scene["zs1"].id)) == 0
    lead = leads.create_lead(session, data, scene["zs1"], TODAY, confirm_duplicate=True)
    assert lead.id is not None


def test_admin_merge_moves_followups_and_records_history(session):
    zs1, zs2, admin = (f.user(session, n, r) for n, r in [("zs1", "promoter"), ("zs2", "promoter"), ("admin", "admin")])
    b1, b2 = f.building(session, "XG01"), f.building(session, "XG02")
    keep = f.lead(session, zs1, "甲公司", stage="visit", target_buildings=[b1], last_followup_on=date(2026, 11, 1))
    drop = f.lead(
        session,
        zs2,
        "甲公司有限公司",
        stage="contact",
        target_buildings=[b2],
        uscc="91310110666007217T",
        last_followup_on=date(2026, 11, 10),
    )
    for day in (date(2026, 11, 5), date(2026, 11, 10)):
        session.add(FollowUp(lead=drop, author=zs2, on=day, method="电话", notes="沟通"))
    session.flush()
    merge_leads(session, keep, drop, admin, TODAY)
    assert session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.lead_id == keep.id)) == 2
    assert keep.uscc == "91310110666007217T" and keep.last_followup_on == date(2026, 11, 10)
    assert [b.code for b in keep.target_buildings] == ["XG01", "XG02"]
    assert drop.stage == "lost" and drop.merged_into_id == keep.id and "已合并至项目" in drop.lost_reason
    notes = list(
        session.scalars(
            select(LeadStageChange.note).where(LeadStageChange.user_id == admin.id).order_by(LeadStageChange.id)
        )
    )
    assert notes[0].startswith(f"合并：项目 #{drop.id}") and "转入跟进记录 2 条" in notes[0]
    assert notes[1].startswith(f"已合并至项目 #{keep.id}")
    with pytest.raises(DomainError, match="已合并"):
        merge_leads(session, keep, drop, admin, TODAY)
    with pytest.raises(DomainError, match="自己"):
        merge_leads(session, keep, keep, admin, TODAY)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("华信（大连）软件有限公司", "华信(大连)软件有限责任公司"),  # full-width and half-width brackets
        ("ＡＢＣ物流有限公司", "abc 物流 有限公司"),  # full-width letters and spaces
        ("大连蓝港\u3000数据科技集团股份有限公司", "大连蓝港数据科技"),  # ideographic space, legal forms
    ],
)
def test_a_name_typed_in_any_form_finds_the_stored_one(session, typed, stored):
    owner = f.user(session, "zs", "promoter")
    lead = f.lead(session, owner, stored, stage="contact")
    assert lead.company_name == stored  # names are stored exactly as typed
    assert [m.id for m in find_duplicates(session, typed, None, TODAY)] == [lead.id]


def test_the_stored_key_follows_a_renamed_lead_and_company(session, scene):
    scene["lead"].company_name = "新港物流有限公司"
    scene["tenant"].name = "大连鼎盛新贸易有限公司"
    session.flush()
    assert [m.kind for m in find_duplicates(session, "新港物流", None, TODAY)] == ["lead"]
    assert [m.kind for m in find_duplicates(session, "大连鼎盛新贸易", None, TODAY)] == ["tenant"]
    assert find_duplicates(session, "华信软件", None, TODAY) == []


def count_statements(session, call) -> int:
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def test_the_duplicate_check_of_a_file_costs_the_same_statements_however_many_leads_are_stored(session, scene):
    names = [f"待查企业{i}有限公司" for i in range(300)]
    codes = [f.make_uscc(900_000 + i) for i in range(300)]  # beyond what the factories hand out

    def check_file():
        index = DuplicateIndex.load(session, map(normalise_name, names), codes, TODAY)
        return [index.matches(normalise_name(n), c) for n, c in zip(names, codes)]

    few = count_statements(session, check_file)
    owner = scene["zs1"]
    session.execute(
        insert(Lead),
        [
            dict(
                company_name=f"存量企业{i}有限公司",
                source="上门",
                owner_id=owner.id,
                stage="contact",
                created_on=TODAY,
                hq_type="none",
                priority="normal",
            )
            for i in range(2000)
        ],
    )
    session.add(
        Lead(
            company_name="待查企业7（大连）有限公司", source="上门", owner_id=owner.id, stage="visit", created_on=TODAY
        )
    )
    session.flush()
    assert count_statements(session, check_file) == few
    found = check_file()
    assert [len(m) for m in found].count(1) == 1 and found[7][0].name == "待查企业7（大连）有限公司"
    # Rows written in bulk (imports, the demo) get their key from the column default.
    assert [m.name for m in find_duplicates(session, "存量企业1999", None, TODAY)] == ["存量企业1999有限公司"]


def test_an_exact_same_name_with_full_width_brackets_is_caught_and_stored_as_typed(session, scene):
    """A name typed the way the licence prints it (full-width brackets) is stored exactly so, and
    typing it again — or a variant with half-width brackets, spaces or the longer legal form —
    is caught as the same company."""
    typed_name = "东祥教育咨询（广州）有限公司"
    first = leads.create_lead(session, leads.LeadInput(company_name=typed_name, source="网络"), scene["zs1"], TODAY)
    session.flush()
    assert session.get(Lead, first.id).company_name == typed_name  # not rewritten to half-width
    for again in (typed_name, "东祥教育咨询(广州)有限公司", " 东祥教育 咨询（广州）有限责任公司 "):
        with pytest.raises(DuplicatesFound) as found:
            leads.create_lead(session, leads.LeadInput(company_name=again, source="网络"), scene["zs2"], TODAY)
        assert [(m.kind, m.id, m.name) for m in found.value.matches] == [("lead", first.id, typed_name)]
    assert session.scalar(select(func.count()).select_from(Lead).where(Lead.name_key == first.name_key)) == 1


def test_the_list_finds_a_name_stored_with_full_width_brackets_however_it_is_typed(session, scene):
    lead = leads.create_lead(
        session, leads.LeadInput(company_name="东祥教育咨询（广州）有限公司", source="网络"), scene["zs1"], TODAY
    )
    rules = leads.pipeline_rules(session)
    for query in ("咨询（广州）", "咨询(广州)"):
        found = leads.search_leads(session, leads.LeadFilters(q=query), TODAY, rules).leads
        assert [found_lead.id for found_lead in found] == [lead.id], query
