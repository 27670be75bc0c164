"""Building profiles, photos, profile PDFs, stacking lenses and space proposals, as a user checks them."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from PIL import Image
from sqlalchemy import select

from crm.formats import money, wan
from crm.models import BuildingPhoto, BuildingProfile, SpaceProposal
from crm.services.errors import DomainError
from crm.space import lenses as LS
from crm.space import photos as PH
from tests import factories as f

TODAY = date(2026, 11, 15)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


# ------------------------------------------------------------------------------------------
# lenses: hand-computed buckets and quintiles


def test_expiry_buckets_by_calendar_months():
    day = date(2026, 11, 15)
    assert LS.expiry_bucket(None, day) == "exp-open"
    assert LS.expiry_bucket(date(2027, 2, 15), day) == "exp-3"  # exactly 3 months
    assert LS.expiry_bucket(date(2027, 2, 16), day) == "exp-6"
    assert LS.expiry_bucket(date(2027, 5, 15), day) == "exp-6"
    assert LS.expiry_bucket(date(2027, 11, 15), day) == "exp-12"
    assert LS.expiry_bucket(date(2027, 11, 16), day) == "exp-later"
    assert LS.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)  # no 30 February


def test_quintile_boundaries_by_nearest_rank():
    values = [Decimal(v) for v in range(1, 11)]  # 1…10: ranks ⌈2⌉, ⌈4⌉, ⌈6⌉, ⌈8⌉
    bounds = LS.quintile_bounds(values)
    assert bounds == [2, 4, 6, 8]
    assert [LS.quintile(Decimal(v), bounds) for v in (1, 2, 3, 4, 5, 8, 9, 10)] == [1, 1, 2, 2, 3, 4, 5, 5]
    assert LS.quintile_bounds([Decimal(7)]) == [7, 7, 7, 7]
    assert LS.quintile_bounds([]) == []


@pytest.fixture()
def lens_world(session):
    """One building, five tenants of 100 m² each paying 1…5 万元 over the last 12 months
    (tax per m² 100…500 元): the district's quintile boundaries are 100, 200, 300, 400."""
    b = f.building(session, "L01", floors=3)
    units, companies = [], []
    for i in range(1, 6):
        u = f.unit(session, b, floor=1 + (i - 1) // 3, number=f"0{i}", area="100")
        c = f.company(
            session, name=f"透镜企业{i}", registered=i % 2 == 1, industry_group="金融服务" if i == 1 else None
        )
        f.lease(
            session,
            c,
            b,
            [u],
            date(2025, 1, 1),
            [date(2027, 1, 31), date(2027, 4, 30), date(2027, 10, 31), date(2028, 6, 30), None][i - 1],
        )
        f.tax(session, c, "2026-06", i * 10000, building=b)
        units.append(u)
        companies.append(c)
    vacant = f.unit(session, b, floor=3, number="09", area="80")
    f.user(session, "admin", "admin")
    session.commit()
    return b, units, vacant


def unit_classes(html: str) -> dict[str, str]:
    """{unit number: the classes of its button} on a building page's plan."""
    found = {}
    for cls, number in re.findall(r'<button type="button" class="sp-unit ([^"]*)"[^>]*>(\w+)</button>', html):
        found[number] = cls
    return found


@pytest.mark.parametrize(
    "lens, expected",
    [
        ("expiry", {"01": "exp-3", "02": "exp-6", "03": "exp-12", "04": "exp-later", "05": "exp-open"}),
        ("tax", {"01": "tax-q1", "02": "tax-q2", "03": "tax-q3", "04": "tax-q4", "05": "tax-q5"}),
        ("registration", {"01": "reg-yes", "02": "reg-no", "03": "reg-yes", "04": "reg-no", "05": "reg-yes"}),
        ("industry", {"01": "ind-4", "02": "ind-none"}),
    ],
)
def test_building_page_lens_classes(lens_world, login, lens, expected):
    b, units, vacant = lens_world
    html = login("admin").get(f"/buildings/{b.code}?lens={lens}&month=2026-10").get_data(as_text=True)
    classes = unit_classes(html)
    for number, css in expected.items():
        assert css in classes[number].split(), (number, classes[number])
    assert "lens-mark" not in classes["09"]  # the vacant unit keeps its status colour, faded
    assert 'data-testid="lens-legend"' in html


def test_tax_lens_tooltip_shows_the_figure(lens_world, login):
    b, _, _ = lens_world
    html = login("admin").get(f"/buildings/{b.code}?lens=tax&month=2026-10").get_data(as_text=True)
    assert "透镜企业3" in html and "每平方米税收 300 元（全区第 3 档" in html


def test_district_stacking_filters_by_street(lens_world, login, session):
    other = f.building(session, "L02", street="白云")
    f.unit(session, other, floor=1, number="01")
    session.commit()
    client = login("admin")
    html = client.get("/stacking?lens=expiry&street=八一路").get_data(as_text=True)
    assert "L01" in html and "L02 " not in html and "exp-open" in html
    assert "L02" in client.get("/stacking").get_data(as_text=True)


def unit_tips(html: str, tag: str) -> dict[str, tuple[str, str]]:
    """{unit label: (status and lens classes, tooltip)} of every unit drawn as ``tag``."""
    found = {}
    for cls, title in re.findall(rf'<{tag} [^>]*class="sp-unit ([^"]*)"[^>]*title="([^"]*)"', html):
        keep = " ".join(c for c in cls.split() if c.startswith(("st-", "exp-", "tax-", "reg-", "ind-", "lens-", "sp-")))
        found[title.split(" · ")[0]] = (keep, title)
    return found


@pytest.mark.parametrize("lens", ["status", "expiry", "industry", "tax", "registration"])
def test_district_plan_shows_each_unit_as_the_building_page(lens_world, login, session, lens):
    b, units, vacant = lens_world
    f.unit(session, b, floor=3, number="10", area="60", self_use=True)
    f.unit(session, b, floor=3, number="11", area="40", reserved_until=date(2026, 12, 31))
    lapsed = f.unit(session, b, floor=2, number="12", area="70")
    f.lease(session, f.company(session, name="到期企业"), b, [lapsed], date(2024, 1, 1), date(2026, 6, 30))
    session.commit()
    client = login("admin")
    page = unit_tips(client.get(f"/buildings/{b.code}?lens={lens}").get_data(as_text=True), "button")
    district = unit_tips(client.get(f"/stacking?lens={lens}").get_data(as_text=True), "span")
    assert len(page) == 9 and district == page
    assert "自用" in page["3F-10"][1] and "到期未处置：到期企业" in page["2F-12"][1]


# ------------------------------------------------------------------------------------------
# photos


def jpeg_with_exif(width=3000, height=1500) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def test_reencoding_strips_exif_and_caps_the_long_side(tmp_path):
    original = jpeg_with_exif()
    assert b"SecretCameraMaker" in original
    stored = PH.store(str(tmp_path), original, "楼.jpg")
    data = open(PH.photo_path(str(tmp_path), stored.sha256), "rb").read()
    image = Image.open(io.BytesIO(data))
    assert (image.width, image.height) == (2000, 1000)
    assert b"SecretCameraMaker" not in data and not image.getexif()
    assert "exif" not in image.info


def test_bomb_refused_without_decoding(tmp_path, monkeypatch):
    def no_decoding(*_args, **_kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(DomainError) as refused:
        PH.store(str(tmp_path), png_declaring(50_000, 50_000), "bomb.png")
    assert "像素尺寸过大" in refused.value.message and "bomb.png" in refused.value.message
    assert not list(tmp_path.iterdir())


def test_non_image_and_oversized_refused(tmp_path):
    with pytest.raises(DomainError, match="不是有效的 JPEG、PNG 或 WebP 图片"):
        PH.store(str(tmp_path), b"%PDF-1.4 not a photo" * 10, "假图片.jpg")
    with pytest.raises(DomainError, match="超过 5 MB"):
        PH.store(str(tmp_path), b"\xff\xd8" + b"0" * (5 * 1024 * 1024), "大.jpg")


# ------------------------------------------------------------------------------------------
# profile page: who may edit


@pytest.fixture()
def profile_world(session):
    a, b = f.building(session, "P01", name="甲大厦"), f.building(session, "P02", name="乙大厦")
    f.unit(session, a, floor=5, number="01", area="321.5")
    let = f.unit(session, a, floor=6, number="01", area="200")
    tenant = f.company(session, name="保密租户有限公司")
    f.lease(session, tenant, a, [let], date(2024, 1, 1), date(2027, 12, 31))
    for period in ("2025-11", "2026-03", "2026-09"):
        f.tax(session, tenant, period, "1234567.89", building=a)
    f.user(session, "admin", "admin")
    f.user(session, "mine", "manager", [a])
    f.user(session, "theirs", "manager", [b])
    f.user(session, "promo", "promoter")
    session.commit()
    return a, tenant


FORM = {
    "description": "甲大厦简介",
    "transit": "地铁 2 号线",
    "parking": "200 个",
    "dining": "员工餐厅",
    "property_contact": "王经理 0411-8000 0000",
    "positioning": "金融科技",
    "policies": "租金补贴三年",
}


def test_manager_of_another_building_is_refused(profile_world, login, session):
    a, _ = profile_world
    assert login("theirs").post(f"/buildings/{a.code}/profile", data=FORM).status_code == 403
    assert session.scalar(select(BuildingProfile)) is None


def test_manager_of_the_building_edits_and_photo_uploads(profile_world, login, session):
    a, _ = profile_world
    client = login("mine")
    assert client.post(f"/buildings/{a.code}/profile", data=FORM).status_code == 302
    page = client.get(f"/buildings/{a.code}/profile").get_data(as_text=True)
    assert "甲大厦简介" in page and "王经理 0411-8000 0000" in page and "金融科技" in page
    upload = {"photo": (io.BytesIO(jpeg_with_exif(800, 600)), "外立面.jpg")}
    client.post(f"/buildings/{a.code}/profile/photos", data=upload, content_type="multipart/form-data")
    photo = session.scalar(select(BuildingPhoto))
    assert (photo.width, photo.height) == (800, 600)
    served = client.get(f"/buildings/{a.code}/photos/{photo.sha256}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and b"SecretCameraMaker" not in served.data
    bad = {"photo": (io.BytesIO(b"not an image at all"), "x.png")}
    page = client.post(
        f"/buildings/{a.code}/profile/photos", data=bad, content_type="multipart/form-data", follow_redirects=True
    ).get_data(as_text=True)
    assert "照片「x.png」不是有效的 JPEG、PNG 或 WebP 图片" in page
    assert session.scalar(select(BuildingPhoto).where(BuildingPhoto.id != photo.id)) is None


def test_too_long_field_is_named_and_kept(profile_world, login):
    a, _ = profile_world
    response = login("admin").post(f"/buildings/{a.code}/profile", data=dict(FORM, transit="站" * 301))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "「地铁/公交」最多 300 个字" in page and "甲大厦简介" in page


# ------------------------------------------------------------------------------------------
# the PDFs


def test_internal_pdf_has_the_figures(profile_world, login):
    a, tenant = profile_world
    text = pdf_text(login("promo").get(f"/buildings/{a.code}/profile/internal.pdf?month=2026-10").data)
    assert "甲大厦 楼宇画像（内部版）" in text
    assert "保密租户有限公司" in text  # among the ten largest taxpayers
    assert money(Decimal("2469135.78")) in text  # tax this year to date: March and September
    assert "登记办公面积" in text and "属地注册率" in text and "100,000 m²" in text


def test_external_pdf_has_no_tax_tenant_or_uscc(profile_world, login, session):
    a, tenant = profile_world
    client = login("admin")
    client.post(f"/buildings/{a.code}/profile", data=FORM)
    text = pdf_text(client.get(f"/buildings/{a.code}/profile/external.pdf").data)
    assert "甲大厦" in text and "租金补贴三年" in text and "321.50" in text and "5F" in text
    forbidden = [tenant.name, tenant.uscc, "万元", "入驻率"]
    for amount in (Decimal("1234567.89"), Decimal("2469135.78"), Decimal("3703703.67")):
        forbidden += [money(amount), wan(amount), f"{amount:,}", str(amount)]
    for value in forbidden:
        assert value not in text, value


def test_booklet_has_contents_with_page_numbers(profile_world, login):
    content = login("admin").get("/reports/booklet.pdf").data
    text = pdf_text(content)
    assert "目录" in text and "甲大厦" in text and "乙大厦" in text and "保密租户有限公司" not in text
    reader = pypdf.PdfReader(io.BytesIO(content))
    contents = reader.pages[0].extract_text()
    assert re.search(r"P01\s*甲大厦\s*八一路\s*322\s*P02\s*乙大厦\s*八一路\s*0", contents)
    # 甲 starts on page 2, 乙 on 3: the bookmarks say so, and the contents print those numbers.
    assert [(o.title, reader.get_destination_page_number(o) + 1) for o in reader.outline] == [
        ("P01 甲大厦", 2),
        ("P02 乙大厦", 3),
    ]
    assert re.search(r"\b2\s+3\s*$", contents)
    assert "甲大厦" in reader.pages[1].extract_text() and "乙大厦" in reader.pages[2].extract_text()


# ------------------------------------------------------------------------------------------
# the proposal


def test_proposal_is_archived_and_on_the_timeline(profile_world, login, session):
    a, tenant = profile_world
    promoter = session.scalar(select(f.User).where(f.User.username == "promo"))
    lead = f.lead(session, promoter, name="意向科技有限公司", intended_area=Decimal("300"))
    free = session.scalar(select(f.Unit).where(f.Unit.floor == 5))
    session.commit()
    client = login("promo")
    response = client.post(f"/leads/{lead.id}/proposals", data={"choice": [str(free.id)]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "意向科技有限公司" in text and "5F-01" in text and "321.50" in text
    assert tenant.name not in text and "万元" not in text
    proposal = session.scalar(select(SpaceProposal))
    assert proposal.candidates[0]["units"] == ["5F-01"] and proposal.created_by.username == "promo"
    again = client.get(f"/leads/{lead.id}/proposals/{proposal.id}.pdf")
    assert again.data == response.data  # as it was sent
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "发送载体推荐书（1 个载体）" in page and "5F-01" in page


def test_proposal_refuses_let_units_and_too_many(profile_world, login, session):
    a, _ = profile_world
    promoter = session.scalar(select(f.User).where(f.User.username == "promo"))
    lead = f.lead(session, promoter)
    let = session.scalar(select(f.Unit).where(f.Unit.floor == 6))
    session.commit()
    client = login("promo")
    page = client.post(f"/leads/{lead.id}/proposals", data={"choice": [str(let.id)]}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "已不再空置" in page
    page = client.post(
        f"/leads/{lead.id}/proposals", data={"choice": [str(i) for i in range(1, 7)]}, follow_redirects=True
    ).get_data(as_text=True)
    assert "最多包含 5 个载体" in page
    assert session.scalar(select(SpaceProposal)) is None
