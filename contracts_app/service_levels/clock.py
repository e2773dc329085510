"""Elapsed time on a service level's clock: business hours of a calendar, or wall time.

Pure and fast: nothing here touches the database. A calendar's working window of a
day (in UTC seconds) is computed once per calendar and day, public holidays once per
country, subdivision and year, so measuring a ticket is a few dictionary look-ups.

Rules:
- Business time counts the part of ``[start, end)`` inside the calendar's working
  hours on its working days, in the calendar's time zone, except public holidays and
  closed days. Working hours are wall-clock hours of the local day, so a day on which
  daylight-saving time changes inside the window is an hour shorter or longer.
- Pauses (e.g. waiting for the customer) stop the clock: their time is not counted.
- The ``always`` clock is wall time minus pauses.
- Without a calendar, business clocks run Monday to Friday 09:00-17:00 UTC.
- Clocks count whole seconds; instants are taken to the second below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86_400

Interval = tuple[int, int]  # [start, end) in epoch seconds


class CalendarError(ValueError):
    """A calendar that cannot be used; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _minutes(text: Any, field: str) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise CalendarError(field, "Give a time as HH:MM.")
    try:
        hours, minutes = int(text[:2]), int(text[3:])
    except ValueError:
        raise CalendarError(field, "Give a time as HH:MM.") from None
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise CalendarError(field, "Give a time between 00:00 and 24:00.")
    return hours * 60 + minutes


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclasses.dataclass(frozen=True, slots=True)
class Calendar:
    """A service calendar: when business clocks run."""

    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset(range(5))  # Monday is 0
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    country: str | None = None
    subdivision: str | None = None
    closed_days: frozenset[dt.date] = frozenset()

    @classmethod
    def from_json(cls, raw: Any) -> Calendar:
        """Validate the JSON shape; raises ``CalendarError`` naming the field."""
        if not isinstance(raw, Mapping):
            raise CalendarError("", "Must be an object.")
        unknown = set(raw) - {
            "timezone",
            "working_days",
            "working_hours",
            "holidays",
            "closed_days",
        }
        if unknown:
            raise CalendarError(sorted(unknown)[0], "Unknown field.")
        zone = raw.get("timezone", "UTC")
        try:
            if not isinstance(zone, str) or not zone:
                raise ZoneInfoNotFoundError
            _zone(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError("timezone", "Not a known time zone (e.g. Europe/Warsaw).") from None
        days = raw.get("working_days", list(WEEKDAYS[:5]))
        if not isinstance(days, list) or any(day not in WEEKDAYS for day in days):
            raise CalendarError("working_days", f"Give days among: {', '.join(WEEKDAYS)}.")
        hours = raw.get("working_hours", ["09:00", "17:00"])
        if not isinstance(hours, list) or len(hours) != 2:
            raise CalendarError("working_hours", 'Give ["HH:MM", "HH:MM"].')
        start, end = _minutes(hours[0], "working_hours"), _minutes(hours[1], "working_hours")
        if end <= start:
            raise CalendarError("working_hours", "The end must come after the start.")
        country = subdivision = None
        rule = raw.get("holidays")
        if rule is not None:
            if not isinstance(rule, Mapping) or set(rule) - {"country", "subdivision"}:
                raise CalendarError("holidays", 'Give {"country": "PL", "subdivision": null}.')
            country, subdivision = rule.get("country"), rule.get("subdivision")
            supported = holiday_data.list_supported_countries()
            if not isinstance(country, str) or country not in supported:
                raise CalendarError("holidays.country", "Not a supported country code.")
            if subdivision is not None and subdivision not in supported[country]:
                raise CalendarError("holidays.subdivision", "Not a subdivision of that country.")
        closed = raw.get("closed_days", [])
        if not isinstance(closed, list):
            raise CalendarError("closed_days", "Give a list of dates.")
        try:
            closed_days = frozenset(dt.date.fromisoformat(day) for day in closed)
        except (TypeError, ValueError):
            raise CalendarError("closed_days", "Give dates as YYYY-MM-DD.") from None
        return cls(
            timezone=zone,
            working_days=frozenset(WEEKDAYS.index(day) for day in days),
            start_minute=start,
            end_minute=end,
            country=country,
            subdivision=subdivision,
            closed_days=closed_days,
        )

    def to_json(self) -> dict[str, Any]:
        def hhmm(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return {
            "timezone": self.timezone,
            "working_days": [WEEKDAYS[day] for day in sorted(self.working_days)],
            "working_hours": [hhmm(self.start_minute), hhmm(self.end_minute)],
            "holidays": {"country": self.country, "subdivision": self.subdivision}
            if self.country
            else None,
            "closed_days": [day.isoformat() for day in sorted(self.closed_days)],
        }

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    def is_working_day(self, day: dt.date) -> bool:
        return (
            day.weekday() in self.working_days
            and day not in self.closed_days
            and day not in public_holidays(self.country, self.subdivision, day.year)
        )


DEFAULT_CALENDAR = Calendar()


@functools.lru_cache(maxsize=1024)
def public_holidays(country: str | None, subdivision: str | None, year: int) -> frozenset[dt.date]:
    if country is None:
        return frozenset()
    return frozenset(holiday_data.country_holidays(country, subdiv=subdivision, years=year))


def _local_instant(day: dt.date, minute: int, zone: ZoneInfo) -> int:
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone) + dt.timedelta(minutes=minute)
    # ``combine + timedelta`` is wall-clock arithmetic: 08:00 local on that date
    return int(local.timestamp())


@functools.lru_cache(maxsize=65_536)
def working_window(calendar: Calendar, ordinal: int) -> Interval | None:
    """The working window of a local day (by ordinal) in epoch seconds, or None."""
    day = dt.date.fromordinal(ordinal)
    if not calendar.is_working_day(day):
        return None
    zone = calendar.zone
    start = _local_instant(day, calendar.start_minute, zone)
    end = _local_instant(day, calendar.end_minute, zone)
    return (start, end) if end > start else None


def seconds(instant: dt.datetime) -> int:
    """Epoch seconds of an aware instant, to the second below."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return int(instant.timestamp() // 1)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint, non-empty intervals covering the same time."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def running(start: int, end: int, pauses: Sequence[Interval] = ()) -> list[Interval]:
    """``[start, end)`` minus the pauses (given merged), as disjoint intervals."""
    if end <= start:
        return []
    if not pauses:
        return [(start, end)]
    parts: list[Interval] = []
    cursor = start
    for pause_start, pause_end in pauses:
        if pause_end <= cursor:
            continue
        if pause_start >= end:
            break
        if pause_start > cursor:
            parts.append((cursor, pause_start))
        cursor = max(cursor, pause_end)
        if cursor >= end:
            break
    if cursor < end:
        parts.append((cursor, end))
    return parts


def _day_ordinal(calendar: Calendar, instant: int) -> int:
    return (
        dt.datetime.fromtimestamp(instant, calendar.zone).date().toordinal()
        if calendar.timezone != "UTC"
        else 719_163 + instant // DAY  # date(1970, 1, 1).toordinal() == 719163
    )


def business_seconds_between(calendar: Calendar, start: int, end: int) -> int:
    """Working seconds of the calendar inside ``[start, end)`` (epoch seconds)."""
    if end <= start:
        return 0
    total = 0
    first = _day_ordinal(calendar, start)
    last = _day_ordinal(calendar, end)
    for ordinal in range(first, last + 1):
        window = working_window(calendar, ordinal)
        if window is None:
            continue
        low = start if start > window[0] else window[0]
        high = end if end < window[1] else window[1]
        if high > low:
            total += high - low
    return total


def elapsed_seconds(
    calendar: Calendar | None,
    business: bool,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> int:
    """Seconds on the clock between ``start`` and ``end``, pauses not counted.

    ``business`` selects the calendar's working hours (the default calendar when
    ``calendar`` is None); otherwise wall time. Never more than the wall time.
    """
    merged = merge((seconds(low), seconds(high)) for low, high in pauses)
    parts = running(seconds(start), seconds(end), merged)
    if not business:
        return sum(high - low for low, high in parts)
    cal = calendar or DEFAULT_CALENDAR
    return sum(business_seconds_between(cal, low, high) for low, high in parts)


def deadline(
    calendar: Calendar | None,
    business: bool,
    start: dt.datetime,
    target_seconds: int,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> dt.datetime:
    """The instant at which ``target_seconds`` have run on the clock since ``start``.

    Pauses known so far are skipped; a clock that never runs again (no working day
    for ten years) gives up and answers the last instant looked at.
    """
    merged = merge((seconds(low), seconds(high)) for low, high in pauses)
    cursor = seconds(start)
    left = target_seconds
    cal = calendar or DEFAULT_CALENDAR
    horizon = cursor + 3653 * DAY
    pause_index = 0
    while cursor < horizon:
        while pause_index < len(merged) and merged[pause_index][1] <= cursor:
            pause_index += 1
        if pause_index < len(merged) and merged[pause_index][0] <= cursor:
            cursor = merged[pause_index][1]
            continue
        next_pause = merged[pause_index][0] if pause_index < len(merged) else horizon
        if business:
            window = working_window(cal, _day_ordinal(cal, cursor))
            day_end = _next_day_start(cal, cursor)
            if window is None or cursor >= window[1]:
                cursor = min(day_end, next_pause) if day_end > cursor else cursor + 1
                continue
            if cursor < window[0]:
                cursor = min(window[0], next_pause)
                continue
            stretch_end = min(window[1], next_pause)
        else:
            stretch_end = next_pause
        if stretch_end - cursor >= left:
            return dt.datetime.fromtimestamp(cursor + left, dt.UTC)
        left -= stretch_end - cursor
        cursor = stretch_end
    return dt.datetime.fromtimestamp(cursor, dt.UTC)


def _next_day_start(calendar: Calendar, instant: int) -> int:
    day = dt.date.fromordinal(_day_ordinal(calendar, instant) + 1)
    return int(dt.datetime.combine(day, dt.time(), tzinfo=calendar.zone).timestamp())
