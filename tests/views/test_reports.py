"""/reports with the 亿元楼 candidates, its PDF, the JSON API, the CLI and the admin's settings."""

from __future__ import annotations

import json

import pytest

from crm.models import Setting
from tests import candidate_district as district


@pytest.fixture()
def data(session):
    return district.build(session)


def test_leader_sees_the_ranked_candidates(login, data):
    page = login("leader").get("/reports?year=2026&as_of=2026-06").get_data(as_text=True)
    assert 'data-testid="candidates-table"' in page and 'data-testid="yi-buildings"' in page
    assert page.index("乙大厦") < page.index("甲大厦") < page.index("己大厦") < page.index("丙大厦")
    for row in district.EXPECTED["candidates"]:
        assert f'data-testid="verdict">{row["verdict"]}<' in page
    assert "1.08 亿元" in page and "已超 800.0" in page  # A's projection (¥100 m and more in 亿元) and gap in 万元
    assert "/reports/candidates.pdf?year=2026&amp;as_of=2026-06" in page
    assert "调整门槛与口径" not in page  # a leader changes nothing


def test_default_is_the_latest_month_with_data(login, data):
    page = login("admin").get("/reports").get_data(as_text=True)
    assert "数据截至 2026年6月" in page and "调整门槛与口径" in page


def test_a_year_without_data_says_so(login, data):
    page = login("leader").get("/reports?year=2031").get_data(as_text=True)
    assert 'data-testid="candidates-error">没有 2031年 的税收数据' in page


@pytest.mark.parametrize("username", ["zs", "ly"])
def test_promoters_and_managers_may_not_see_the_candidate_list(login, data, username):
    client = login(username)
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/candidates.pdf?year=2026").status_code == 403
    assert client.get("/api/v1/reports/candidates?year=2026").status_code == 403


def test_anonymous_api_is_401(client, data):
    assert client.get("/api/v1/reports/candidates?year=2026").status_code == 401


def test_api_returns_exactly_the_contract(login, data):
    got = login("leader").get("/api/v1/reports/candidates?year=2026&as_of=2026-06").get_json()
    want = district.EXPECTED
    assert set(got) == {
        "year",
        "as_of",
        "basis",
        "threshold",
        "candidate_threshold",
        "prev_year_label",
        "yi_buildings",
        "candidates",
    }
    scalars = ("year", "as_of", "basis", "threshold", "candidate_threshold", "prev_year_label")
    assert {k: got[k] for k in scalars} == {k: want[k] for k in scalars}
    assert got["yi_buildings"] == want["yi_buildings"]
    for g, w in zip(got["candidates"], want["candidates"], strict=True):
        assert set(g) == set(w)
        for key, value in w.items():
            assert g[key] == (pytest.approx(value, abs=0.005) if isinstance(value, float) else value), (w["code"], key)


def test_api_refusals(login, data):
    client = login("leader")
    missing = client.get("/api/v1/reports/candidates?year=2031")
    assert missing.status_code == 404 and missing.get_json()["error"] == "没有 2031年 的税收数据"
    month = client.get("/api/v1/reports/candidates?year=2026&as_of=2026-08")
    assert month.status_code == 404 and "没有 2026年8月 的税收数据" in month.get_json()["error"]
    assert client.get("/api/v1/reports/candidates?year=20x6").status_code == 400


def test_pdf_download_and_no_empty_pdf(login, data):
    client = login("leader")
    response = client.get("/reports/candidates.pdf?year=2026&as_of=2026-06")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "candidates-2026-06.pdf" in response.headers["Content-Disposition"]
    refused = client.get("/reports/candidates.pdf?year=2031", follow_redirects=True)
    assert refused.mimetype == "text/html" and "没有 2031年 的税收数据" in refused.get_data(as_text=True)


def test_cli_writes_json_and_pdf(app, data, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "c.json"
    result = runner.invoke(args=["report", "candidates", "--year", "2026", "--as-of", "2026-06", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["candidates"][0]["projection"] == 108_000_000.0
    pdf = tmp_path / "c.pdf"
    result = runner.invoke(args=["report", "candidates", "--year", "2026", "--out", str(pdf)])
    assert result.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    result = runner.invoke(args=["report", "candidates", "--year", "2031", "--out", str(tmp_path / "none.pdf")])
    assert result.exit_code == 1 and "没有 2031年 的税收数据" in result.output
    assert not (tmp_path / "none.pdf").exists()
    result = runner.invoke(args=["report", "candidates", "--year", "2026", "--out", str(tmp_path / "c.txt")])
    assert result.exit_code == 1 and ".pdf 或 .json" in result.output


def test_admin_changes_thresholds_and_the_report_follows(login, data, session):
    client = login("admin")
    form = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="yi" required type="text" value="10000.00"' in form  # 亿元楼 in 万元
    assert 'name="candidate" required type="text" value="5000.00"' in form
    response = client.post(
        "/admin/settings",
        data={"basis": "total", "yi": "10000", "wuqianwan": "5000", "qianwan": "1000", "candidate": "8000"},
    )
    assert response.status_code == 302
    assert session.get(Setting, "candidate_threshold").value == "80000000.00"
    got = client.get("/api/v1/reports/candidates?year=2026&as_of=2026-06").get_json()
    assert got["candidate_threshold"] == 80_000_000.0 and [c["code"] for c in got["candidates"]] == ["A01", "F01"]


def test_bad_settings_are_refused_beside_the_field(login, data, session):
    client = login("admin")
    page = client.post(
        "/admin/settings",
        data={"basis": "total", "yi": "10000", "wuqianwan": "5000", "qianwan": "1000", "candidate": "12000"},
    ).get_data(as_text=True)
    assert "候选门槛不能高于亿元楼门槛" in page and 'value="12000"' in page
    page = client.post(
        "/admin/settings",
        data={"basis": "total", "yi": "10000", "wuqianwan": "5000", "qianwan": "6000", "candidate": "5000"},
    ).get_data(as_text=True)
    assert "千万楼门槛必须低于五千万楼门槛" in page
    page = client.post(
        "/admin/settings",
        data={"basis": "total", "yi": "abc", "wuqianwan": "5000", "qianwan": "1000", "candidate": "5000"},
    ).get_data(as_text=True)
    assert "is-invalid" in page
    session.expire_all()
    assert session.get(Setting, "candidate_threshold") is None and session.get(Setting, "tier_qianwan") is None


def test_only_the_admin_opens_settings(login, data):
    assert login("leader").get("/admin/settings").status_code == 403


def test_the_month_box_shows_the_month_the_report_is_as_of(login, data):
    client = login("leader")
    # No month asked for: the subtitle names the latest month with data, and so does the box.
    page = client.get("/reports").get_data(as_text=True)
    assert "数据截至 2026年6月" in page
    assert 'id="cand-as-of" name="as_of" value="2026-06"' in page and 'min="2026-01" max="2026-12"' in page
    page = client.get("/reports?year=2026&as_of=2026-03").get_data(as_text=True)
    assert "数据截至 2026年3月" in page and 'name="as_of" value="2026-03"' in page
    # A refused month stays in the box as typed, beside the message.
    page = client.get("/reports?year=2031&as_of=2031-02").get_data(as_text=True)
    assert 'data-testid="candidates-error"' in page and 'name="as_of" value="2031-02"' in page
