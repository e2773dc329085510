"""Terms, renewals and notice: every date the alerts and checks need, computed here only.

Rules (the cases that break other tools are tested in tests/agreements/test_terms.py):

- A term ends on ``end_date``. With ``renewal == "tacit"`` the agreement renews itself for
  ``renewal_months`` unless notice is given: the next term starts the day after the previous
  end and ends on the day before the same day of the month ``renewal_months`` months later,
  or on the last day of that later month when it has no such day (1 February + 1 month ends
  28 or 29 February; 31 January + 1 month ends 28 or 29 February too; 31 March + 1 month
  ends 30 April).
- The current term is the one containing "today" (the first one before the start, the
  last one after the end of a non-renewing agreement). An open-ended agreement
  (no ``end_date``) has no term end and so no notice deadline.
- The notice deadline is the end of the current term minus ``notice_days`` calendar days.
- Alerts go ``alert_days`` days before the notice deadline and before the end of the term.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from contracts_app.errors import ValidationFailed

RENEWAL_NONE = "none"
RENEWAL_TACIT = "tacit"
RENEWALS = (RENEWAL_NONE, RENEWAL_TACIT)
DEFAULT_ALERT_DAYS = (90, 30, 7)
DEFAULT_CAP_ALERT_PERCENTS = (80, 100)
MAX_LEAD_DAYS = 3660
MAX_RENEWAL_MONTHS = 120
# Agreement fields for renewal, notice and alerts (changed on drafts, like the term).
ALERT_FIELDS = ("notice_days", "renewal", "renewal_months", "alert_days", "cap_alert_percents")


@dataclasses.dataclass(frozen=True)
class Renewal:
    """The term fields of an agreement, detached from the database."""

    start_date: dt.date
    end_date: dt.date | None
    renewal: str = RENEWAL_NONE
    renewal_months: int | None = None
    notice_days: int = 0

    @classmethod
    def of(cls, agreement: Any) -> Renewal:
        return cls(
            start_date=agreement.start_date,
            end_date=agreement.end_date,
            renewal=agreement.renewal or RENEWAL_NONE,
            renewal_months=agreement.renewal_months,
            notice_days=agreement.notice_days or 0,
        )


def months_later(day: dt.date, months: int) -> tuple[int, int]:
    """(year, month) ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return index // 12, index % 12 + 1


def term_end(start: dt.date, months: int) -> dt.date:
    """The end of a term of ``months`` months starting on ``start`` (see the module rules)."""
    year, month = months_later(start, months)
    last = calendar.monthrange(year, month)[1]
    if start.day > last:  # the later month has no such day: its last day
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def terms(renewal: Renewal) -> Iterable[tuple[dt.date, dt.date | None]]:
    """The terms in order, as (start, end); endless for tacit renewal."""
    yield renewal.start_date, renewal.end_date
    if renewal.end_date is None or renewal.renewal != RENEWAL_TACIT or not renewal.renewal_months:
        return
    end = renewal.end_date
    while True:
        start = end + dt.timedelta(days=1)
        end = term_end(start, renewal.renewal_months)
        yield start, end


def current_term(renewal: Renewal, today: dt.date) -> tuple[dt.date, dt.date | None]:
    """The term containing ``today`` (the first before the start, the last after the end)."""
    for start, end in terms(renewal):
        if end is None or today <= end:
            return start, end
    return start, end  # a non-renewing agreement after its end: its only term


def end_of_current_term(renewal: Renewal, today: dt.date) -> dt.date | None:
    """The last day of the current term; None when open-ended. ``give_notice`` sets this
    as the agreement's end."""
    return current_term(renewal, today)[1]


def notice_deadline(renewal: Renewal, today: dt.date) -> dt.date | None:
    """The last day to give notice for the current term; None when open-ended."""
    end = end_of_current_term(renewal, today)
    return None if end is None else end - dt.timedelta(days=renewal.notice_days)


@dataclasses.dataclass(frozen=True)
class ContractDate:
    kind: str  # "notice_deadline" or "term_end"
    day: dt.date

    @property
    def label(self) -> str:
        return "Notice deadline" if self.kind == "notice_deadline" else "End of term"


def next_dates(renewal: Renewal, today: dt.date) -> list[ContractDate]:
    """The notice deadline and end of the current term that are today or later, in order.

    Once the notice deadline of a tacitly renewing term has passed, the next one is that
    of the following term (the current one will renew).
    """
    found: list[ContractDate] = []
    for _start, end in terms(renewal):
        if end is None:
            return found
        deadline = end - dt.timedelta(days=renewal.notice_days)
        if renewal.notice_days and deadline >= today:
            found.append(ContractDate("notice_deadline", deadline))
        if end >= today:
            found.append(ContractDate("term_end", end))
        if found:
            return sorted(found, key=lambda d: (d.day, d.kind))
    return found


@dataclasses.dataclass(frozen=True)
class DueAlert:
    date: ContractDate
    lead_days: int

    @property
    def key(self) -> str:
        """Once per agreement, date and lead time: the unique key of the alert."""
        return f"{self.date.kind}:{self.date.day.isoformat()}:{self.lead_days}"


def due_alerts(renewal: Renewal, alert_days: Sequence[int], today: dt.date) -> list[DueAlert]:
    """Alerts whose time has come today: for each upcoming date, the shortest lead time
    already reached (a job that missed days sends one alert, not a backlog)."""
    alerts = []
    for date in next_dates(renewal, today):
        remaining = (date.day - today).days
        reached = [lead for lead in alert_days if remaining <= lead]
        if reached:
            alerts.append(DueAlert(date, min(reached)))
    return alerts


def validate_alert_fields(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Field messages for notice_days, renewal, renewal_months, alert_days, cap_alert_percents."""
    if "notice_days" in values:
        days = values["notice_days"]
        if not isinstance(days, int) or not 0 <= days <= MAX_LEAD_DAYS:
            errors["notice_days"] = [f"Give a number of days from 0 to {MAX_LEAD_DAYS}."]
    if "renewal" in values and values["renewal"] not in RENEWALS:
        errors["renewal"] = ["Must be none or tacit."]
    if "renewal_months" in values and values["renewal_months"] is not None:
        months = values["renewal_months"]
        if not isinstance(months, int) or not 1 <= months <= MAX_RENEWAL_MONTHS:
            errors["renewal_months"] = [f"Give 1 to {MAX_RENEWAL_MONTHS} months."]
    if values.get("renewal") == RENEWAL_TACIT:
        if not values.get("renewal_months"):
            errors.setdefault("renewal_months", ["A tacit renewal needs its length in months."])
        if "end_date" in values and values["end_date"] is None:
            errors["renewal"] = ["An open-ended agreement does not renew; give an end date."]
    if "alert_days" in values:
        leads = values["alert_days"]
        if not isinstance(leads, list | tuple) or len(leads) > 10:
            errors["alert_days"] = ["Give up to 10 lead times in days."]
        elif any(not isinstance(d, int) or not 0 <= d <= MAX_LEAD_DAYS for d in leads):
            errors["alert_days"] = [f"Each lead time is 0 to {MAX_LEAD_DAYS} days."]
    if "cap_alert_percents" in values:
        percents = values["cap_alert_percents"]
        if not isinstance(percents, list | tuple) or len(percents) > 10:
            errors["cap_alert_percents"] = ["Give up to 10 percentages."]
        elif any(not isinstance(p, int) or not 1 <= p <= 1000 for p in percents):
            errors["cap_alert_percents"] = ["Each threshold is a whole percentage from 1 to 1000."]


# --- the fields as rules of governance: set on a draft, later changed only by annex --------


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def parse_notice_days(value: Any, path: str) -> int:
    if not _whole(value, 0, MAX_LEAD_DAYS):
        raise ValidationFailed({path: [f"Give a number of days from 0 to {MAX_LEAD_DAYS}."]})
    return value


def parse_renewal(value: Any, path: str) -> str:
    if value not in RENEWALS:
        raise ValidationFailed({path: ["Must be none or tacit."]})
    return value


def parse_renewal_months(value: Any, path: str) -> int | None:
    if value is not None and not _whole(value, 1, MAX_RENEWAL_MONTHS):
        raise ValidationFailed({path: [f"Give 1 to {MAX_RENEWAL_MONTHS} months."]})
    return value


def parse_alert_days(value: Any, path: str) -> list[int]:
    """Lead times in days, longest first, each once."""
    if not isinstance(value, list | tuple) or len(value) > 10:
        raise ValidationFailed({path: ["Give up to 10 lead times in days."]})
    if any(not _whole(d, 0, MAX_LEAD_DAYS) for d in value):
        raise ValidationFailed({path: [f"Each lead time is 0 to {MAX_LEAD_DAYS} days."]})
    return sorted(set(value), reverse=True)


def parse_cap_alert_percents(value: Any, path: str) -> list[int]:
    """Thresholds in percent of a cap, lowest first, each once."""
    if not isinstance(value, list | tuple) or len(value) > 10:
        raise ValidationFailed({path: ["Give up to 10 percentages."]})
    if any(not _whole(p, 1, 1000) for p in value):
        raise ValidationFailed({path: ["Each threshold is a whole percentage from 1 to 1000."]})
    return sorted(set(value))


PARSERS = {
    "notice_days": ("Notice (days before the end of a term)", parse_notice_days),
    "renewal": ("Renewal (none or tacit)", parse_renewal),
    "renewal_months": ("Months of each tacit renewal", parse_renewal_months),
    "alert_days": ("Alert lead times (days)", parse_alert_days),
    "cap_alert_percents": ("Cap alert thresholds (%)", parse_cap_alert_percents),
}
