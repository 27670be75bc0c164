"""The admin's form for tier thresholds, the candidate threshold and the basis (amounts in 万元)."""

from wtforms import SelectField

from crm.forms import AppForm, NumberField, Required, select_choices
from crm.services.tax_settings import BASES


def amount_field(label: str) -> NumberField:
    return NumberField(label, places=2, validators=[Required(f"请输入{label}")], render_kw={"inputmode": "decimal"})


class TaxSettingsForm(AppForm):
    basis = SelectField("税收口径", choices=select_choices(BASES.items()))
    yi = amount_field("亿元楼门槛（万元）")
    wuqianwan = amount_field("五千万楼门槛（万元）")
    qianwan = amount_field("千万楼门槛（万元）")
    candidate = amount_field("亿元楼候选门槛（万元）")
