"""Durations, hours rounding, dates and value lookups as the import profiles read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.tasks.mapping import (
    ValueRefused,
    candidates_of,
    duration_seconds,
    hours_of,
    lookup,
    parse_day,
    parse_time,
)
from contracts_app.tasks.sources import decode, sniff_delimiter

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize(
    ("text", "unit", "seconds"),
    [
        ("9000", "seconds", 9000),
        ("1.5", "hours", 5400),
        ("1,5", "hours", 5400),
        ("90", "minutes", 5400),
        ("1h 30m", "seconds", 5400),
        ("2 Hours 30 Minutes", "seconds", 9000),
        ("1 hour 30 minutes", "seconds", 5400),
        ("45 minutes", "seconds", 2700),
        ("1d 2h", "seconds", 10 * 3600),
        ("1:30", "seconds", 5400),
        ("", "seconds", None),
    ],
)
def test_durations_as_the_tools_write_them(text, unit, seconds):
    got = duration_seconds(text, unit)
    assert got == (None if seconds is None else Decimal(seconds))


@pytest.mark.parametrize("text", ["soon", "1 fortnight", "-5", "1h and a bit", "NaN"])
def test_what_is_not_a_duration_is_refused_with_the_value(text):
    with pytest.raises(ValueRefused) as caught:
        duration_seconds(text, "seconds")
    assert repr(text) in str(caught.value) or "Not a duration" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("1e30", "seconds"),
        ("99999999999999999999999999999999", "seconds"),
        ("1e400", "seconds"),
        ("1e999999999", "seconds"),  # multiplied by 3600 it would overflow
        ("1e300", "hours"),
        ("99999999999999999999 h", "seconds"),
        ("100000000", "hours"),
    ],
)
def test_a_duration_longer_than_a_task_records_is_refused_before_any_arithmetic(text, unit):
    with pytest.raises(ValueRefused) as caught:
        duration_seconds(text, unit)
    assert "longer than a task records (at most 99999999.99 h)" in str(caught.value)
    # and the longest a task records still reads, rounded as a profile says
    seconds = duration_seconds("99999999.99", "hours")
    assert hours_of(seconds, {"step": "0.25", "mode": "up"}) == Decimal("100000000.00")


def test_hours_are_exact_or_rounded_only_as_the_profile_says():
    assert hours_of(Decimal(5400), None) == Decimal("1.50")
    assert hours_of(Decimal(36), None) == Decimal("0.01")
    with pytest.raises(ValueRefused) as caught:
        hours_of(Decimal(1200), None)
    assert "1200 seconds" in str(caught.value) and "hours_rounding" in str(caught.value)
    assert hours_of(Decimal(1200), {"mode": "up", "step": "0.25"}) == Decimal("0.50")
    assert hours_of(Decimal(1200), {"mode": "nearest", "step": "0.25"}) == Decimal("0.25")
    assert hours_of(Decimal(1200), {"mode": "nearest", "step": "0.01"}) == Decimal("0.33")


@settings(derandomize=True, max_examples=50)
@given(
    seconds=st.integers(min_value=0, max_value=10**7),
    step=st.sampled_from(["0.01", "0.1", "0.25", "0.5", "1.00"]),
    mode=st.sampled_from(["up", "nearest"]),
)
def test_rounded_hours_are_whole_steps_and_up_never_loses_time(seconds, step, mode):
    hours = hours_of(Decimal(seconds), {"mode": mode, "step": step})
    assert hours % Decimal(step) == 0
    exact = Decimal(seconds) / 3600
    if mode == "up":
        assert exact <= hours < exact + Decimal(step)
    else:
        assert abs(hours - exact) <= Decimal(step) / 2


@settings(derandomize=True, max_examples=50)
@given(hundredths=st.integers(min_value=0, max_value=10**6))
def test_a_whole_number_of_hundredths_comes_back_exactly(hundredths):
    seconds = Decimal(hundredths) * 36
    assert hours_of(seconds, None) == Decimal(hundredths) / 100


def test_dates_in_the_profiles_zone_and_format():
    moment = parse_time("24/Nov/26 3:15 PM", "%d/%b/%y %I:%M %p", WARSAW)
    assert moment == dt.datetime(2026, 11, 24, 14, 15, tzinfo=dt.UTC)
    summer = parse_time("2026-07-01 12:00:00", None, WARSAW)
    assert summer == dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    assert parse_time("2026-07-01T12:00:00+00:00", None, WARSAW).hour == 12
    assert parse_day("23/Nov/26 11:40 PM", "%d/%b/%y %I:%M %p", WARSAW) == dt.date(2026, 11, 23)
    with pytest.raises(ValueRefused) as caught:
        parse_time("24.11.2026 15:03", "%d/%b/%y %I:%M %p", WARSAW)
    assert "%d/%b/%y %I:%M %p" in str(caught.value)


def test_several_columns_are_joined_and_the_first_mapped_value_wins():
    assert candidates_of([["Software"], ["Email"]])[0] == "Software | Email"
    assert candidates_of([["", "Search", "Web"]]) == ["Search", "Web"]
    values = {"Web": "shop-web", "Search": "shop-api"}
    assert lookup(["Mobile", "Search", "Web"], values) == ("shop-api", None)
    assert lookup(["Mobile", "Tablet"], values) == (None, "Mobile")
    assert lookup(["search"], values) == ("shop-api", None)  # letter case aside


def test_files_decode_with_or_without_bom_or_as_windows_1252():
    assert decode(b"\xef\xbb\xbfID;Title\n") == ("ID;Title\n", "utf-8-sig", [])
    text, encoding, notes = decode("Caf\u00e9".encode("cp1252"))
    assert (text, encoding) == ("Caf\u00e9", "cp1252") and notes
    assert sniff_delimiter('"ID";"Title";"Category, sub"\n') == ";"
    assert sniff_delimiter("Summary,Issue key\n") == ","


def test_workbooks_are_parsed_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # entity expansion and external entities refused
