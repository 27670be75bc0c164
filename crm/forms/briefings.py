"""The admin's form to generate a month's briefing (the month as YYYY-MM)."""

from wtforms import StringField
from wtforms.validators import InputRequired

from crm.forms import AppForm


class GenerateBriefingForm(AppForm):
    month = StringField(
        "简报月份",
        validators=[InputRequired("请选择要生成简报的月份")],
        render_kw={"type": "month", "placeholder": "YYYY-MM"},
    )
