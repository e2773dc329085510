"""Reading the values of an export through a profile: durations, dates, value mappings.

Pure functions: no database, no request. Durations come in seconds (Jira's
``Time Spent``, ServiceNow's ``time_worked``), in hours, or written out as the tools
display them (``1h 30m``, ``2 Hours 30 Minutes``, ``1 hour 30 minutes``). Hours are
kept exactly: a duration that is not a whole number of hundredths of an hour is
refused, unless the profile says how to round (``hours_rounding``), because rounding
hours changes what a cap counts and must be a choice someone made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from contracts_app.figures import MAX_HOURS, decimal_text

SEPARATOR = " | "
HUNDREDTH = Decimal("0.01")

_UNITS = {
    "w": 5 * 8 * 3600,  # Jira's default working week and day
    "week": 5 * 8 * 3600,
    "weeks": 5 * 8 * 3600,
    "d": 8 * 3600,
    "day": 8 * 3600,
    "days": 8 * 3600,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zA-Z]+)")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")


class ValueRefused(ValueError):
    """A cell that cannot be read; the message says why, for the row's reasons."""


# Longer than any task records: refused as a duration before any arithmetic on it.
MAX_SECONDS = MAX_HOURS * 3600


def duration_seconds(text: str, unit: str) -> Decimal | None:
    """Seconds in a duration cell; ``unit`` says what a bare number means (seconds,
    minutes or hours). Written-out durations and ``h:mm[:ss]`` are read whatever the unit."""
    text = text.strip()
    if not text:
        return None
    seconds = _duration_seconds(text, unit)
    if seconds > MAX_SECONDS:
        raise ValueRefused(
            f"{text[:40]!r} is longer than a task records (at most {decimal_text(MAX_HOURS)} h)."
        )
    return seconds


def _duration_seconds(text: str, unit: str) -> Decimal:
    try:
        number = Decimal(text.replace(",", ".") if text.count(",") == 1 else text)
    except InvalidOperation:
        number = None
    if number is not None:
        if not number.is_finite() or number < 0:
            raise ValueRefused(f"Not a duration: {text!r}.")
        if number > MAX_SECONDS:  # in any unit: multiplied, it could overflow
            return number
        return number * {"seconds": 1, "minutes": 60, "hours": 3600}[unit]
    clock = _CLOCK.match(text)
    if clock:
        h, m, s = clock.groups()
        return Decimal(int(h) * 3600 + int(m) * 60 + int(s or 0))
    parts = _PART.findall(text)
    rest = _PART.sub("", text).replace(",", "").replace("and", "").strip()
    if not parts or rest:
        raise ValueRefused(f"Not a duration: {text!r}.")
    total = Decimal(0)
    for amount, word in parts:
        seconds = _UNITS.get(word.lower())
        if seconds is None:
            raise ValueRefused(f"Not a duration: {text!r} (unknown unit {word!r}).")
        total += min(Decimal(amount.replace(",", ".")), MAX_SECONDS + 1) * seconds
    return total


def hours_of(seconds: Decimal | None, rounding: Mapping[str, str] | None) -> Decimal | None:
    """Hours from seconds: exact to the hundredth, or rounded as the profile says."""
    if seconds is None:
        return None
    hours = seconds / Decimal(3600)
    if rounding:
        step = Decimal(rounding["step"])
        mode = ROUND_CEILING if rounding["mode"] == "up" else ROUND_HALF_UP
        steps = (hours / step).to_integral_value(rounding=mode)
        return (steps * step).quantize(HUNDREDTH)
    exact = hours.quantize(HUNDREDTH)
    if exact != hours:
        raise ValueRefused(
            f"{_seconds_text(seconds)} is {hours.normalize():f}... hours, not a whole number "
            "of hundredths; set the profile's hours_rounding to round it."
        )
    return exact


def _seconds_text(seconds: Decimal) -> str:
    return f"{seconds.normalize():f} seconds"


def parse_time(text: str, date_format: str | None, zone: ZoneInfo) -> dt.datetime | None:
    """A moment in UTC from an export's date cell, read in the profile's time zone.

    With ``date_format`` (strptime syntax) the cell must match it or be ISO 8601 (a
    workbook's date cells); without, ISO 8601 (``2026-11-24 15:03:12``) is read. A cell
    that carries its own offset keeps it."""
    text = text.strip()
    if not text:
        return None
    moment = None
    if date_format:
        with contextlib.suppress(ValueError):
            moment = dt.datetime.strptime(text, date_format)
    if moment is None:
        # ISO 8601 is also how a workbook's date cells read (tasks/sources.py)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            expected = f"the format {date_format!r}" if date_format else "ISO 8601"
            raise ValueRefused(f"Not a date in {expected}: {text!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def parse_day(text: str, date_format: str | None, zone: ZoneInfo) -> dt.date | None:
    """A task's date from a date cell: the date it shows (a time in it is the zone's)."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    moment = parse_time(text, date_format, zone)
    return moment.astimezone(zone).date() if moment else None


def lookup(candidates: Sequence[str], values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The mapped value of the first candidate a mapping covers, and the first
    candidate none covers (None when one was mapped or there was nothing to map).

    A mapping may name a value as it is or with different letter case."""
    folded = None
    for candidate in candidates:
        if candidate in values:
            return values[candidate], None
        if folded is None:
            folded = {key.casefold(): value for key, value in values.items()}
        hit = folded.get(candidate.casefold())
        if hit is not None:
            return hit, None
    return None, (candidates[0] if candidates else None)


def candidates_of(cells: Sequence[Sequence[str]]) -> list[str]:
    """The values to look up for one field read from one or several columns.

    ``cells`` holds, per configured column, its values in the row (several when the
    column's name repeats). One column: each non-empty value, in order. Several columns:
    their first values joined with `` | `` (``Software | Search``), then each column's
    values alone, so a mapping may name the pair or one part."""
    if len(cells) == 1:
        return [value for value in cells[0] if value]
    firsts = [next((v for v in column if v), "") for column in cells]
    joined = SEPARATOR.join(v for v in firsts if v)
    out = [joined] if joined else []
    for column in cells:
        out.extend(v for v in column if v and v not in out)
    return out
