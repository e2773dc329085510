"""Figures, money, units and dates: one place formats them, in the reader's locale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from babel import Locale
from babel.numbers import format_decimal
from flask import g
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app import formatting
from contracts_app.enums import CapPeriod, CapUnit
from contracts_app.figures import decimals_of
from contracts_app.scope.clauses import Cap


@pytest.fixture
def in_locale(app):
    """Format as a page would for a browser preferring ``language``."""

    def _in(language: str | None = None):
        g.pop("_flask_babel", None)  # the tests' shared app context keeps the last locale
        headers = {"Accept-Language": language} if language else {}
        return app.test_request_context(headers=headers)

    return _in


def test_money_shows_the_currency_code_before_the_amount_in_english(in_locale):
    with in_locale():
        assert formatting.money(Decimal("480000.00"), "EUR") == "EUR 480,000.00"
        assert formatting.money(Decimal("-5"), "EUR") == "-EUR 5.00"


def test_money_follows_the_locale_of_the_reader(in_locale):
    with in_locale("de-DE,de;q=0.9,en;q=0.5"):
        assert formatting.money(Decimal("480000.00"), "EUR") == "480.000,00 EUR"
    with in_locale("pl"):
        assert formatting.money(Decimal("480000.00"), "PLN") == "480\xa0000,00 PLN"


def test_an_unsupported_language_reads_english(in_locale):
    with in_locale("ja-JP"):
        assert formatting.money(Decimal("1200"), "EUR") == "EUR 1,200.00"


def test_money_shows_the_minor_unit_of_its_currency(in_locale):
    with in_locale():
        assert formatting.money(Decimal("15000"), "EUR") == "EUR 15,000.00"
        assert formatting.money(Decimal("15000"), "JPY") == "JPY 15,000"
        assert formatting.money(Decimal("1.5"), "BHD") == "BHD 1.500"


def test_money_keeps_every_decimal_it_has(in_locale):
    with in_locale():
        assert formatting.money(Decimal("85.125"), "EUR") == "EUR 85.125"
        assert formatting.money("0.0001", "CLF") == "CLF 0.0001"


def test_figures_are_never_rounded(in_locale):
    with in_locale():
        assert formatting.figure(Decimal("9.5")) == "9.50"
        assert formatting.figure(Decimal("1234.125")) == "1,234.125"
        assert formatting.quantity(Decimal("9.50")) == "9.50"
        assert formatting.quantity(Decimal("120.00")) == "120"
        assert formatting.quantity(9.5) == "9.50"  # floats of stored figures, exactly


def test_figures_in_german_use_its_separators(in_locale):
    with in_locale("de"):
        assert formatting.figure(Decimal("1234.5")) == "1.234,50"
        assert formatting.quantity(Decimal("9.50")) == "9,50"


def test_caps_read_with_their_units_and_periods(in_locale):
    with in_locale():
        assert formatting.cap_text({"unit": "hours", "limit": "120.00", "period": "month"}) == (
            "120 h / month"
        )
        assert formatting.cap_text({"unit": "count", "limit": "4", "period": "month"}) == (
            "4 items / month"
        )
        cap = Cap(CapUnit.AMOUNT, Decimal("15000.00"), CapPeriod.QUARTER)
        assert formatting.cap_text(cap, "EUR") == "EUR 15,000.00 / quarter"
        assert formatting.cap_text(None) == "—"


def test_rates_are_money_per_hour(in_locale):
    with in_locale():
        assert formatting.rate_text(Decimal("85"), "EUR") == "EUR 85.00 / h"
        assert formatting.rate_text(None, "EUR") == "—"


def test_per_task_limits_take_the_unit_of_the_cap(in_locale):
    with in_locale():
        assert formatting.per_task_text("8", None) == "8 h per task"
        cap = {"unit": "amount", "limit": "100", "period": "month"}
        assert formatting.per_task_text("500", cap, "EUR") == "EUR 500.00 per task"


def test_a_cap_exceeded_says_how_much_was_covered_and_how_much_is_beyond(in_locale):
    with in_locale():
        assert formatting.cap_standing("25.00", "20.00", "hours") == (
            "5 h over the cap: 20 h covered, 5 h beyond"
        )
        assert formatting.cap_standing("9.5", "20", "hours") == "10.50 h left"
        assert formatting.cap_standing("1", "3", "count") == "2 items left"
        assert formatting.cap_standing("120", "100", "amount", "EUR") == (
            "EUR 20.00 over the cap: EUR 100.00 covered, EUR 20.00 beyond"
        )


def test_percentages_are_exact_unless_measured(in_locale):
    with in_locale():
        assert formatting.percent("99.5") == "99.50 %"
        assert formatting.percent(Decimal(2) * 100 / Decimal(3), 2) == "66.67 %"


def test_dates_are_iso_in_every_locale(in_locale):
    moment = dt.datetime(2026, 11, 25, 14, 3, tzinfo=dt.UTC)
    with in_locale("de"):
        assert formatting.iso_date(dt.date(2026, 3, 1)) == "2026-03-01"
        assert formatting.iso_date(moment) == "2026-11-25"
        assert formatting.utc_time(moment) == "2026-11-25 14:03 UTC"
        assert formatting.utc_time(moment.astimezone(dt.timezone(dt.timedelta(hours=2)))) == (
            "2026-11-25 14:03 UTC"
        )


def test_a_document_formats_in_its_own_locale_whoever_reads(in_locale):
    with in_locale("de"):
        with formatting.formatting_in("en"):
            assert formatting.money(Decimal("480000"), "EUR") == "EUR 480,000.00"
        with formatting.formatting_in(None):  # documents issued before locales were kept
            assert formatting.money(Decimal("480000"), "EUR") == "EUR 480,000.00"
        assert formatting.money(Decimal("480000"), "EUR") == "480.000,00 EUR"


def test_text_the_domain_stores_formats_in_english_without_asking_flask(monkeypatch):
    import flask_babel

    def no_flask():
        raise AssertionError("asked Flask for a locale")

    monkeypatch.setattr(flask_babel, "get_locale", no_flask)
    with formatting.in_english():
        assert formatting.measure(Decimal("9.50"), "hours") == "9.50 h"
        assert formatting.measure(Decimal("1234.5"), "amount", "EUR") == "EUR 1,234.50"


def _babel_english(value: Decimal, places: int, grouped: bool = True) -> str:
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * places if places else "")
    return format_decimal(value, pattern, locale=Locale.parse("en"), decimal_quantization=False)


@settings(derandomize=True, max_examples=50, deadline=None)
@given(
    number=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
    ),
    grouped=st.booleans(),
)
def test_english_figures_read_as_babel_writes_them(number, grouped):
    """English figures are formatted with Python's own separators: the same text as
    Babel's English pattern, exactly, for any figure."""
    places = max(2, decimals_of(number))
    whole = number == number.to_integral_value()
    with formatting.in_english():
        assert formatting.figure(number, grouped) == _babel_english(number, places, grouped)
        expected = _babel_english(
            number.to_integral_value() if whole else number, 0 if whole else places
        )
        assert formatting.quantity(number) == expected


def test_a_counted_noun_takes_the_form_its_number_asks_for(in_locale):
    with in_locale():
        assert formatting.counted(1, "task", "tasks") == "1 task"
        assert formatting.counted(Decimal("1.00"), "day", "days") == "1 day"
        assert formatting.counted(0, "task", "tasks") == "0 tasks"
        assert formatting.counted(3, "entry", "entries") == "3 entries"
        assert formatting.counted(1, "invitation waits", "invitations wait") == (
            "1 invitation waits"
        )


def test_the_pages_count_with_both_forms_and_never_append_an_s(client):
    from tests.factories import make_agreement, manager_of, signed_in

    agreement = make_agreement()
    agreement.notice_days = 1
    agreement.renewal, agreement.renewal_months = "tacit", 1
    signed_in(client, manager_of(agreement))
    page = " ".join(client.get(f"/agreements/{agreement.code}").get_data(as_text=True).split())
    assert "renews tacitly for 1 month, notice 1 day" in page


def test_money_on_a_page_never_parts_between_its_code_and_its_figure(app, in_locale):
    from flask import render_template_string

    with in_locale():
        page = render_template_string(
            "{{ 85.5|money('EUR') }}|{{ 85.5|rate_text('EUR') }}|{{ cap|cap_text('EUR') }}",
            cap={"unit": "amount", "limit": "1000", "period": "year"},
        )
    assert page.split("|") == [
        '<span class="nowrap">EUR 85.50</span>',
        '<span class="nowrap">EUR 85.50 / h</span>',
        '<span class="nowrap">EUR 1,000.00 / year</span>',
    ]
    css = Path(app.static_folder or "", "css", "app.css").read_text()
    assert ".nowrap { white-space: nowrap; }" in css
