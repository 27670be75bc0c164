"""One unit of work per request: the view runs its service calls inside ``transaction(...)``,
which commits when they succeed and, when the domain refuses (``DomainError``) or another person
saved the same record first (a stale version), rolls everything back and shows one message.

    with transaction(form) as saved:
        lead = create_lead(db.session, ...)
    if saved:
        flash(...)
        return redirect(...)
    return render_template(..., form=form)   # the form keeps what was typed, with the message

Services only ``flush()``; the view never calls ``commit()`` or ``rollback()`` itself, so nothing
half-written survives a refused operation, and every page words a lost race the same way.
The JSON API turns the same two failures into answers in ``crm/api/support.py``.
"""

from __future__ import annotations

from flask import flash
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.services.errors import DomainError

STALE_MESSAGE = "您的修改没有保存：其他人刚刚修改了同一条记录。请查看最新内容后再操作。"


class Stale(DomainError):
    """Another person saved the same record first (the version column moved on)."""

    def __init__(self):
        super().__init__(STALE_MESSAGE, field="version")


def show_error(form, error: DomainError, *, top: str = "flash", default_field: str | None = None) -> None:
    """Put each message of ``error`` (one refusal, or several as ``DomainErrors``) beside the field
    it names. A field the form's own validation already complained about keeps only that message
    (it says what was typed). A message that names no visible field of ``form`` goes beside
    ``default_field`` when given, else at the top: into the form's own error list (``top="form"``,
    for pages that print ``form.form_errors``) or as a flashed message (``top="flash"``). A version
    conflict is a warning, any other refusal an error."""
    complained = {name for name, field in form._fields.items() if field.errors} if form is not None else set()
    for one in getattr(error, "errors", None) or [error]:
        _show_one(form, one, top, default_field, complained)


def _show_one(form, error: DomainError, top: str, default_field: str | None, complained: set[str]) -> None:
    field = form._fields.get(error.field) if form is not None and error.field else None
    if field is None and form is not None and default_field:
        field = form._fields.get(default_field)
    if form is not None and error.field == "units" and hasattr(form, "units_error"):
        form.units_error = error.message  # shown above the unit checkboxes
    elif field is not None and field.type != "HiddenField":
        if field.name not in complained:
            field.errors = list(field.errors or []) + [error.message]
    elif form is not None and top == "form":
        form.form_errors.append(error.message)
    else:
        flash(error.message, "warning" if error.field == "version" else "danger")


class transaction:
    """``with transaction(form) as saved:`` — commit the block's work, or roll it back and show
    why. ``saved`` is true after a commit; ``saved.error`` holds the refusal otherwise.

    ``show=False`` leaves showing the message to the caller (a board answering htmx, a page that
    words it differently); ``reraise=True`` rolls back and lets the refusal (a lost race as
    ``Stale``) go on to an error handler, as the JSON API does; ``top`` and ``default_field`` are
    passed to ``show_error``."""

    def __init__(
        self,
        form=None,
        *,
        show: bool = True,
        reraise: bool = False,
        top: str = "flash",
        default_field: str | None = None,
    ):
        self.form, self.show, self.reraise, self.top, self.default_field = form, show, reraise, top, default_field
        self.ok = False
        self.error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.ok

    def __enter__(self) -> transaction:
        return self

    @property
    def stale(self) -> bool:
        return isinstance(self.error, Stale)

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            try:
                db.session.commit()
            except StaleDataError as lost:
                return self._refused(Stale(), lost)
            self.ok = True
            return False
        if issubclass(kind, StaleDataError):  # a flush inside the block lost the race
            return self._refused(Stale(), error)
        if issubclass(kind, DomainError):
            return self._refused(error, error)
        db.session.rollback()  # anything else propagates, with nothing of it written
        return False

    def _refused(self, error: DomainError, cause: BaseException) -> bool:
        """Roll back; show the message or raise it on. True: the block's exception is handled."""
        db.session.rollback()
        self.error = error
        if self.reraise:
            raise error from (cause if cause is not error else None)
        if self.show:
            show_error(self.form, error, top=self.top, default_field=self.default_field)
        return True
