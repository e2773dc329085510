"""Calendar days the product accepts, in one place for schemas, forms, pages and services.

Dates lie between 1900-01-01 and 2199-12-31: far enough for any real contract, and
far from the end of Python's calendar (year 9999), so that period arithmetic (the
first day of next year, the day after the term) never overflows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError, fields
from wtforms import DateField
from wtforms.validators import ValidationError as FormValidationError
from wtforms.widgets import TextInput

from contracts_app.errors import ValidationFailed

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)
OUT_OF_RANGE = f"Give a date between {EARLIEST_DAY} and {LATEST_DAY}."
DAY_DESCRIPTION = f"A date (YYYY-MM-DD) between {EARLIEST_DAY} and {LATEST_DAY}."
NOT_A_DAY = "Not a day on the calendar: write the date as YYYY-MM-DD, e.g. 2026-03-31."
# A date typed in a page: ISO whatever the browser's locale (a browser's own date input
# shows MM/DD/YYYY or DD.MM.YYYY by its language, unlike every other date on the pages).
DAY_INPUT_ATTRIBUTES = {
    "type": "text",
    "pattern": r"\d{4}-\d{2}-\d{2}",
    "inputmode": "numeric",
    "placeholder": "YYYY-MM-DD",
    "autocomplete": "off",
    "title": "A date written as YYYY-MM-DD",
}
# A month typed in a page (a service-level period): ISO text, for the same reason; a
# browser's month input shows "May 2026" or "Mai 2026" by its language.
MONTH_INPUT_ATTRIBUTES = {
    "type": "text",
    "pattern": r"\d{4}-\d{2}",
    "inputmode": "numeric",
    "placeholder": "YYYY-MM",
    "autocomplete": "off",
    "title": "A month written as YYYY-MM",
}
# The same range as a pattern, so that generated clients and fuzzers stay inside it.
DAY_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def in_range(day: dt.date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def check_day(day: dt.date | None, field: str) -> None:
    """Refuse a day outside the accepted range, naming the field."""
    if day is not None and not in_range(day):
        raise ValidationFailed({field: [OUT_OF_RANGE]})


def parse_day(text: str | None, field: str) -> dt.date | None:
    """A day typed in a query string: None when empty; refused when malformed or out of range."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field: ["Not a date (YYYY-MM-DD)."]}) from None
    check_day(day, field)
    return day


def parse_day_or_none(text: str | None) -> dt.date | None:
    """A day from a query string of a page that falls back to its default otherwise."""
    try:
        return parse_day(text, "day")
    except ValidationFailed:
        return None


def _within_range(day: dt.date) -> None:
    if not in_range(day):
        raise ValidationError(OUT_OF_RANGE)


def Day(**kwargs: Any) -> fields.Date:
    """An API date field with the accepted range, documented in the OpenAPI description."""
    metadata = {
        "description": DAY_DESCRIPTION,
        "pattern": DAY_PATTERN,
        **kwargs.pop("metadata", {}),
    }
    return fields.Date(validate=_within_range, metadata=metadata, **kwargs)


class DayField(DateField):
    """A form date field with the accepted range; the message shows beside the field.

    Typed as ISO text (``DAY_INPUT_ATTRIBUTES``), never through the browser's date picker.
    """

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {**DAY_INPUT_ATTRIBUTES, **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(NOT_A_DAY) from None

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        # Something typed that is not a date: say so, not "required" (DataRequired would
        # replace the message, since the field holds no date).
        if self.process_errors:
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if self.data is not None and not in_range(self.data):
            raise FormValidationError(OUT_OF_RANGE)
