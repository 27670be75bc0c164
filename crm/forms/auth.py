"""The sign-in form."""

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from crm.forms import AppForm


class LoginForm(AppForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("记住我")
