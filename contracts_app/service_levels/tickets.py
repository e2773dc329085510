"""Ticket times (priority, opened, responded, resolved, pauses) and their stored clocks.

A ticket is measured against the service levels of the scope version valid when it
was opened (in the calendar's time zone), on that version's calendar. Its clock for
a service level is stored in ``ticket_clocks`` whenever the ticket is recorded or its
times change, and again when an annex changes the scope, so that the monthly report
is an aggregate over stored figures.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.db import db, utcnow
from contracts_app.errors import ValidationFailed
from contracts_app.scope.clauses import category_covers
from contracts_app.scope.models import ScopeVersion
from contracts_app.scope.service_levels import ServiceLevelSpec, Terms, terms_from_json
from contracts_app.service_levels.clock import Calendar, deadline, elapsed_seconds
from contracts_app.service_levels.models import TicketClock
from contracts_app.tasks.models import Task

MAX_PAUSES = 200
# Times a ticket or an outage may carry: clocks walk day by day, so spans are bounded.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
MAX_SPAN = dt.timedelta(days=5 * 366)
# optional columns of the task import
TIME_COLUMNS = ("priority", "opened_at", "responded_at", "resolved_at", "pauses")
Pause = tuple[dt.datetime, dt.datetime]


@dataclasses.dataclass(frozen=True)
class TicketTimes:
    """The optional ticket fields, validated (aware instants, in order)."""

    priority: str | None = None
    opened_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    pauses: tuple[Pause, ...] = ()

    def pauses_json(self) -> list[dict[str, str]]:
        return [{"from": low.isoformat(), "to": high.isoformat()} for low, high in self.pauses]


def _instant(value: Any, field: str, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            errors[field] = ["Give a date and time such as 2026-05-15T17:00:00+02:00."]
            return None
    if not isinstance(value, dt.datetime):
        errors[field] = ["Give a date and time."]
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors[field] = ["Give the time zone (e.g. +02:00 or Z)."]
        return None
    return within_bounds(value, field, errors)


def within_bounds(
    value: dt.datetime, field: str, errors: dict[str, list[str]]
) -> dt.datetime | None:
    """The instant in UTC, or None with a message when outside 1990-2099."""
    try:
        instant = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST <= instant < LATEST:
        errors[field] = ["Give a time between 1990 and 2099."]
        return None
    return instant


def parse_ticket_times(
    priority: Any = None,
    opened_at: Any = None,
    responded_at: Any = None,
    resolved_at: Any = None,
    pauses: Any = None,
) -> TicketTimes:
    """Validate the ticket fields; every error at once, each naming its field.

    Times must carry a time zone; a response or resolution before the opening, a
    resolution before the first response, a pause not ending after it starts or outside
    the opening and the resolution, or times without an opening are refused.
    """
    errors: dict[str, list[str]] = {}
    if isinstance(priority, str):
        priority = priority.strip() or None
    if priority is not None and (not isinstance(priority, str) or len(priority) > 20):
        errors["priority"] = ["At most 20 characters."]
    opened = _instant(opened_at, "opened_at", errors)
    responded = _instant(responded_at, "responded_at", errors)
    resolved = _instant(resolved_at, "resolved_at", errors)
    for name, value in (("responded_at", responded), ("resolved_at", resolved)):
        if value is not None and opened is None and "opened_at" not in errors:
            errors[name] = ["Give the time the ticket was opened first."]
        elif value is not None and opened is not None and value < opened:
            errors[name] = ["Must not be before the ticket was opened."]
        elif value is not None and opened is not None and value - opened > MAX_SPAN:
            errors[name] = ["Must be within five years of the opening."]
    if responded is not None and resolved is not None and resolved < responded:
        errors.setdefault("resolved_at", []).append("Must not be before the first response.")
    parsed: list[Pause] = []
    if pauses:
        if not isinstance(pauses, list) or len(pauses) > MAX_PAUSES:
            errors["pauses"] = [f'Give a list of at most {MAX_PAUSES} {{"from", "to"}} objects.']
        else:
            for index, raw in enumerate(pauses):
                path = f"pauses.{index}"
                if not isinstance(raw, Mapping) or set(raw) != {"from", "to"}:
                    errors[path] = ['Give {"from": ..., "to": ...}.']
                    continue
                low = _instant(raw["from"], f"{path}.from", errors)
                high = _instant(raw["to"], f"{path}.to", errors)
                if low is not None and high is not None:
                    if high - low > MAX_SPAN:
                        errors[f"{path}.to"] = ["A pause lasts at most five years."]
                    elif high <= low:
                        errors[f"{path}.to"] = ["A pause must end after it starts."]
                    elif opened is not None and low < opened:
                        errors[f"{path}.from"] = ["A pause starts once the ticket is opened."]
                    elif resolved is not None and high > resolved:
                        errors[f"{path}.to"] = ["A pause ends by the ticket's resolution."]
                    else:
                        parsed.append((low, high))
    if errors:
        raise ValidationFailed(errors)
    return TicketTimes(priority, opened, responded, resolved, tuple(sorted(parsed)))


def pauses_from_text(text: str) -> list[dict[str, str]] | str:
    """Pauses in a CSV cell: ``from/to`` pairs separated by ``;``.

    A cell that is not such a list is returned as is, for the validation to refuse.
    """
    text = (text or "").strip()
    if not text:
        return []
    pauses = []
    for part in text.split(";"):
        bounds = part.strip().split("/")
        if len(bounds) != 2:
            return text
        pauses.append({"from": bounds[0].strip(), "to": bounds[1].strip()})
    return pauses


def pauses_of(task: Task) -> list[Pause]:
    return [
        (
            dt.datetime.fromisoformat(raw["from"]).astimezone(dt.UTC),
            dt.datetime.fromisoformat(raw["to"]).astimezone(dt.UTC),
        )
        for raw in task.pauses or ()
    ]


def set_ticket_times(task: Task, times: TicketTimes) -> None:
    task.priority = times.priority
    task.opened_at = times.opened_at
    task.responded_at = times.responded_at
    task.resolved_at = times.resolved_at
    task.pauses = times.pauses_json()


# --- the terms valid on a day --------------------------------------------------------


class TermsTimeline:
    """The current scope versions' terms of one agreement, loaded once, bisected by day."""

    def __init__(self, agreement_id: int) -> None:
        rows = db.session.execute(
            sa.select(
                ScopeVersion.number,
                ScopeVersion.valid_from,
                ScopeVersion.valid_to,
                ScopeVersion.service_levels,
                ScopeVersion.calendar,
                ScopeVersion.monthly_fee,
            )
            .where(
                ScopeVersion.agreement_id == agreement_id,
                ScopeVersion.superseded_at.is_(None),
            )
            .order_by(ScopeVersion.valid_from)
        ).all()
        self.rows = rows
        self.starts = [row.valid_from for row in rows]
        self._terms: dict[int, Terms] = {}
        self._segment_cache: (
            list[tuple[dt.datetime | None, dt.datetime | None, Calendar | None]] | None
        ) = None

    def _position(self, day: dt.date) -> int | None:
        position = bisect.bisect_right(self.starts, day) - 1
        if position < 0:
            return None
        row = self.rows[position]
        if row.valid_to is not None and day >= row.valid_to:
            return None
        return position

    def terms_at(self, position: int) -> Terms:
        if position not in self._terms:
            row = self.rows[position]
            self._terms[position] = terms_from_json(
                row.service_levels, row.calendar, row.monthly_fee
            )
        return self._terms[position]

    def on(self, day: dt.date) -> tuple[int, Terms] | None:
        """The version number and terms valid on a day, or None outside the timeline."""
        position = self._position(day)
        return None if position is None else (self.rows[position].number, self.terms_at(position))

    def at(self, instant: dt.datetime) -> tuple[int, Terms] | None:
        """The version valid at an instant, its day read in the calendar's time zone."""
        found = self.on(instant.astimezone(dt.UTC).date())
        if found is None or found[1].calendar is None:
            return found
        local = found[1].calendar.local_date(instant)
        return self.on(local) if local != instant.astimezone(dt.UTC).date() else found

    def _segments(self) -> list[tuple[dt.datetime | None, dt.datetime | None, Calendar | None]]:
        """The calendar in force, as instants: each version from local midnight of its
        first day (in its own calendar's time zone) to the next version's start."""
        if self._segment_cache is None:
            starts = []
            for position, row in enumerate(self.rows):
                calendar = self.terms_at(position).calendar
                zone = calendar.zone if calendar else dt.UTC
                starts.append((dt.datetime.combine(row.valid_from, dt.time(), zone), calendar))
            self._segment_cache = [
                (
                    None if index == 0 else begin,
                    starts[index + 1][0] if index + 1 < len(starts) else None,
                    calendar,
                )
                for index, (begin, calendar) in enumerate(starts)
            ]
        return self._segment_cache

    def business_seconds(
        self, start: dt.datetime, end: dt.datetime, pauses: Sequence[Pause] = ()
    ) -> int:
        """Business time between two instants on the calendar in force on each day
        (a calendar changed by an annex applies from its version's first day)."""
        segments = self._segments()
        if len(segments) <= 1:
            calendar = segments[0][2] if segments else None
            return elapsed_seconds(calendar, True, start, end, pauses)
        total = 0
        for low, high, calendar in segments:
            begin = start if low is None or start > low else low
            finish = end if high is None or end < high else high
            if finish > begin:
                total += elapsed_seconds(calendar, True, begin, finish, pauses)
        return total

    def elapsed(
        self,
        business: bool,
        start: dt.datetime,
        end: dt.datetime,
        pauses: Sequence[Pause] = (),
    ) -> int:
        if business:
            return self.business_seconds(start, end, pauses)
        return elapsed_seconds(None, False, start, end, pauses)

    def overlapping(self, first: dt.date, last: dt.date) -> list[tuple[int, Terms]]:
        return [
            (row.number, self.terms_at(position))
            for position, row in enumerate(self.rows)
            if row.valid_from <= last and (row.valid_to is None or row.valid_to > first)
        ]


# --- measuring ---------------------------------------------------------------------------


def applies_to(spec: ServiceLevelSpec, task: Task) -> bool:
    """Whether a ticket falls under a service level (its verdict does not matter)."""
    if spec.metric == "availability":
        return False
    if spec.categories and not (
        task.category and any(category_covers(code, task.category) for code in spec.categories)
    ):
        return False
    if spec.priorities and task.priority not in spec.priorities:
        return False
    return not (spec.systems and task.system not in spec.systems)


def target_seconds(spec: ServiceLevelSpec) -> int:
    """The target in whole seconds, rounded down: ``elapsed <= target`` stays exact."""
    assert spec.target_hours is not None
    return int(spec.target_hours * 3600)


def month_of(calendar: Calendar | None, instant: dt.datetime) -> str:
    day = calendar.local_date(instant) if calendar else instant.astimezone(dt.UTC).date()
    return f"{day.year:04d}-{day.month:02d}"


def clocks_for(task: Task, timeline: TermsTimeline, now: dt.datetime) -> list[dict[str, Any]]:
    """The rows to store for one ticket: one per service level that applies to it."""
    if task.opened_at is None:
        return []
    found = timeline.at(task.opened_at)
    if found is None:
        return []
    number, terms = found
    pauses = pauses_of(task)
    rows = []
    for spec in terms.service_levels.values():
        if not applies_to(spec, task):
            continue
        business = spec.clock == "business"
        target = target_seconds(spec)
        event = task.responded_at if spec.metric == "response_time" else task.resolved_at
        elapsed = (
            timeline.elapsed(business, task.opened_at, event, pauses) if event is not None else 0
        )
        rows.append(
            {
                "agreement_id": task.agreement_id,
                "task_id": task.id,
                "service_level_ref": spec.ref,
                "scope_version": number,
                "period": month_of(terms.calendar, event) if event is not None else None,
                "opened_at": task.opened_at,
                "measured_at": event,
                "elapsed_seconds": elapsed,
                "target_seconds": target,
                "met": elapsed <= target if event is not None else None,
                "deadline": deadline(terms.calendar, business, task.opened_at, target, pauses),
                "computed_at": now,
            }
        )
    return rows


def store_ticket_clocks(task: Task) -> None:
    """Store the ticket's clocks afresh (after it was recorded or its times changed)."""
    store_clocks_of(task.agreement_id, [task])


def store_clocks_of(agreement_id: int, tasks: Sequence[Task]) -> int:
    """Replace the stored clocks of these tickets of one agreement; returns rows stored."""
    timeline = TermsTimeline(agreement_id)
    now = utcnow()
    ids = [task.id for task in tasks]
    for chunk in _chunks(ids, 500):
        db.session.execute(sa.delete(TicketClock).where(TicketClock.task_id.in_(chunk)))
    rows = [row for task in tasks for row in clocks_for(task, timeline, now)]
    for chunk in _chunks(rows, 1000):
        db.session.execute(sa.insert(TicketClock), chunk)
    return len(rows)


def measure_imported(agreement_id: int, refs: Sequence[str]) -> int:
    """Store the clocks of tickets just imported (by ref), in chunks."""
    tasks: list[Task] = []
    for chunk in _chunks(list(refs), 500):
        tasks.extend(
            db.session.scalars(
                sa.select(Task).where(Task.agreement_id == agreement_id, Task.ref.in_(chunk))
            ).all()
        )
    return store_clocks_of(agreement_id, tasks) if tasks else 0


def remeasure_from(agreement_id: int, start: dt.date) -> int:
    """Measure again every ticket whose clock runs on or after ``start`` (from the day
    before, for time zones): opened since, or responded or resolved since, or still open."""
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), dt.UTC)
    tasks = db.session.scalars(
        sa.select(Task).where(
            Task.agreement_id == agreement_id,
            Task.opened_at.is_not(None),
            sa.or_(
                Task.responded_at.is_(None),
                Task.responded_at >= since,
                Task.resolved_at.is_(None),
                Task.resolved_at >= since,
            ),
        )
    ).all()
    return store_clocks_of(agreement_id, tasks)


def on_scope_changed(sender: Any, start: dt.date, annex_id: int | None = None, **_: Any) -> None:
    """Receiver of ``scope.signals.scope_changed``: re-measure in the same transaction."""
    remeasure_from(sender.id, start)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


@functools.lru_cache(maxsize=65_536)
def hours_text(seconds: int) -> str:
    """Hours as a decimal string, unrounded (``5400`` seconds is ``"1.5"``)."""
    if seconds % 3600 == 0:
        return str(seconds // 3600)
    return str(Decimal(seconds) / Decimal(3600))
