"""Business-time clocks: working hours, weekends, holidays, closed days, DST, pauses."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.service_levels.clock import (
    DEFAULT_CALENDAR,
    Calendar,
    CalendarError,
    deadline,
    elapsed_seconds,
)

WARSAW = Calendar.from_json(
    {
        "timezone": "Europe/Warsaw",
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "working_hours": ["08:00", "18:00"],
        "holidays": {"country": "PL", "subdivision": None},
        "closed_days": ["2026-12-24"],
    }
)
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def hours(calendar, start, end, pauses=(), business=True):
    return (
        elapsed_seconds(calendar, business, at(start), at(end), [(at(a), at(b)) for a, b in pauses])
        / 3600
    )


def test_friday_evening_to_monday_morning_counts_three_business_hours():
    # 2026-05-15 is a Friday; 17:00 to 18:00 and Monday 08:00 to 10:00 local
    assert hours(WARSAW, "2026-05-15T17:00+02:00", "2026-05-18T10:00+02:00") == 3


def test_without_a_calendar_business_clocks_run_nine_to_five_utc_on_weekdays():
    assert hours(None, "2026-05-15T16:00Z", "2026-05-18T10:00Z") == 2
    assert hours(None, "2026-05-16T10:00Z", "2026-05-17T15:00Z") == 0
    assert DEFAULT_CALENDAR.to_json()["working_hours"] == ["09:00", "17:00"]


def test_public_holidays_do_not_count():
    # 2026-05-01 (Friday) is Labour Day in Poland; 2026-05-03 is a Sunday
    assert hours(WARSAW, "2026-04-30T17:00+02:00", "2026-05-04T09:00+02:00") == 2


def test_closed_days_do_not_count():
    # 2026-12-24 is a Thursday the calendar closes; 25 and 26 are public holidays
    assert hours(WARSAW, "2026-12-23T17:00+01:00", "2026-12-28T09:00+01:00") == 2


def test_subdivision_holidays_apply():
    bavaria = Calendar.from_json({"holidays": {"country": "DE", "subdivision": "BY"}})
    berlin = Calendar.from_json({"holidays": {"country": "DE", "subdivision": "BE"}})
    # 2026-01-06 (Tuesday), Epiphany: a holiday in Bavaria, not in Berlin
    assert hours(bavaria, "2026-01-06T00:00Z", "2026-01-07T00:00Z") == 0
    assert hours(berlin, "2026-01-06T00:00Z", "2026-01-07T00:00Z") == 8


def test_a_working_window_across_the_spring_change_is_an_hour_shorter():
    night = Calendar.from_json(
        {"timezone": "Europe/Warsaw", "working_days": ["sun"], "working_hours": ["00:00", "06:00"]}
    )
    # 2026-03-29: clocks jump from 02:00 to 03:00 in Warsaw
    assert hours(night, "2026-03-28T12:00Z", "2026-03-30T12:00Z") == 5
    # 2026-10-25: clocks go back from 03:00 to 02:00
    assert hours(night, "2026-10-24T12:00Z", "2026-10-26T12:00Z") == 7


def test_working_hours_follow_local_time_after_the_change():
    # Before the change 08:00 Warsaw is 07:00 UTC; after it, 06:00 UTC
    assert hours(WARSAW, "2026-03-27T06:00Z", "2026-03-27T07:00Z") == 0
    assert hours(WARSAW, "2026-03-30T06:00Z", "2026-03-30T07:00Z") == 1


def test_pauses_stop_the_clock():
    assert (
        hours(
            WARSAW,
            "2026-05-18T08:00+02:00",
            "2026-05-18T18:00+02:00",
            [
                ("2026-05-18T10:00+02:00", "2026-05-18T12:00+02:00"),
                ("2026-05-18T11:00+02:00", "2026-05-18T13:00+02:00"),
            ],
        )
        == 7
    )


def test_the_always_clock_is_wall_time_minus_pauses():
    assert (
        hours(
            None,
            "2026-05-16T00:00Z",
            "2026-05-17T00:00Z",
            [("2026-05-16T10:00Z", "2026-05-16T12:00Z")],
            business=False,
        )
        == 22
    )


def test_an_end_before_the_start_counts_nothing():
    assert hours(WARSAW, "2026-05-18T12:00+02:00", "2026-05-18T10:00+02:00") == 0


def test_the_deadline_is_when_the_target_has_run():
    due = deadline(WARSAW, True, at("2026-05-15T17:00+02:00"), 3 * 3600)
    assert due == at("2026-05-18T10:00+02:00")
    paused = deadline(
        WARSAW,
        True,
        at("2026-05-15T17:00+02:00"),
        3 * 3600,
        [(at("2026-05-18T08:00+02:00"), at("2026-05-18T09:00+02:00"))],
    )
    assert paused == at("2026-05-18T11:00+02:00")
    assert deadline(None, False, at("2026-05-16T00:00Z"), 3600) == at("2026-05-16T01:00Z")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"working_days": ["monday"]}, "working_days"),
        ({"working_hours": ["18:00", "08:00"]}, "working_hours"),
        ({"working_hours": ["8", "18:00"]}, "working_hours"),
        ({"holidays": {"country": "XX"}}, "holidays.country"),
        ({"holidays": {"country": "PL", "subdivision": "ZZ"}}, "holidays.subdivision"),
        ({"closed_days": ["24.12.2026"]}, "closed_days"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_calendar_that_cannot_be_used_is_refused_naming_the_field(raw, field):
    with pytest.raises(CalendarError) as refused:
        Calendar.from_json(raw)
    assert refused.value.field == field


def test_a_calendar_round_trips_through_json():
    assert Calendar.from_json(WARSAW.to_json()) == WARSAW


instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(
    [
        WARSAW,
        DEFAULT_CALENDAR,
        Calendar.from_json(
            {
                "timezone": "America/New_York",
                "working_days": ["sat", "sun"],
                "working_hours": ["00:00", "24:00"],
            }
        ),
    ]
)
pause_lists = st.lists(
    st.tuples(instants, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3))),
    max_size=4,
)


@settings(derandomize=True, max_examples=50, deadline=None)
@given(calendars, st.booleans(), instants, instants, instants, pause_lists)
def test_business_time_is_additive_over_split_intervals(calendar, business, a, b, c, raw_pauses):
    start, middle, end = sorted([a, b, c])
    pauses = [(low, low + length) for low, length in raw_pauses]
    whole = elapsed_seconds(calendar, business, start, end, pauses)
    parts = elapsed_seconds(calendar, business, start, middle, pauses) + elapsed_seconds(
        calendar, business, middle, end, pauses
    )
    assert whole == parts


@settings(derandomize=True, max_examples=50, deadline=None)
@given(calendars, instants, instants, pause_lists)
def test_business_time_never_exceeds_wall_time(calendar, a, b, raw_pauses):
    start, end = sorted([a, b])
    pauses = [(low, low + length) for low, length in raw_pauses]
    business = elapsed_seconds(calendar, True, start, end, pauses)
    always = elapsed_seconds(calendar, False, start, end, pauses)
    assert 0 <= business <= always <= int((end - start).total_seconds()) + 1


@settings(derandomize=True, max_examples=50, deadline=None)
@given(
    calendars, st.booleans(), instants, st.integers(min_value=1, max_value=200 * 3600), pause_lists
)
def test_the_deadline_is_where_the_clock_reaches_the_target(
    calendar, business, start, target, raw_pauses
):
    pauses = [(low, low + length) for low, length in raw_pauses]
    start = start.replace(microsecond=0)
    due = deadline(calendar, business, start, target, pauses)
    assert elapsed_seconds(calendar, business, start, due, pauses) == target
