"""Forms of building profiles (楼宇画像): the texts, a photo upload, a photo action, and the
candidates a promoter ticks for a space proposal."""

from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm.forms import AppForm
from crm.space.profiles import POSITIONING_LONGEST, TEXT_FIELDS


def _area(name: str, rows: int = 3):
    label, longest = TEXT_FIELDS[name]
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=longest, message=f"「{label}」最多 {longest} 个字")],
        render_kw={"rows": rows, "maxlength": longest},
    )


class ProfileForm(AppForm):
    description = _area("description", 4)
    transit = _area("transit", 2)
    parking = _area("parking", 2)
    dining = _area("dining", 2)
    property_contact = StringField(
        TEXT_FIELDS["property_contact"][0],
        validators=[Optional(), Length(max=200)],
        render_kw={"maxlength": 200, "placeholder": "如：王经理 0411-8888 0000"},
    )
    positioning = TextAreaField(
        "特色定位",
        validators=[
            Optional(),
            Length(max=POSITIONING_LONGEST, message=f"「特色定位」最多 {POSITIONING_LONGEST} 个字"),
        ],
        render_kw={"rows": 2, "maxlength": POSITIONING_LONGEST},
    )
    policies = _area("policies", 4)


class PhotoForm(AppForm):
    photo = FileField("照片", render_kw={"accept": "image/jpeg,image/png,image/webp"})


class PhotoActionForm(AppForm):
    photo_id = HiddenField()


class ProposalForm(AppForm):
    """The ticked candidates: each ``choice`` is the candidate's unit ids joined by commas."""

    choice = HiddenField()
