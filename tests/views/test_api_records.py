"""The integration API's records: units, companies, leases and tax — real numbers from the
database, each caller scoped as on the pages, bad parameters named."""

from __future__ import annotations


def test_units_of_a_building_with_status_and_ids(caller, world):
    body = caller("zs1").get("/api/v1/buildings/A01/units").get_json()
    assert body["building"] == {"code": "A01", "name": "甲大厦"} and body["on"] == "2026-11-15"
    by_label = {u["label"]: u for u in body["items"]}
    assert by_label["3F-01"] == {
        "id": world["vacant"].id,
        "floor": 3,
        "number": "01",
        "label": "3F-01",
        "area": 100.0,
        "status": "vacant",
        "self_use": False,
        "self_use_period": None,
        "reserved_until": None,
        "lease": None,
    }
    let = by_label["3F-02"]
    assert let["status"] == "occupied" and let["area"] == 200.0
    assert let["lease"] == {
        "id": world["lease_a"].id,
        "company": {"id": world["tenant_a"].id, "name": "甲租户有限公司"},
        "start_date": "2025-01-01",
        "end_date": "2027-12-31",
    }
    vacant = caller("zs1").get("/api/v1/buildings/A01/units?status=vacant").get_json()["items"]
    assert [u["label"] for u in vacant] == ["3F-01"]
    # B01's unit was let until 2026-06-30: occupied in March, vacant today
    assert (
        caller("admin").get("/api/v1/buildings/B01/units?on=2026-03-01").get_json()["items"][0]["status"] == "occupied"
    )
    assert caller("admin").get("/api/v1/buildings/B01/units").get_json()["items"][0]["status"] == "vacant"


def test_units_are_scoped_and_checked(caller, world):
    assert caller("ly").get("/api/v1/buildings/A01/units").status_code == 200
    assert caller("ly2").get("/api/v1/buildings/A01/units").status_code == 403
    assert caller("ly").get("/api/v1/buildings/NOPE/units").status_code == 404
    response = caller("ly").get("/api/v1/buildings/A01/units?on=2026-13-01")
    assert response.status_code == 400 and response.get_json()["field"] == "on"
    assert "YYYY-MM-DD" in response.get_json()["error"]
    assert caller("ly").get("/api/v1/buildings/A01/units?status=let").get_json()["field"] == "status"


def test_companies_page_filters_and_scope(caller, world):
    body = caller("leader").get("/api/v1/companies?per_page=1").get_json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (2, 2, 1, 1)
    assert [c["name"] for c in body["items"]] == ["乙租户有限公司"]  # by name: 乙 (U+4E59) before 甲 (U+7532)
    second = caller("leader").get("/api/v1/companies?per_page=1&page=2").get_json()["items"][0]
    assert second["name"] == "甲租户有限公司" and second["buildings"] == [{"code": "A01", "name": "甲大厦"}]
    assert second["industry_group"] == "金融服务" and second["registered_in_district"] is True
    finance = caller("leader").get("/api/v1/companies?industry_group=金融服务").get_json()
    assert [c["name"] for c in finance["items"]] == ["甲租户有限公司"]
    mine = caller("ly").get("/api/v1/companies").get_json()
    assert mine["total"] == 1 and mine["items"][0]["name"] == "甲租户有限公司"


def test_companies_refuse_bad_parameters_by_name(caller, world):
    for query, field in [
        ("per_page=500", "per_page"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("industry_group=农业", "industry_group"),
        ("sort=size", "sort"),
        ("registered=maybe", "registered"),
    ]:
        response = caller("leader").get(f"/api/v1/companies?{query}")
        assert response.status_code == 400 and response.get_json()["field"] == field, query
        assert field in response.get_json()["error"]


def test_one_company_with_leases_and_tax(caller, world):
    body = caller("zs1").get(f"/api/v1/companies/{world['tenant_a'].id}").get_json()
    assert body["name"] == "甲租户有限公司" and body["contact_name"] == "王经理"
    assert [(lease["id"], lease["area"], lease["active"]) for lease in body["leases"]] == [
        (world["lease_a"].id, 200.0, True)
    ]
    assert body["tax"] == [
        {
            "month": "2026-02",
            "total_tax": 2000000.0,
            "district_tax": 600000.0,
            "building": {"code": "A01", "name": "甲大厦"},
        },
        {
            "month": "2026-01",
            "total_tax": 1000000.0,
            "district_tax": 300000.0,
            "building": {"code": "A01", "name": "甲大厦"},
        },
    ]
    assert caller("ly").get(f"/api/v1/companies/{world['tenant_a'].id}").status_code == 200
    assert caller("ly2").get(f"/api/v1/companies/{world['tenant_a'].id}").status_code == 403
    assert caller("ly2").get("/api/v1/companies/999999").status_code == 404
    assert caller("ly2").get("/api/v1/companies/99999999999").status_code == 404


def test_leases_of_a_building_or_company_active_on_a_day(caller, world):
    body = caller("leader").get("/api/v1/leases?building=A01").get_json()
    assert body["total"] == 1
    lease = body["items"][0]
    assert lease["company"]["name"] == "甲租户有限公司" and lease["units"][0]["label"] == "3F-02"
    assert (lease["area"], lease["start_date"], lease["end_date"], lease["moved_out_on"]) == (
        200.0,
        "2025-01-01",
        "2027-12-31",
        None,
    )
    of_b = f"/api/v1/leases?company={world['tenant_b'].id}"
    assert caller("leader").get(of_b).get_json()["items"][0]["active"] is False
    assert caller("leader").get(of_b + "&active_on=2026-03-01").get_json()["items"][0]["active"] is True
    assert caller("leader").get(of_b + "&active_on=2026-11-15").get_json()["total"] == 0
    assert caller("leader").get("/api/v1/leases?active_on=2026-03-01").get_json()["total"] == 2


def test_leases_are_scoped_to_a_managers_buildings(caller, world):
    assert [lease["building"]["code"] for lease in caller("ly").get("/api/v1/leases").get_json()["items"]] == ["A01"]
    assert caller("ly").get("/api/v1/leases?building=B01").status_code == 403
    assert caller("ly").get(f"/api/v1/leases?company={world['tenant_b'].id}").status_code == 403
    response = caller("ly").get("/api/v1/leases?active_on=yesterday")
    assert response.status_code == 400 and response.get_json()["field"] == "active_on"


def test_tax_per_building_over_a_range_of_months(caller, world):
    body = caller("zs1").get("/api/v1/tax/buildings?first=2026-01&last=2026-03").get_json()
    assert (body["first"], body["last"]) == ("2026-01", "2026-03")
    a, b = body["buildings"]
    assert (a["code"], a["total_tax"], a["district_tax"]) == ("A01", 3000000.0, 900000.0)
    assert a["months"] == [
        {"month": "2026-01", "total_tax": 1000000.0, "district_tax": 300000.0},
        {"month": "2026-02", "total_tax": 2000000.0, "district_tax": 600000.0},
        {"month": "2026-03", "total_tax": 0, "district_tax": 0},
    ]
    assert (b["code"], b["total_tax"], b["district_tax"]) == ("B01", 500000.0, 0)
    # the default range: January to the last complete month (2026-10)
    default = caller("zs1").get("/api/v1/tax/buildings").get_json()
    assert (default["first"], default["last"], len(default["buildings"][0]["months"])) == ("2026-01", "2026-10", 10)
    assert [row["code"] for row in caller("ly2").get("/api/v1/tax/buildings").get_json()["buildings"]] == ["B01"]


def test_tax_ranges_are_checked(caller, world):
    for query, field in [
        ("first=2026-05&last=2026-01", "first"),
        ("first=2020-01&last=2026-01", "first"),
        ("last=2026-13", "last"),
        ("first=January", "first"),
    ]:
        response = caller("leader").get(f"/api/v1/tax/buildings?{query}")
        assert response.status_code == 400 and response.get_json()["field"] == field, query


def test_district_monthly_tax_totals(caller, world):
    body = caller("leader").get("/api/v1/tax/district?first=2025-12&last=2026-02").get_json()
    assert (body["total_tax"], body["district_tax"]) == (3500000.0, 900000.0)
    assert [(m["month"], m["total_tax"]) for m in body["months"]] == [
        ("2025-12", 0),
        ("2026-01", 1500000.0),
        ("2026-02", 2000000.0),
    ]
    assert caller("ly").get("/api/v1/tax/district").status_code == 403


def test_building_tax_tab(caller, world):
    body = caller("ly").get("/api/v1/buildings/A01/tax?month=2026-02").get_json()
    assert body["month"] == "2026-02" and body["basis"] == "total" and len(body["months"]) == 24
    assert body["months"][-1] == {
        "month": "2026-02",
        "total_tax": 2000000.0,
        "district_tax": 600000.0,
        "total_tax_prev_year": 0,
        "yoy": None,
    }
    assert body["years"][0]["year"] == 2026 and body["years"][0]["total_tax"] == 3000000.0
    assert body["tenants"] == [
        {"company": {"id": world["tenant_a"].id, "name": "甲租户有限公司"}, "tax": 3000000.0, "share": 1.0}
    ]
    assert caller("ly2").get("/api/v1/buildings/A01/tax").status_code == 403
