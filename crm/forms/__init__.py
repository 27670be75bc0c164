"""WTForms (Flask-WTF, CSRF on every form) with Chinese labels and messages."""
from wtforms.fields.choices import SelectChoice


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' SelectChoice (bare tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
