"""WTForms (Flask-WTF, CSRF on every form) with Chinese labels and messages.

Every form of the app derives from ``AppForm`` (or ``AppSubForm`` inside a FieldList), whose
Meta gives each field the app's input bounds (``crm.services.bounds``) in one place: dates lie
between 1990 and 2100, integers fit the database's, decimals are finite numbers, and text holds
no control characters (the request has removed them already, ``crm/web/clean_input.py``; a form filled
from anything else is cleaned the same).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, Form, IntegerField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice

from crm.services.bounds import MAX_MONEY, check_day, clean_text
from crm.services.errors import DomainError

MAX_INTEGER = 2**31 - 1


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' SelectChoice (bare tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


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


BOUNDS = ((DateField, day_within_years), (IntegerField, integer_within_range), (DecimalField, finite_decimal),
          (StringField, cleaned))


class BoundsMeta:
    """Adds the bound of its type to every date, integer and decimal field as a filter, whose
    ValueError WTForms shows beside the field like any other error; text fields (but passwords,
    which are never shown or stored as typed) drop control characters, whatever fills the form."""

    def bind_field(self, form, unbound_field, options):
        for field_type, bound in BOUNDS:
            if issubclass(unbound_field.field_class, field_type) and not issubclass(unbound_field.field_class, PasswordField):
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
