"""The admin's settings page: tier thresholds, candidate threshold and basis (口径)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for

from crm.extensions import db
from crm.forms.tax_settings import TaxSettingsForm
from crm.permissions import allow
from crm.services.tax_settings import KEYS, TaxSettings, current_tax_settings, update_tax_settings
from crm.web.transaction import transaction

bp = Blueprint("settings", __name__)
WAN = Decimal("10000")


def form_from(current: TaxSettings) -> TaxSettingsForm:
    form = TaxSettingsForm()
    if not form.is_submitted():
        form.basis.data = current.basis
        for name in KEYS:
            getattr(form, name).data = (getattr(current, name) / WAN).normalize()
    return form


@bp.route("/admin/settings", methods=["GET", "POST"])
@allow("settings.admin")
def index():
    current = current_tax_settings(db.session)
    form = form_from(current)
    if form.validate_on_submit():
        new = TaxSettings(form.basis.data, *(getattr(form, name).data * WAN for name in KEYS))
        with transaction(form) as saved:
            changed = update_tax_settings(db.session, new)
        if saved:
            flash("设置已保存，各页面、报表即时按新设置计算" if changed else "设置没有变化", "success")
            return redirect(url_for("settings.index"))
    return render_template("settings/index.html", form=form, current=current)
