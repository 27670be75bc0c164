"""Forms of the warnings pages: handling a warning (start, resolve, note) and the thresholds."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from crm.forms import AppForm, select_choices
from crm.models.warning import RESOLVE_REASONS
from crm.services.bounds import MAX_NOTES
from crm.warnings.settings import THRESHOLDS


class StartForm(AppForm):
    note = TextAreaField(
        "处置说明（可选）",
        validators=[Length(max=MAX_NOTES, message="处置说明不能超过 4000 个字")],
        render_kw={"rows": 2},
    )


class ResolveForm(AppForm):
    reason = SelectField(
        "解除原因",
        choices=select_choices([("", "请选择"), *RESOLVE_REASONS.items()]),
        validators=[InputRequired("请选择解除原因")],
    )
    note = TextAreaField(
        "处置说明", validators=[Length(max=MAX_NOTES, message="处置说明不能超过 4000 个字")], render_kw={"rows": 3}
    )


class NoteForm(AppForm):
    text = TextAreaField(
        "处置记录",
        validators=[InputRequired("请填写处置记录"), Length(max=MAX_NOTES, message="处置记录不能超过 4000 个字")],
        render_kw={"rows": 2},
    )


class WarningSettingsForm(AppForm):
    """One text field per threshold (``crm.warnings.settings`` checks the values and names the
    field of a bad one)."""


for _t in THRESHOLDS:
    setattr(
        WarningSettingsForm,
        _t.key,
        StringField(
            _t.label,
            validators=[InputRequired(f"请填写{_t.label}")],
            description=_t.help,
            render_kw={"inputmode": "decimal"},
        ),
    )
