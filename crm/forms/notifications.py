"""Forms for reminder channels: a user's own choices and the admin's group-robot URLs."""
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from crm.forms import AppForm
from crm.models.choices import ROLES


class ChannelsForm(AppForm):
    email_enabled = BooleanField("同时通过邮件接收提醒")


class WebhooksForm(AppForm):
    """One URL field per role, named ``webhook_<role>``."""


for _role, _label in ROLES.items():
    setattr(WebhooksForm, f"webhook_{_role}", StringField(
        f"{_label}群机器人地址", validators=[Optional(), Length(max=500, message="地址最长 500 个字符")],
    ))
