"""Handling a warning: 待处置 → 处置中 → 已解除 (reason and note), and notes on its timeline.

Each step is a ``EarlyWarningNote`` with the change of state, so the timeline reads who did what
when. Whoever may handle a warning is the permission rule's business (``warnings.handle``);
these functions only refuse steps the state does not allow, naming the field.
"""

from __future__ import annotations

from datetime import date

from crm.models import EarlyWarning, EarlyWarningNote
from crm.models.warning import HANDLING, OPEN_STATES, PENDING, RESOLVE_REASONS, RESOLVED, utcnow
from crm.services.bounds import MAX_NOTES, check_length
from crm.services.errors import DomainError

NOTE_LABEL = "处置记录"


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _step(session, warning: EarlyWarning, user, to_state: str, text: str) -> EarlyWarningNote:
    note = EarlyWarningNote(
        warning=warning,
        author_id=getattr(user, "id", None),
        created_at=utcnow(),
        from_state=warning.state,
        to_state=to_state,
        text=text,
    )
    warning.state = to_state
    session.add(note)
    return note


def start_handling(session, warning: EarlyWarning, user, note: str = "") -> EarlyWarning:
    """待处置 → 处置中, with an optional note of what is being done."""
    note = _clean(note)
    check_length(note, MAX_NOTES, NOTE_LABEL, "note")
    if warning.state != PENDING:
        raise DomainError(f"该预警当前为“{warning.state_label}”，只有待处置的预警可以开始处置", field="state")
    _step(session, warning, user, HANDLING, note)
    session.flush()
    return warning


def resolve(session, warning: EarlyWarning, user, reason: str, note: str, today: date) -> EarlyWarning:
    """待处置 or 处置中 → 已解除, with a reason from the list; "其他" needs a note saying what."""
    note = _clean(note)
    check_length(note, MAX_NOTES, NOTE_LABEL, "note")
    if warning.state not in OPEN_STATES:
        raise DomainError(f"该预警已是“{warning.state_label}”，不能再解除", field="state")
    if reason not in RESOLVE_REASONS:
        raise DomainError("请选择解除原因", field="reason")
    if reason == "other" and not note:
        raise DomainError("解除原因为“其他”时，请在处置说明中写明原因", field="note")
    _step(session, warning, user, RESOLVED, f"{RESOLVE_REASONS[reason]}" + (f"：{note}" if note else ""))
    warning.resolve_reason = reason
    warning.resolve_note = note or None
    warning.resolved_at = utcnow()
    warning.resolved_on = today.isoformat()
    warning.resolved_by_id = getattr(user, "id", None)
    session.flush()
    return warning


def add_note(session, warning: EarlyWarning, user, text: str) -> EarlyWarningNote:
    """A note on the timeline, in any state (a resolved warning may still gain a follow-up)."""
    text = _clean(text)
    if not text:
        raise DomainError("请填写处置记录", field="text")
    check_length(text, MAX_NOTES, NOTE_LABEL, "text")
    note = EarlyWarningNote(warning=warning, author_id=getattr(user, "id", None), created_at=utcnow(), text=text)
    session.add(note)
    session.flush()
    return note
