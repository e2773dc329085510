"""The clock escalation deadlines run on.

Response times are counted on the agreement's service calendar where it has one (business
hours), else on the wall clock. One clock object answers both questions the workflow asks:
how long was the ball held, and when is an answer due.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from contracts_app.agreements.models import Agreement
from contracts_app.scope.services import version_on
from contracts_app.service_levels.clock import Calendar, deadline, elapsed_seconds


class Clock(Protocol):
    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int: ...

    def add_hours(self, start: dt.datetime, hours: Decimal) -> dt.datetime: ...


class WallClock:
    """Every hour counts."""

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        return max(0, int((end - start).total_seconds()))

    def add_hours(self, start: dt.datetime, hours: Decimal) -> dt.datetime:
        return start + dt.timedelta(seconds=int(hours * 3600))


class BusinessClock:
    """Only the working hours of the agreement's service calendar count (its time zone,
    working days and hours, public holidays, closed days): ``service_levels.clock``."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        if end <= start:
            return 0
        return elapsed_seconds(self.calendar, True, start, end)

    def add_hours(self, start: dt.datetime, hours: Decimal) -> dt.datetime:
        return deadline(self.calendar, True, start, int(hours * 3600))


def clock_for(agreement: Agreement, today: dt.date | None = None) -> Clock:
    """The agreement's clock: the business hours of the service calendar in force today
    where it has one, else the wall clock."""
    today = today or dt.date.today()
    day = max(agreement.start_date, min(today, agreement.term_end(today) or today))
    version = version_on(agreement, day, with_clauses=False)
    if version is None or not version.calendar:
        return WallClock()
    return BusinessClock(Calendar.from_json(version.calendar))


def hours(seconds: int) -> Decimal:
    """Seconds as hours for people (two decimals); totals are kept in whole seconds."""
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
