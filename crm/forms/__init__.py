"""WTForms (Flask-WTF, CSRF on every form) with Chinese labels and messages.

Every form of the app derives from ``AppForm`` (or ``AppSubForm`` inside a FieldList), whose
Meta gives each field the app's input bounds (``crm.services.bounds``) in one place: dates lie
between 1990 and 2100, integers fit the database's, decimals are finite numbers, and text holds
no control characters (the request has removed them already, ``crm/web/clean_input.py``; a form filled
from anything else is cleaned the same).

Dates and numbers are read as imports read them (``crm/services/typed.py``): ``DayField`` takes
2026-11-28, 2026/11/28, 2026.11.28 and 2026年11月28日, ``NumberField`` and ``WholeNumberField``
take 1,200.5, 1，200.5 and full-width digits. ``Required`` marks a field required (a visible *,
``required`` and ``aria-required``) and, unlike WTForms' DataRequired, keeps the field's own
complaint: "2026.13.40" is a bad date, not an empty one. Every field is validated on each submit,
so a form shows all its errors at once, each beside its field.
"""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, Form, IntegerField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from crm.services import typed
from crm.services.bounds import MAX_MONEY, check_day, clean_text
from crm.services.errors import DomainError

MAX_INTEGER = 2**31 - 1


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' SelectChoice (bare tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class Required:
    """The field must be filled. A value that could not be read keeps its own message (no second
    "请填写…" beside it); 0 and False are values, not blanks."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        data = field.data
        if data is None or data == [] or (isinstance(data, str) and not data.strip()):
            raise StopValidation(self.message)


def label_of(field) -> str:
    return str(field.label.text) if field.label and field.label.text else "数值"


class DayField(DateField):
    """A date in any of the ways people type one; shown back as 2026-11-28 once read."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = typed.day_of(valuelist[0], label_of(self))
        except typed.Unreadable as error:
            raise ValueError(error.message) from None

    def _value(self):
        if self.data is not None:
            return self.data.isoformat()  # a date input shows only ISO dates
        return self.raw_data[0] if self.raw_data else ""


class NumberField(StringField):
    """A decimal number typed with or without thousands separators; ``data`` is a Decimal, shown
    with ``places`` decimals when given (10000.00 万元)."""

    def __init__(self, label=None, validators=None, places: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = typed.number_of(valuelist[0], label_of(self))
        except typed.Unreadable as error:
            raise ValueError(error.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]  # what was typed stays as typed
        if self.data is None:
            return ""
        if not isinstance(self.data, Decimal):
            return str(self.data)
        return f"{self.data:.{self.places}f}" if self.places is not None else f"{self.data:f}"


class WholeNumberField(IntegerField):
    """An integer typed with or without thousands separators or full-width digits (a text input:
    a browser's number input refuses "1,200" before the server sees it)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = typed.whole_number_of(valuelist[0], label_of(self))
        except typed.Unreadable as error:
            raise ValueError(error.message) from None


def day_within_years(label: str):
    def check(value):
        try:
            return check_day(value, label, "date")
        except DomainError as error:
            raise ValueError(error.message) from None

    return check


def integer_within_range(label: str):
    def check(value):
        if value is not None and abs(value) > MAX_INTEGER:
            raise ValueError(f"{label}过大：{value}")
        return value

    return check


def finite_decimal(label: str):
    def check(value):
        if value is not None and (not value.is_finite() or abs(value) > MAX_MONEY):
            raise ValueError(f"{label}应为不超过 {MAX_MONEY:,.0f} 的数字")
        return value

    return check


def cleaned(label: str):
    return clean_text


BOUNDS = (
    (DateField, day_within_years),
    (IntegerField, integer_within_range),
    (DecimalField, finite_decimal),
    (StringField, cleaned),
)  # NumberField: finite by parsing; its range is the service's check


class BoundsMeta:
    """Adds the bound of its type to every date, integer and decimal field as a filter, whose
    ValueError WTForms shows beside the field like any other error; text fields (but passwords,
    which are never shown or stored as typed) drop control characters, whatever fills the form."""

    def bind_field(self, form, unbound_field, options):
        for field_type, bound in BOUNDS:
            if issubclass(unbound_field.field_class, field_type) and not issubclass(
                unbound_field.field_class, PasswordField
            ):
                label = unbound_field.kwargs.get("label") or (unbound_field.args[0] if unbound_field.args else "")
                filters = [*unbound_field.kwargs.get("filters", ()), bound(str(label or "数值"))]
                return unbound_field.bind(form=form, **{**options, "filters": filters})
        return unbound_field.bind(form=form, **options)


class AppForm(FlaskForm):
    class Meta(BoundsMeta):  # WTForms combines it with FlaskForm's Meta (CSRF)
        pass


class AppSubForm(Form):
    """A form inside a FieldList (no CSRF token of its own)."""

    class Meta(BoundsMeta):
        pass
