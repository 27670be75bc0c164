"""Which days a change to a lease, a unit or a self-use period alters — and so which months.

A month's figures are its month-end figures plus what happened in it (move-ins, move-outs,
lapses, units appearing or going). A change therefore reaches the days whose state it alters
(a lease active or not, a unit present or not, self-use or not) and the days of the events it
adds, removes or moves (a start, a move-out, the day after an end). The span of a change is the
first to the last of those days; a month is reached when the span meets it. Import previews, the
services and the flush-time check all ask here, so they agree on what a correction is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from crm.services import periods as P

NEVER = date.max  # an open end
ALWAYS = date.min  # no start: since the beginning


@dataclass(frozen=True)
class Span:
    first: date
    last: date  # NEVER: open-ended

    def reaches(self, period: str) -> bool:
        return self.first <= P.month_end(period) and self.last >= P.month_start(period)

    def months(self, periods) -> list[str]:
        return [p for p in periods if self.reaches(p)]


def after(day: date | None) -> date:
    """The day after ``day`` (None and the far future stay open)."""
    return NEVER if day is None or day >= NEVER - timedelta(days=1) else day + timedelta(days=1)


def before(day: date) -> date:
    return ALWAYS if day <= ALWAYS + timedelta(days=1) else day - timedelta(days=1)


def hull(*spans: Span | None) -> Span | None:
    spans = [s for s in spans if s is not None]
    if not spans:
        return None
    return Span(min(s.first for s in spans), max(s.last for s in spans))


def _interval(first: date, last: date) -> Span | None:
    return Span(first, last) if first <= last else None


def _difference(old: Span | None, new: Span | None) -> Span | None:
    """The hull of the days in exactly one of two intervals."""
    if old == new:
        return None
    if old is None or new is None or old.last < new.first or new.last < old.first:
        return hull(old, new)
    parts = []
    if old.first != new.first:
        parts.append(Span(min(old.first, new.first), before(max(old.first, new.first))))
    if old.last != new.last:
        parts.append(Span(after(min(old.last, new.last)), max(old.last, new.last)))
    return hull(*parts)


def _events(days: set[tuple[str, date]]) -> Span | None:
    return hull(*(Span(day, day) for _, day in days))


def _change(old_interval, new_interval, old_events, new_events, whole: bool) -> Span | None:
    """A change's span: the days it switches plus the events it moves; ``whole`` when what is
    counted on every day changes (another area, other units, another company)."""
    if whole:
        return hull(old_interval, new_interval, _events(old_events | new_events))
    return hull(_difference(old_interval, new_interval), _events(old_events ^ new_events))


# ------------------------------------------------------------------------------------------ leases


@dataclass(frozen=True)
class LeaseState:
    start: date
    end: date | None = None
    moved_out_on: date | None = None
    units: frozenset = frozenset()
    company_id: object = None

    def interval(self) -> Span | None:
        last = self.end or NEVER
        if self.moved_out_on is not None:
            last = min(last, before(self.moved_out_on))
        return _interval(self.start, last)

    def events(self) -> set[tuple[str, date]]:
        """Its start, its move-out, and the first day it is no longer active (a lapse or the
        move-out): moving that day moves the lapse out of one month's bridge into another's."""
        found = {("start", self.start)}
        interval = self.interval()
        if interval is not None and interval.last != NEVER:
            found.add(("stop", after(interval.last)))
        if self.moved_out_on is not None:
            found.add(("out", self.moved_out_on))
        return found


def lease_span(old: LeaseState | None, new: LeaseState | None) -> Span | None:
    """The days a lease's creation (``old`` None), removal (``new`` None) or change alters."""
    if old is None or new is None:
        state = old or new
        return hull(state.interval(), _events(state.events()))
    whole = old.units != new.units or old.company_id != new.company_id
    return _change(old.interval(), new.interval(), old.events(), new.events(), whole)


# ------------------------------------------------------------------------------------------ units


@dataclass(frozen=True)
class UnitState:
    active_from: date | None = None
    retired_on: date | None = None
    area: object = None

    def interval(self) -> Span | None:
        return _interval(self.active_from or ALWAYS, before(self.retired_on) if self.retired_on else NEVER)

    def events(self) -> set[tuple[str, date]]:
        found = set()
        if self.active_from is not None:
            found.add(("from", self.active_from))
        if self.retired_on is not None:
            found.add(("retired", self.retired_on))
        return found


def unit_span(old: UnitState | None, new: UnitState | None) -> Span | None:
    if old is None or new is None:
        state = old or new
        return hull(state.interval(), _events(state.events()))
    return _change(old.interval(), new.interval(), old.events(), new.events(), old.area != new.area)


# ------------------------------------------------------------------------------------------ self-use


@dataclass(frozen=True)
class SelfUseState:
    start: date | None = None
    end: date | None = None

    def interval(self) -> Span | None:
        return _interval(self.start or ALWAYS, self.end or NEVER)

    def events(self) -> set[tuple[str, date]]:
        found = set()
        if self.start is not None:
            found.add(("start", self.start))
        if self.end is not None:
            found.add(("end", after(self.end)))
        return found


def self_use_span(old: SelfUseState | None, new: SelfUseState | None) -> Span | None:
    if old is None or new is None:
        state = old or new
        return hull(state.interval(), _events(state.events()))
    return _change(old.interval(), new.interval(), old.events(), new.events(), False)
