"""Forms for one's own password and for the admin's user management."""

from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from crm.forms import AppForm, Required, WholeNumberField, select_choices
from crm.models.choices import ROLES


class PasswordChangeForm(AppForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码"), Length(max=128, message="密码最多 128 个字符")]
    )
    confirm = PasswordField("再次输入新密码", validators=[EqualTo("new_password", message="两次输入的新密码不一致")])


class UserForm(AppForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名"), Length(max=64)])
    role = SelectField("角色", choices=select_choices(ROLES.items()))
    email = EmailField("电子邮箱", validators=[Optional(), Length(max=254, message="电子邮箱最多 254 个字符")])
    buildings = SelectMultipleField("负责楼宇（楼宇管理员）", coerce=str, validate_choice=False)
    password = PasswordField("初始密码", validators=[DataRequired("请设置初始密码")])


class EmailForm(AppForm):
    email = EmailField("电子邮箱", validators=[Optional(), Length(max=254, message="电子邮箱最多 254 个字符")])


class ResetPasswordForm(AppForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])


class ActiveForm(AppForm):
    active = BooleanField("启用")


class TokenForm(AppForm):
    name = StringField("令牌名称", validators=[DataRequired("请给令牌起个名字"), Length(max=64)])
    days = WholeNumberField(
        "有效期（天）", default=90, validators=[Required("请填写有效期"), NumberRange(1, 366, "有效期应为 1 到 366 天")]
    )
