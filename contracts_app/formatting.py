"""Numbers, money, units and dates as people read them: the one place that formats them.

Pages format in the reader's locale (the browser's preferred language among
``SUPPORTED_LOCALES``, English otherwise); a PDF formats in its agreement's locale
(``document_locale``), so a signed document reads the same whoever issued it. Numbers
follow the locale's separators (Babel); dates and times are ISO 8601 everywhere, since
contracts are dated, and compared, by people in different countries.

Text the domain writes without a request (a verdict's reasons, stored and read by
everyone) formats in English, ``in_english``: the module then touches no Flask at all,
neither on import nor on call.

Nothing is rounded: a figure keeps every decimal it has (its scale was checked when it
was entered, ``contracts_app.figures``); money shows at least the minor unit of its
currency, hours and counts drop ``.00`` only when they are whole.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.numbers import NumberPattern, format_currency, parse_pattern

from contracts_app.figures import currency_scale, decimals_of

if TYPE_CHECKING:
    from flask import Flask

DEFAULT_LOCALE = "en"
# Each supported locale by its own name, as a person picks the language of documents.
LOCALE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "pl": "Polski"}
SUPPORTED_LOCALES = tuple(LOCALE_NAMES)
EMPTY = "—"

# What a cap, a per-task limit or a rate measures, as a person writes it after a figure.
UNIT_WORDS = {"hours": ("h", "h"), "count": ("item", "items")}


# Set by ``in_english``: the locale of text written outside any page, whoever is reading.
_FIXED_LOCALE: ContextVar[Locale | None] = ContextVar("fixed_locale", default=None)
_ENGLISH = Locale.parse(DEFAULT_LOCALE)


def select_locale() -> str:
    """The reader's locale: the browser's preferred supported language, else English."""
    from flask import has_request_context, request

    if not has_request_context():
        return DEFAULT_LOCALE
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def document_locale(value: str | None) -> str:
    """The locale a document is written in: a supported one, English otherwise."""
    return value if value in SUPPORTED_LOCALES else DEFAULT_LOCALE


@contextmanager
def formatting_in(locale: str | None) -> Iterator[None]:
    """Format everything inside in ``locale`` (a document's), whoever is reading."""
    from flask_babel import force_locale

    with force_locale(document_locale(locale)):
        yield


@contextmanager
def in_english() -> Iterator[None]:
    """Format everything inside in English without asking Flask: text the domain writes
    and stores (a verdict's reasons), the same whichever page or job caused it."""
    token = _FIXED_LOCALE.set(_ENGLISH)
    try:
        yield
    finally:
        _FIXED_LOCALE.reset(token)


def current_locale() -> Locale:
    fixed = _FIXED_LOCALE.get()
    if fixed is not None:
        return fixed
    from flask_babel import get_locale

    return get_locale() or _ENGLISH


def exact(value: Any) -> Decimal | None:
    """``value`` as an exact Decimal (figures arrive as Decimal, text from JSON, or float)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips, not the binary expansion
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _decimal_pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


@functools.cache
def _number_pattern(pattern: str) -> NumberPattern:
    """A parsed number pattern (verdicts format several figures each; parse them once)."""
    return parse_pattern(pattern)


def _format_decimal(number: Decimal, places: int, grouped: bool = True) -> str:
    """``number`` with exactly ``places`` decimals (never fewer than it has: the callers
    ask for at least as many), grouped in thousands by the locale's separators."""
    locale = current_locale()
    if locale.language == DEFAULT_LOCALE and not locale.territory:
        # English separators are Python's own: the same text as Babel's (a test holds it),
        # for a fraction of the cost (an import formats figures for every row's reasons).
        return format(number, f"{',' if grouped else ''}.{places}f")
    pattern = _decimal_pattern(places) if grouped else "0" + ("." + "0" * places if places else "")
    return _number_pattern(pattern).apply(number, locale, decimal_quantization=False)


def figure(value: Any, grouped: bool = True) -> str:
    """A decimal figure exactly, with at least two decimals: "85.125", "1,200.00"."""
    number = exact(value)
    if number is None:
        return EMPTY
    return _format_decimal(number, max(2, decimals_of(number)), grouped)


def quantity(value: Any) -> str:
    """Hours or a count exactly: "120" when whole, else every decimal it has ("9.50")."""
    number = exact(value)
    if number is None:
        return EMPTY
    if number == number.to_integral_value():
        return _format_decimal(number.to_integral_value(), 0)
    return figure(number)


def money(value: Any, currency: str | None) -> str:
    """An amount with its currency's code: "EUR 480,000.00" (en), "480.000,00 EUR" (de).

    At least the currency's minor unit of decimals, and any further decimal the figure has.
    """
    number = exact(value)
    if number is None:
        return EMPTY
    if not currency:
        return figure(number)
    locale = current_locale()
    places = currency_scale(currency)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    digits = _decimal_pattern(places)
    # The locale's layout (code before or after, and its spacing), with the ISO code ("¤¤")
    # in place of a symbol: "€" would not say which of several dollars or crowns is meant.
    before, _, after = pattern.partition("¤")
    code_first = bool(after.strip(" \xa0")) and not before.strip(" \xa0")
    layout = f"¤¤ {digits}" if code_first else f"{digits} ¤¤"
    return format_currency(
        number,
        currency.upper(),
        format=layout,
        locale=locale,
        currency_digits=False,
        decimal_quantization=False,
    )


def measure(
    value: Any,
    unit: Any,
    currency: str | None = None,
    label: str | None = None,
    singular: str | None = None,
) -> str:
    """A figure with its unit: "120 h", "4 items", "EUR 15,000.00".

    A count says what it counts when it has a ``label``, the plural noun a person gave
    ("4 licences"); for exactly one it takes the ``singular`` given with it ("1 licence"),
    else the label as given, since a plural cannot be turned into its singular by rule."""
    unit = _unit(unit)
    number = exact(value)
    if number is None:
        return EMPTY
    if unit == "amount":
        return money(number, currency)
    if unit == "count" and label:
        return f"{quantity(number)} {singular or label if number == 1 else label}"
    one, other = UNIT_WORDS.get(unit, (unit, unit))
    if one == other:  # "h": no plural rule to ask (verdicts format many figures)
        return f"{quantity(number)} {one}"
    return counted(number, one, other)


def counted(count: Any, singular: str, plural: str) -> str:
    """A number and the noun it counts, in the form the locale's plural rules choose:
    "1 task", "3 tasks", "0 tasks". Each caller names both forms; nothing is made by
    appending letters."""
    number = exact(count)
    if number is None:
        return EMPTY
    return f"{quantity(number)} {noun_for(number, singular, plural)}"


def noun_for(count: Any, singular: str, plural: str) -> str:
    """``singular`` or ``plural``, as the locale's plural rules say for ``count``."""
    number = exact(count)
    if number is None:
        return plural
    if number == number.to_integral_value():
        number = number.to_integral_value()  # "1.00" is printed "1", and read as one
    return singular if current_locale().plural_form(number) == "one" else plural


def _unit(unit: Any) -> str:
    return str(getattr(unit, "value", unit) or "hours")


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def unit_labels(cap: Any) -> tuple[str | None, str | None]:
    """What a count cap counts: its label (plural) and the singular given with it."""
    if not cap:
        return None, None
    return _field(cap, "unit_label"), _field(cap, "unit_label_singular")


def cap_text(cap: Any, currency: str | None = None) -> str:
    """A cap with its unit and period: "120 h / month", "EUR 15,000.00 / quarter",
    "4 releases / month" (a count cap with its label)."""
    if not cap:
        return EMPTY
    period = _field(cap, "period")
    period = getattr(period, "value", period)
    limit = measure(_field(cap, "limit"), _field(cap, "unit"), currency, *unit_labels(cap))
    return f"{limit} / {period}"


def rate_text(rate: Any, currency: str | None = None) -> str:
    """An hourly rate: "EUR 85.00 / h"."""
    if exact(rate) is None:
        return EMPTY
    return f"{money(rate, currency)} / h"


def per_task_text(limit: Any, cap: Any = None, currency: str | None = None) -> str:
    """A per-task limit, measured in the cap's unit (hours without a cap): "8 h per task"."""
    if exact(limit) is None:
        return EMPTY
    unit = _field(cap, "unit") if cap else "hours"
    return f"{measure(limit, unit, currency, *unit_labels(cap))} per task"


def cap_standing(
    used: Any,
    limit: Any,
    unit: Any,
    currency: str | None = None,
    label: str | None = None,
    singular: str | None = None,
) -> str:
    """What is left of a cap, or by how much it is exceeded, in words.

    "15 h left"; "5 h over the cap: 20 h covered, 5 h beyond"; a count cap with its
    label: "1 licence left".
    """
    used_number, limit_number = exact(used), exact(limit)
    if used_number is None or limit_number is None:
        return EMPTY

    def figure_of(value: Decimal) -> str:
        return measure(value, unit, currency, label, singular)

    if used_number <= limit_number:
        return f"{figure_of(limit_number - used_number)} left"
    beyond = figure_of(used_number - limit_number)
    return f"{beyond} over the cap: {figure_of(limit_number)} covered, {beyond} beyond"


def percent(value: Any, places: int | None = None) -> str:
    """A percentage, "99.50 %": exactly as declared, or a measured one to ``places``."""
    number = exact(value)
    if number is None:
        return EMPTY
    if places is not None:
        return f"{measured(number, places)} %"
    return f"{figure(number)} %"


def measured(value: Any, places: int = 2) -> str:
    """A measurement (a clock's hours, a measured percentage) to ``places`` decimals.

    Measurements have as many decimals as a division gives; declared figures (caps,
    rates, amounts) are never rounded and go through ``figure`` or ``quantity``.
    """
    number = exact(value)
    if number is None:
        return EMPTY
    return _number_pattern(_decimal_pattern(places)).apply(number, current_locale())


def iso_date(value: Any) -> str:
    """A day as ISO 8601 ("2026-11-25"), whatever the locale."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def utc_time(value: Any, seconds: bool = False) -> str:
    """A moment in UTC, ISO style: "2026-11-25 14:03 UTC"."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # stored times are UTC (contracts_app.db.UTCDateTime)
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def init_app(app: Flask) -> None:
    """Pick each page's locale from the browser; keep form messages in the pages' English."""
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    # The pages are written in English; WTForms' own messages stay English to match.
    app.config.setdefault("WTF_I18N_ENABLED", False)
    Babel(app, locale_selector=select_locale)
