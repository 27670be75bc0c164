"""楼宇画像与载体 pages: a building's profile (texts, photos, the two PDFs), the district booklet,
the space proposal (载体推荐书) of a lead, and the district stacking plans (/stacking).

Thin: permission, read the request, one service call, commit, flash, redirect; the PDFs are built
by ``crm/reports/profile.py`` and ``crm/reports/proposal.py`` from the services' plain data.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.forms.profiles import PhotoActionForm, PhotoForm, ProfileForm, ProposalForm
from crm.models import Building, BuildingPhoto, Lead, SpaceProposal
from crm.permissions import allow, ensure, may, visible_building_ids
from crm.models.choices import STREETS
from crm.reports.fonts import FontNotFound
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.cache.fragments import cached_fragments, render_part
from crm.cache.versions import OCCUPANCY, TAX
from crm.space import lenses
from crm.space import photos as photo_store
from crm.space import profiles
from crm.space import proposals
from crm.web.lookup import building_or_404
from crm.web.transaction import transaction
from crm.web.params import page_month, today

bp = Blueprint("space", __name__)


def photo_folder() -> str:
    return current_app.config.get("PHOTO_DIR") or os.path.join(current_app.instance_path, "photos")


def now() -> datetime:
    return datetime.now(P.BUSINESS_TZ)


def promoter_contact() -> dict:
    return {"name": current_user.display_name, "email": current_user.email or "", "org": "西岗区商务局投资促进科"}


def pdf_response(content: bytes, filename: str):
    import io

    # send_file writes a Chinese name as RFC 5987 filename* (a plain header must be Latin-1).
    response = send_file(
        io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------------------------------
# the profile page and its edits


def render_profile(building: Building, form: ProfileForm | None = None, status: int = 200):
    profile = profiles.profile_of(db.session, building)
    if form is None:
        form = ProfileForm(formdata=None, obj=profile)
        form.positioning.data = building.positioning or ""
    return render_template(
        "space/profile.html",
        building=building,
        profile=profile,
        form=form,
        photo_form=PhotoForm(formdata=None),
        action_form=PhotoActionForm(formdata=None),
        photos=profiles.photos_of(db.session, [building.id])[building.id],
        can_edit=may(current_user, "profiles.edit", building),
        max_photos=profiles.MAX_PHOTOS,
    ), status


@bp.route("/buildings/<code>/profile")
@allow("buildings.view")
def profile(code):
    return render_profile(building_or_404(code))


@bp.route("/buildings/<code>/profile", methods=["POST"])
@allow("profiles.edit")
def edit_profile(code):
    building = building_or_404(code, "profiles.edit")
    form = ProfileForm()
    if not form.validate_on_submit():
        return render_profile(building, form, 400)
    values = {name: getattr(form, name).data for name in profiles.TEXT_FIELDS}
    with transaction(form) as saved:
        profiles.save_profile(db.session, building, values, form.positioning.data, current_user, now())
    if not saved:
        return render_profile(db.session.merge(building), form, 400)
    flash("楼宇画像已保存", "success")
    return redirect(url_for("space.profile", code=code))


@bp.route("/buildings/<code>/profile/photos", methods=["POST"])
@allow("profiles.edit")
def upload_photo(code):
    building = building_or_404(code, "profiles.edit")
    form = PhotoForm()
    upload = form.photo.data
    if not form.validate_on_submit() or not upload or not getattr(upload, "filename", ""):
        flash("请选择要上传的照片（JPEG、PNG 或 WebP，不超过 5 MB）", "danger")
        return redirect(url_for("space.profile", code=code))
    name = os.path.basename(upload.filename)[:80]
    with transaction() as saved:
        profiles.add_photo(
            db.session, building, photo_folder(), upload.read(photo_store.MAX_BYTES + 1), name, current_user, now()
        )
    if saved:
        flash(f"照片「{name}」已上传", "success")
    return redirect(url_for("space.profile", code=code))


@bp.route("/buildings/<code>/profile/photos/<action>", methods=["POST"])
@allow("profiles.edit")
def photo_action(code, action):
    building = building_or_404(code, "profiles.edit")
    form = PhotoActionForm()
    operations = {"delete": (profiles.remove_photo, "照片已删除"), "cover": (profiles.make_cover, "已设为封面")}
    if action not in operations:
        abort(404)
    operation, message = operations[action]
    raw = (form.photo_id.data or "") if form.validate_on_submit() else ""
    with transaction() as saved:
        operation(db.session, building, int(raw) if raw.isdigit() and len(raw) < 10 else 0)
    if saved:
        flash(message, "success")
    return redirect(url_for("space.profile", code=code))


@bp.route("/buildings/<code>/photos/<sha256>.jpg")
@allow("buildings.view")
def photo(code, sha256):
    building = building_or_404(code)
    found = db.session.scalar(
        select(BuildingPhoto).where(BuildingPhoto.building_id == building.id, BuildingPhoto.sha256 == sha256)
    )
    if found is None:
        abort(404)
    path = photo_store.photo_path(photo_folder(), found.sha256)
    if not os.path.isfile(path):
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=86400)


# ------------------------------------------------------------------------------------------
# the PDFs


@bp.route("/buildings/<code>/profile/internal.pdf")
@allow("profiles.internal")
def internal_pdf(code):
    from crm.reports.profile import build_internal_pdf

    building = building_or_404(code)
    month = page_month()
    try:
        content = build_internal_pdf(
            profiles.internal_data(db.session, building, month, today(), photo_folder()), now()
        )
    except FontNotFound as error:
        flash(str(error), "danger")
        return redirect(url_for("space.profile", code=code))
    return pdf_response(content, f"{building.name}-楼宇画像-内部版-{month}.pdf")


@bp.route("/buildings/<code>/profile/external.pdf")
@allow("buildings.view")
def external_pdf(code):
    from crm.reports.profile import build_external_pdf

    building = building_or_404(code)
    try:
        content = build_external_pdf(
            profiles.external_data(db.session, building, today(), photo_folder(), promoter_contact()), now()
        )
    except FontNotFound as error:
        flash(str(error), "danger")
        return redirect(url_for("space.profile", code=code))
    return pdf_response(content, f"{building.name}-楼宇画像-对外招商版.pdf")


@bp.route("/reports/booklet.pdf")
@allow("profiles.internal")
def booklet():
    from crm.reports.profile import build_booklet_pdf

    try:
        content = build_booklet_pdf(
            profiles.booklet_data(db.session, today(), photo_folder(), promoter_contact()), now()
        )
    except FontNotFound as error:
        flash(str(error), "danger")
        return redirect(url_for("reports.index"))
    return pdf_response(content, f"西岗区商务楼宇招商手册-{today()}.pdf")


# ------------------------------------------------------------------------------------------
# the district's stacking plans


@bp.route("/stacking")
@allow("buildings.view")
def stacking():
    lens = lenses.lens_of(request.args.get("lens"))
    street = request.args.get("street") if request.args.get("street") in STREETS else None
    if request.args.get("street") and street is None:
        flash("街道无效，已显示全部街道", "warning")
    day = today()
    ids = visible_building_ids(current_user)

    def render() -> dict[str, str]:
        plans = lenses.district_plans(db.session, day, lens, ids, street)
        return {"content": render_part("space/_stacking.html", plans=plans, lens=lens)}

    scope = None if ids is None else tuple(sorted(ids))
    parts = cached_fragments("district-stacking", (OCCUPANCY, TAX), (day, lens, street, scope), render)
    return render_template(
        "space/stacking.html",
        content=parts["content"],
        lens=lens,
        street=street,
        day=day,
        LENSES=lenses.LENSES,
        legend=lenses.legend(lens),
    )


# ------------------------------------------------------------------------------------------
# the space proposal of a lead


def lead_or_404(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    return lead


@bp.route("/leads/<int:lead_id>/proposals", methods=["POST"])
@allow("leads.edit")
def create_proposal(lead_id):
    from crm.reports.proposal import build_proposal_pdf

    lead = lead_or_404(lead_id)
    ensure("leads.edit", lead)
    form = ProposalForm()
    if not form.validate_on_submit():
        flash("表单已过期，请刷新后重试", "danger")
        return redirect(url_for("leads.matches", lead_id=lead.id))
    day = today()
    with transaction() as saved:
        chosen = proposals.resolve(db.session, lead, proposals.parse_choices(request.form.getlist("choice")), day)
        data = proposals.proposal_data(db.session, lead, chosen, day, photo_folder(), promoter_contact())
        try:
            pdf, pages = build_proposal_pdf(data, now())
        except FontNotFound as error:  # the server lacks the CJK font: said at the top of the page
            raise DomainError(str(error)) from error
        proposal = proposals.record_proposal(db.session, lead, data, pdf, pages, current_user, now())
    if not saved:
        return redirect(url_for("leads.matches", lead_id=lead.id))
    return pdf_response(bytes(proposal.pdf), proposal.filename)


@bp.route("/leads/<int:lead_id>/proposals/<int:proposal_id>.pdf")
@allow("leads.view")
def proposal_pdf(lead_id, proposal_id):
    proposal = db.session.get(SpaceProposal, proposal_id)
    if proposal is None or proposal.lead_id != lead_id:
        abort(404)
    return pdf_response(bytes(proposal.pdf), proposal.filename)
