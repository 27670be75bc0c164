"""Forms of the 属地化 work list: owner, state, follow-up."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import AppForm, select_choices
from crm.models.lead import FOLLOWUP_METHODS


class OwnerForm(AppForm):
    owner = SelectField("负责人", choices=[], validate_choice=False)


class StateForm(AppForm):
    state = SelectField("转为", choices=[], validate_choice=False)
    reason = StringField("不可迁原因", validators=[Optional(), Length(max=500)])
    completed_on = DateField("属地注册（纳税）日期", validators=[Optional()])


class FollowUpForm(AppForm):
    method = SelectField("跟进方式", choices=select_choices((m, m) for m in FOLLOWUP_METHODS))
    on = DateField("跟进日期", validators=[Optional()])
    notes = TextAreaField("跟进内容", validators=[DataRequired("请填写跟进内容"), Length(max=4000)])
    next_on = DateField("下次跟进日期", validators=[Optional()])
