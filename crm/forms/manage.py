"""Forms of a building manager's work: units, move-ins and move-outs, renewals, monthly
confirmation. Unit choices (checkboxes naming unit ids) are read by the view itself, so that an
id of another building is refused as a permission matter (403), not as a form error."""

from __future__ import annotations

from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import AppForm, AppSubForm, DayField, NumberField, Required, WholeNumberField
from crm.models.choices import INDUSTRY_GROUPS, MOVE_OUT_REASONS

REASON_HELP = "仅当日期落在已确认的月份时需要填写，例如：9 月 20 日迁出漏登记"


class FloorField(WholeNumberField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("楼层应为整数，地下层为负数") from None


def correction_field():
    return TextAreaField(
        "更正原因", validators=[Optional(), Length(max=500, message="最多 500 个字符")], description=REASON_HELP
    )


class AddUnitForm(AppForm):
    floor = FloorField("楼层", validators=[Required("请填写楼层（整数，地下层为负数）")])
    number = StringField("单元号", validators=[DataRequired("请填写单元号"), Length(max=16)])
    area = NumberField("面积（m²）", validators=[Required("请填写面积")], render_kw={"inputmode": "decimal"})
    on = DayField("启用日期", validators=[Required("请填写启用日期")])
    self_use = BooleanField("自启用日期起自用（不计入可租面积）")
    correction_reason = correction_field()


class EditUnitForm(AppForm):
    version = HiddenField()
    area = NumberField(
        "面积（m²）",
        validators=[Required("请填写面积")],
        render_kw={"inputmode": "decimal"},
        description="面积按单元存在的每一天计；改动已确认月份的面积须填写更正原因",
    )
    reserved_until = DayField("预留至", validators=[Optional()], description="为招商项目保留单元到某日；留空表示不预留")
    correction_reason = correction_field()


class SelfUseForm(AppForm):
    """Start a self-use period (from a day, optionally to its last day) or end the current one."""

    action = HiddenField(default="start")
    self_use_from = DayField(
        "自用起始日期", validators=[Optional()], description="自这一天起不计入可租面积，也不能出租"
    )
    self_use_until = DayField("自用截止日期", validators=[Optional()], description="自用的最后一天；仍在自用留空")
    correction_reason = correction_field()


class PartForm(AppSubForm):
    number = StringField("单元号")
    area = StringField("面积（m²）")


class SplitForm(AppForm):
    on = DayField("拆分生效日期", validators=[Required("请填写拆分生效日期")])
    parts = FieldList(FormField(PartForm), min_entries=4, max_entries=8)
    correction_reason = correction_field()


class MergeForm(AppForm):
    units_error = None
    on = DayField("合并生效日期", validators=[Required("请填写合并生效日期")])
    number = StringField("合并后的单元号", validators=[DataRequired("请填写合并后的单元号"), Length(max=16)])
    correction_reason = correction_field()


class RetireForm(AppForm):
    on = DayField("停用日期", validators=[Required("请填写停用日期")])
    correction_reason = correction_field()


class MoveInForm(AppForm):
    units_error = None
    company = StringField(
        "企业名称或统一社会信用代码",
        validators=[DataRequired("请填写企业名称或统一社会信用代码"), Length(max=200)],
        description="已在系统中的企业填名称或信用代码即可；新企业填完整名称，并在下方填写信用代码",
    )
    uscc = StringField("统一社会信用代码（新企业必填）", validators=[Optional(), Length(max=30)])
    registered_in_district = BooleanField("新企业在本区注册（属地注册）")
    industry_group = SelectField(
        "新企业所属产业",
        choices=[SelectChoice("", "（不填）")] + [SelectChoice(g) for g in INDUSTRY_GROUPS],
        validators=[Optional()],
    )
    start_date = DayField("入驻日期", validators=[Required("请填写入驻日期")])
    end_date = DayField("租约到期日", validators=[Optional()], description="留空表示不定期")
    correction_reason = correction_field()


class MoveOutForm(AppForm):
    version = HiddenField()
    moved_out_on = DayField(
        "迁出日期",
        validators=[Required("请填写迁出日期")],
        description="企业离开的日子：自这一天起不再计入入驻。租约到期后才离开的，视为使用至迁出前一日，到期日随之顺延",
    )
    reason = SelectField(
        "迁出原因",
        choices=[SelectChoice("", "请选择")] + [SelectChoice(r) for r in MOVE_OUT_REASONS],
        validators=[DataRequired("请选择迁出原因")],
    )
    correction_reason = correction_field()


class RenewForm(AppForm):
    version = HiddenField()
    end_date = DayField("新的到期日", validators=[Optional()], description="留空表示不定期")
    correction_reason = correction_field()


class OpenEndedForm(AppForm):
    """转不定期: the lease runs on with no end date; only the version and, if due, a reason."""

    version = HiddenField()
    correction_reason = correction_field()


class ConfirmForm(AppForm):
    """Only the CSRF token: the figures confirmed are those derived on the server."""


class CorrectForm(AppForm):
    reason = TextAreaField("更正原因", validators=[DataRequired("请填写更正原因"), Length(max=500)])
