"""Forms for reminder channels: a user's own choices and the admin's group-robot URLs."""

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm.forms import AppForm
from crm.models.choices import ROLES


class ChannelsForm(AppForm):
    email_enabled = BooleanField("同时通过邮件接收提醒")


class WebhooksForm(AppForm):
    """The allowlist of robot hosts, and one URL field per role, named ``webhook_<role>``."""

    webhook_hosts = TextAreaField(
        "允许的群机器人域名（每行一个）",
        validators=[Optional(), Length(max=1000, message="最长 1000 个字符")],
        render_kw={"rows": 3, "spellcheck": "false"},
    )


for _role, _label in ROLES.items():
    setattr(
        WebhooksForm,
        f"webhook_{_role}",
        StringField(
            f"{_label}群机器人地址",
            validators=[Optional(), Length(max=500, message="地址最长 500 个字符")],
        ),
    )
