"""Forms of the pipeline: a lead, a follow-up, a stage move, reserving and landing, the admin's
reassign and merge, and the manager's decision on a move-in request.

Fields only parse what was typed; the rules (dates not in the past, a reason for 退出, vacant
units…) live in the services so that imports and the API follow the same ones.
"""

from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import AppForm, DayField, NumberField, Required, WholeNumberField, select_choices

from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.models.lead import FOLLOWUP_METHODS, PRIORITIES, SOURCES


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class LeadForm(AppForm):
    company_name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200)])
    uscc = StringField("统一社会信用代码", validators=[Optional(), Length(max=30)])
    source = SelectField("项目来源", choices=select_choices((s, s) for s in SOURCES))
    industry_group = SelectField("产业类别", choices=select_choices([("", "未定")] + [(g, g) for g in INDUSTRY_GROUPS]))
    hq_type = SelectField("总部类型", choices=select_choices(HQ_TYPES.items()), default="none")
    intended_area = NumberField("意向面积（m²）", validators=[Optional()], render_kw={"inputmode": "decimal"})
    expected_annual_tax = NumberField("预计年税收（万元）", validators=[Optional()], render_kw={"inputmode": "decimal"})
    target_building_ids = SelectMultipleField("目标楼宇", coerce=int, validate_choice=False)
    priority = SelectField("优先级", choices=select_choices(PRIORITIES.items()), default="normal")
    owner_id = SelectField("负责人", coerce=coerce_int_or_none, validate_choice=False)
    next_followup_on = DayField("下次跟进日期", validators=[Optional()])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=30)])
    notes = TextAreaField("备注", validators=[Optional(), Length(max=4000)])
    confirm_duplicate = BooleanField("我已核对上述疑似重复项目，仍要保存")
    version = HiddenField()


class FollowUpForm(AppForm):
    method = SelectField("跟进方式", choices=select_choices((m, m) for m in FOLLOWUP_METHODS))
    on = DayField("跟进日期", validators=[Optional()])
    notes = TextAreaField("跟进内容", validators=[DataRequired("请填写跟进内容"), Length(max=4000)])
    next_on = DayField("下次跟进日期", validators=[Optional()])


class StageForm(AppForm):
    stage = StringField("阶段", validators=[DataRequired("请选择阶段")])
    version = HiddenField()
    reason = StringField("原因", validators=[Optional(), Length(max=500)])
    resume_on = DayField("恢复跟进日期", validators=[Optional()])


class ReserveForm(AppForm):
    unit_ids = StringField("单元", validators=[DataRequired("请选择要预留的单元")])
    until = DayField("预留至", validators=[Required("请填写预留截止日期")])


class LandingForm(AppForm):
    building_id = SelectField("落地楼宇", coerce=coerce_int_or_none, validate_choice=False)
    unit_ids = SelectMultipleField("入驻单元", coerce=int, validate_choice=False)
    start_date = DayField("入驻日期", validators=[Required("请填写入驻日期")])
    end_date = DayField("租期至", validators=[Optional()])
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=30)])
    company_name = StringField("企业登记名称", validators=[Optional(), Length(max=200)])
    registered_in_district = BooleanField("在本区注册（属地注册）", default=True)
    uscc_override = BooleanField("确认代码无误（登记机关确已核发，仅管理员）")


class ReassignForm(AppForm):
    owner_id = SelectField("新负责人", coerce=coerce_int_or_none, validate_choice=False)


class MergeForm(AppForm):
    other_id = WholeNumberField("并入本项目的项目编号", validators=[Required("请填写要并入的项目编号")])


class DecisionForm(AppForm):
    note = StringField("说明", validators=[Optional(), Length(max=500)])
    # Needed only when the move-in date falls in a month the building's manager has confirmed.
    correction_reason = StringField("更正原因", validators=[Optional(), Length(max=500)])
