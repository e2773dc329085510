"""Service levels measured: outages, ticket times, and the monthly report with its credits.

Rules (docs/service-levels.md):
- A period is a calendar month in the calendar's time zone (UTC without a calendar).
- A ticket is counted in the month of its measured event (its response for
  ``response_time``, its resolution for ``resolution_time``), against the service
  level of the version valid when it was opened; rejected tickets are not counted.
- It meets its target when its elapsed time is at most the target.
- ``percent`` is met / measured * 100, unrounded; with nothing measured the status is
  ``no_data``, the percent null and there is no credit.
- Availability: the share of the period's time on the service level's clock during
  which none of the listed systems had an unplanned outage.
- Credit: the tier with the lowest ``below_percent`` the percent falls below; its
  amount is the monthly fee valid on the period's last day times the credit percent,
  rounded half-up to the currency's minor unit; the total is the sum of rounded amounts.
- An open ticket is at risk when less than a quarter of its target is left, as of
  now (or the period's end, for a past period).
"""

from __future__ import annotations

import calendar as month_calendar
import dataclasses
import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import EVERY_ROLE, require_role
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import Role
from contracts_app.errors import ValidationFailed
from contracts_app.figures import currency_scale, decimal_text
from contracts_app.scope.service_levels import ServiceLevelSpec, Terms
from contracts_app.scope.vocabulary import lookalike_errors, vocabulary_of
from contracts_app.service_levels.clock import (
    Calendar,
    business_seconds_between,
    merge,
    seconds,
)
from contracts_app.service_levels.models import Outage, TicketClock
from contracts_app.service_levels.tickets import (
    MAX_SPAN,
    TermsTimeline,
    hours_text,
    parse_ticket_times,
    pauses_of,
    set_ticket_times,
    store_ticket_clocks,
    within_bounds,
)
from contracts_app.sorting import Sorting, lower
from contracts_app.tasks.models import Task
from workflows.task_states import TaskState

OUTAGE_RECORDERS = frozenset({Role.MANAGER, Role.CONTRIBUTOR})
PERIOD_PATTERN = re.compile(r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$")  # 1990-2099


def minor_unit(currency: str) -> Decimal:
    """The currency's minor unit (ISO 4217): credits are rounded to it."""
    return Decimal(1).scaleb(-currency_scale(currency))


# --- outages -----------------------------------------------------------------------------


@dataclasses.dataclass
class OutageInput:
    system: str
    started_at: dt.datetime
    ended_at: dt.datetime
    planned: bool = False
    note: str = ""
    # a system that looks like one the agreement knows ("Shop-Web" beside "shop-web") is
    # refused, naming it, unless kept on purpose: a misspelt outage would count nowhere
    confirm_new_codes: bool = False


def record_outage(
    agreement: Agreement, membership: Membership | None, data: OutageInput, actor: User
) -> Outage:
    """Record a system's outage; managers and contributors may.

    Refuses an end not after the start, times without a time zone, and a system that
    looks like a known one unless ``confirm_new_codes``.
    """
    require_role(actor, agreement, membership, OUTAGE_RECORDERS)
    errors: dict[str, list[str]] = {}
    system = (data.system or "").strip()
    if not system or len(system) > 100:
        errors["system"] = ["Name the system (at most 100 characters)."]
    for name in ("started_at", "ended_at"):
        value = getattr(data, name)
        if value.tzinfo is None or value.utcoffset() is None:
            errors[name] = ["Give the time zone (e.g. +02:00 or Z)."]
        else:
            within_bounds(value, name, errors)
    if not errors and data.ended_at <= data.started_at:
        errors["ended_at"] = ["Must be after the start."]
    elif not errors and data.ended_at - data.started_at > MAX_SPAN:
        errors["ended_at"] = ["An outage lasts at most five years; record it in parts."]
    if len(data.note or "") > 2000:
        errors["note"] = ["At most 2000 characters."]
    if "system" not in errors and not data.confirm_new_codes:
        errors.update(lookalike_errors({"system": [system]}, vocabulary_of(agreement)))
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        outage = Outage(
            agreement_id=agreement.id,
            system=system,
            started_at=data.started_at.astimezone(dt.UTC),
            ended_at=data.ended_at.astimezone(dt.UTC),
            planned=data.planned,
            note=data.note or "",
            created_by_id=actor.id,
        )
        db.session.add(outage)
        db.session.flush()
        record(
            "outage.recorded",
            outage,
            actor,
            agreement_id=agreement.id,
            changes={
                "system": {"before": None, "after": system},
                "planned": {"before": None, "after": data.planned},
            },
        )
    return outage


OUTAGE_SORTING = Sorting(
    columns={
        "started": Outage.started_at,
        "ended": Outage.ended_at,
        "system": lower(Outage.system),
        "planned": Outage.planned,
        "recorded": Outage.created_at,
    },
    default="-started",
    tiebreaker=Outage.id,
)


def list_outages(
    agreement: Agreement, membership: Membership | None, actor: User, sort: str | None = None
) -> list[Outage]:
    """The agreement's outages, latest start first unless ``sort`` says otherwise."""
    require_role(actor, agreement, membership, EVERY_ROLE)
    order = OUTAGE_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Outage).where(Outage.agreement_id == agreement.id).order_by(*order)
        ).all()
    )


# --- periods -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        match = PERIOD_PATTERN.match(text or "")
        if not match:
            raise ValidationFailed({field: ["Give a month as YYYY-MM (1990 to 2099)."]})
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, month_calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def bounds(self, calendar: Calendar | None) -> tuple[dt.datetime, dt.datetime]:
        """The month's first instant and the next month's, in the calendar's time zone."""
        zone = calendar.zone if calendar else dt.UTC
        following = self.last_day + dt.timedelta(days=1)
        return (
            dt.datetime.combine(self.first_day, dt.time(), zone).astimezone(dt.UTC),
            dt.datetime.combine(following, dt.time(), zone).astimezone(dt.UTC),
        )

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- the report --------------------------------------------------------------------------


def _percent_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _spec_in_period(
    timeline: TermsTimeline, period: Period
) -> tuple[dict[str, ServiceLevelSpec], Terms | None]:
    """Each service level in force in the period, as it stood last in it; and the terms
    valid on the period's last day (for the fee and the time zone)."""
    specs: dict[str, ServiceLevelSpec] = {}
    for _number, terms in timeline.overlapping(period.first_day, period.last_day):
        specs.update(terms.service_levels)
    last = timeline.on(period.last_day)
    return specs, last[1] if last else None


def _availability(
    agreement: Agreement,
    spec: ServiceLevelSpec,
    calendar: Calendar | None,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[int, int]:
    """Seconds on the clock in ``[start, end)``, and seconds of them with a listed system
    down for an unplanned outage (overlapping outages count once)."""
    outages = db.session.execute(
        sa.select(Outage.started_at, Outage.ended_at).where(
            Outage.agreement_id == agreement.id,
            Outage.system.in_(spec.systems),
            Outage.planned.is_(False),
            Outage.started_at < end,
            Outage.ended_at > start,
        )
    ).all()
    low, high = seconds(start), seconds(end)
    down = merge((max(seconds(a), low), min(seconds(b), high)) for a, b in outages)
    if spec.clock == "business":
        cal = calendar or Calendar()
        total = business_seconds_between(cal, low, high)
        lost = sum(business_seconds_between(cal, a, b) for a, b in down)
    else:
        total = high - low
        lost = sum(b - a for a, b in down)
    return total, lost


def service_level_report(
    agreement: Agreement,
    membership: Membership | None,
    actor: User,
    period: Period,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The period's measurement per service level and the service credits it implies.

    An aggregate over the stored ticket clocks (and the outages, for availability).
    Any member may read it.
    """
    require_role(actor, agreement, membership, EVERY_ROLE)
    return build_report(agreement, period, now or utcnow())


def build_report(
    agreement: Agreement, period: Period, now: dt.datetime, with_open: bool = True
) -> dict[str, Any]:
    timeline = TermsTimeline(agreement.id)
    specs, last_terms = _spec_in_period(timeline, period)
    calendar = last_terms.calendar if last_terms else None
    start, end = period.bounds(calendar)
    fee = last_terms.monthly_fee if last_terms else None
    unit = minor_unit(agreement.currency)
    counted = sa.and_(
        TicketClock.agreement_id == agreement.id,
        TicketClock.period == str(period),
        Task.state != TaskState.REJECTED,
    )
    counts = {
        row.ref: (row.measured, int(row.met or 0))
        for row in db.session.execute(
            sa.select(
                TicketClock.service_level_ref.label("ref"),
                sa.func.count().label("measured"),
                sa.func.sum(sa.case((TicketClock.met.is_(True), 1), else_=0)).label("met"),
            )
            .join(Task, Task.id == TicketClock.task_id)
            .where(counted)
            .group_by(TicketClock.service_level_ref)
        )
    }
    breaches: dict[str, list[dict[str, Any]]] = {}
    for row in db.session.execute(
        sa.select(
            TicketClock.service_level_ref,
            Task.ref,
            TicketClock.elapsed_seconds,
            TicketClock.target_seconds,
        )
        .join(Task, Task.id == TicketClock.task_id)
        .where(counted, TicketClock.met.is_(False))
        .order_by(TicketClock.measured_at, Task.ref)
    ):
        breaches.setdefault(row[0], []).append(
            {
                "task": row[1],
                "elapsed_hours": hours_text(row[2]),
                "target_hours": hours_text(row[3]),
            }
        )
    at_risk = _open_at_risk(agreement, timeline, min(now, end)) if with_open else {}
    for ref in counts:
        if ref not in specs:  # measured against a version no longer in force this month
            for position in range(len(timeline.rows) - 1, -1, -1):
                if ref in timeline.terms_at(position).service_levels:
                    specs[ref] = timeline.terms_at(position).service_levels[ref]
                    break

    rows = []
    total_percent = Decimal(0)
    total_amount = Decimal(0).quantize(unit)
    for ref, spec in specs.items():
        if spec.metric == "availability":
            # the month so far while it runs: minutes still to come are not minutes up
            until = min(end, max(start, now))
            measured_seconds, down = _availability(agreement, spec, calendar, start, until)
            measured = measured_seconds // 60
            met_count = (measured_seconds - down) // 60
            percent = (
                Decimal(measured_seconds - down) * 100 / Decimal(measured_seconds)
                if measured_seconds
                else None
            )
        else:
            measured, met_count = counts.get(ref, (0, 0))
            percent = Decimal(met_count) * 100 / Decimal(measured) if measured else None
        if percent is None:
            status, credit = "no_data", Decimal(0)
        else:
            status = "met" if percent >= spec.objective_percent else "missed"
            credit = spec.credit_for(percent)
        amount = ((fee or Decimal(0)) * credit / 100).quantize(unit, rounding=ROUND_HALF_UP)
        total_percent += credit
        total_amount += amount
        rows.append(
            {
                "ref": ref,
                "title": spec.title,
                "metric": spec.metric,
                "measured": measured,
                "met": met_count,
                "percent": _percent_text(percent),
                "objective_percent": str(spec.objective_percent),
                "status": status,
                "credit_percent": str(credit),
                "credit_amount": str(amount),
                "breaches": breaches.get(ref, []),
                "open_at_risk": at_risk.get(ref, []),
            }
        )
    return {
        "period": str(period),
        "currency": agreement.currency,
        "monthly_fee": decimal_text(fee),
        "service_levels": rows,
        "total_credit_percent": str(total_percent),
        "total_credit_amount": str(total_amount),
    }


def _open_at_risk(
    agreement: Agreement, timeline: TermsTimeline, at: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """Tickets open at ``at`` with less than a quarter of their target left."""
    rows = db.session.execute(
        sa.select(TicketClock, Task)
        .join(Task, Task.id == TicketClock.task_id)
        .where(
            TicketClock.agreement_id == agreement.id,
            TicketClock.opened_at <= at,
            sa.or_(TicketClock.measured_at.is_(None), TicketClock.measured_at > at),
            Task.state != TaskState.REJECTED,
        )
        .order_by(TicketClock.deadline, Task.ref)
    ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for clock, task in rows:
        version = timeline.at(task.opened_at) if task.opened_at else None
        if version is None or clock.service_level_ref not in version[1].service_levels:
            continue
        terms = version[1]
        spec = terms.service_levels[clock.service_level_ref]
        elapsed = timeline.elapsed(spec.clock == "business", clock.opened_at, at, pauses_of(task))
        left = clock.target_seconds - elapsed
        if 4 * left < clock.target_seconds:
            found.setdefault(clock.service_level_ref, []).append(
                {
                    "task": task.ref,
                    "deadline": clock.deadline.isoformat() if clock.deadline else None,
                    "hours_left": hours_text(left),
                }
            )
    return found


def ticket_status(task: Task) -> list[dict[str, Any]]:
    """The ticket's clocks, for the task page: per service level, met, missed or open."""
    clocks = db.session.scalars(
        sa.select(TicketClock)
        .where(TicketClock.task_id == task.id)
        .order_by(TicketClock.service_level_ref)
    ).all()
    now = utcnow()
    result = []
    for clock in clocks:
        if clock.met is None:
            status = "open" if clock.deadline is None or clock.deadline > now else "overdue"
        else:
            status = "met" if clock.met else "breached"
        result.append(
            {
                "ref": clock.service_level_ref,
                "status": status,
                "elapsed_hours": hours_text(clock.elapsed_seconds),
                "target_hours": hours_text(clock.target_seconds),
                "deadline": clock.deadline,
                "period": clock.period,
            }
        )
    return result


def overview(
    agreement: Agreement,
    membership: Membership | None,
    actor: User,
    period: Period,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The page's figures: the period's report and, per service level, the 12 months
    up to it (percent and status per month, for the chart)."""
    require_role(actor, agreement, membership, EVERY_ROLE)
    now = now or utcnow()
    report = build_report(agreement, period, now)
    months = [period]
    while len(months) < 12:
        months.insert(0, months[0].previous())
    history: dict[str, list[dict[str, Any]]] = {row["ref"]: [] for row in report["service_levels"]}
    for month in months:
        rows = {
            row["ref"]: row
            for row in build_report(agreement, month, now, with_open=False)["service_levels"]
        }
        for ref, points in history.items():
            row = rows.get(ref)
            points.append(
                {
                    "label": f"{month.month:02d}/{month.year % 100:02d}",
                    "percent": float(Decimal(row["percent"])) if row and row["percent"] else None,
                    "status": row["status"] if row else "no_data",
                }
            )
    return {"report": report, "history": history, "months": [str(m) for m in months]}


# --- ticket times changed ---------------------------------------------------------------

TIME_FIELDS = ("priority", "opened_at", "responded_at", "resolved_at", "pauses")


def update_ticket_times(
    task: Task, membership: Membership | None, changes: dict[str, Any], actor: User
) -> Task:
    """Change a ticket's priority, times or pauses; its clocks are stored again.

    Managers and contributors may; fields not given keep their value. Refuses what
    ``parse_ticket_times`` refuses, naming the field.
    """
    agreement = task.agreement
    require_role(actor, agreement, membership, OUTAGE_RECORDERS)
    unknown = set(changes) - set(TIME_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    current = {
        "priority": task.priority,
        "opened_at": task.opened_at,
        "responded_at": task.responded_at,
        "resolved_at": task.resolved_at,
        "pauses": list(task.pauses or []),
    }
    times = parse_ticket_times(**{**current, **changes})
    with unit_of_work():
        before = {
            name: value.isoformat() if isinstance(value, dt.datetime) else value
            for name, value in current.items()
        }
        set_ticket_times(task, times)
        db.session.flush()
        store_ticket_clocks(task)
        after = {
            "priority": task.priority,
            "opened_at": task.opened_at.isoformat() if task.opened_at else None,
            "responded_at": task.responded_at.isoformat() if task.responded_at else None,
            "resolved_at": task.resolved_at.isoformat() if task.resolved_at else None,
            "pauses": task.pauses,
        }
        record(
            "task.times_changed",
            task,
            actor,
            agreement_id=agreement.id,
            changes={
                name: {"before": before[name], "after": after[name]}
                for name in TIME_FIELDS
                if before[name] != after[name]
            },
        )
    return task
