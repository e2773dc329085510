"""Terms, renewals and notice: the cases that break other tools, and a property."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.agreements.terms import (
    ContractDate,
    Renewal,
    current_term,
    due_alerts,
    end_of_current_term,
    next_dates,
    notice_deadline,
    term_end,
)

D = dt.date


def tacit(start: D, end: D, months: int = 12, notice: int = 90) -> Renewal:
    return Renewal(start, end, "tacit", months, notice)


def test_a_term_ends_the_day_before_the_same_day_months_later():
    assert term_end(D(2026, 1, 1), 12) == D(2026, 12, 31)
    assert term_end(D(2026, 3, 15), 1) == D(2026, 4, 14)


def test_first_february_plus_one_month_ends_on_the_last_day_of_february():
    assert term_end(D(2026, 2, 1), 1) == D(2026, 2, 28)
    assert term_end(D(2028, 2, 1), 1) == D(2028, 2, 29)  # a leap year


def test_thirty_first_january_plus_one_month_ends_on_the_last_day_of_february():
    assert term_end(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert term_end(D(2028, 1, 31), 1) == D(2028, 2, 29)


def test_thirty_first_march_plus_one_month_ends_on_thirtieth_april():
    assert term_end(D(2026, 3, 31), 1) == D(2026, 4, 30)


def test_a_leap_day_start_renews_to_the_last_day_of_february():
    assert term_end(D(2028, 2, 29), 12) == D(2029, 2, 28)
    assert term_end(D(2028, 2, 29), 48) == D(2032, 2, 28)


def test_a_tacit_chain_over_several_terms():
    # a term ending 31 January, renewed month by month
    renewal = tacit(D(2025, 2, 1), D(2026, 1, 31), months=1, notice=10)
    assert current_term(renewal, D(2026, 1, 31)) == (D(2025, 2, 1), D(2026, 1, 31))
    assert current_term(renewal, D(2026, 2, 1)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert current_term(renewal, D(2026, 3, 1)) == (D(2026, 3, 1), D(2026, 3, 31))
    assert current_term(renewal, D(2026, 4, 15)) == (D(2026, 4, 1), D(2026, 4, 30))
    yearly = tacit(D(2024, 1, 1), D(2024, 12, 31), months=12)
    assert end_of_current_term(yearly, D(2027, 6, 1)) == D(2027, 12, 31)
    assert notice_deadline(yearly, D(2027, 6, 1)) == D(2027, 10, 2)


def test_notice_given_on_the_deadline_itself_is_in_time():
    renewal = tacit(D(2026, 1, 1), D(2026, 12, 31), notice=90)
    deadline = notice_deadline(renewal, D(2026, 10, 2))
    assert deadline == D(2026, 10, 2)
    # on the deadline, it is still the next date; the day after, the next term's is
    assert next_dates(renewal, D(2026, 10, 2))[0] == ContractDate("notice_deadline", deadline)
    after = next_dates(renewal, D(2026, 10, 3))
    assert after[0] == ContractDate("term_end", D(2026, 12, 31))


def test_an_open_ended_agreement_has_no_term_end_nor_notice_deadline():
    renewal = Renewal(D(2026, 1, 1), None, "none", None, 30)
    assert end_of_current_term(renewal, D(2030, 1, 1)) is None
    assert notice_deadline(renewal, D(2030, 1, 1)) is None
    assert next_dates(renewal, D(2030, 1, 1)) == []
    assert due_alerts(renewal, [90, 30, 7], D(2030, 1, 1)) == []


def test_a_non_renewing_agreement_after_its_end_has_no_date_ahead():
    renewal = Renewal(D(2026, 1, 1), D(2026, 12, 31), "none", None, 30)
    assert end_of_current_term(renewal, D(2027, 3, 1)) == D(2026, 12, 31)
    assert next_dates(renewal, D(2027, 3, 1)) == []


def test_alerts_use_the_shortest_lead_time_reached():
    renewal = tacit(D(2026, 1, 1), D(2026, 12, 31), notice=90)  # deadline 2 October
    assert due_alerts(renewal, [90, 30, 7], D(2026, 6, 1)) == []
    alerts = due_alerts(renewal, [90, 30, 7], D(2026, 9, 5))
    assert [(a.date.kind, a.lead_days) for a in alerts] == [("notice_deadline", 30)]
    alerts = due_alerts(renewal, [90, 30, 7], D(2026, 10, 2))
    assert [(a.date.kind, a.lead_days) for a in alerts] == [
        ("notice_deadline", 7),
        ("term_end", 90),
    ]


@settings(derandomize=True, max_examples=50, deadline=None)
@given(
    start=st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)),
    first_term_days=st.integers(min_value=0, max_value=800),
    months=st.integers(min_value=1, max_value=36),
    notice=st.integers(min_value=0, max_value=200),
    offset=st.integers(min_value=0, max_value=4000),
    later=st.integers(min_value=0, max_value=400),
)
def test_the_notice_deadline_is_notice_days_before_the_end_of_the_current_term(
    start, first_term_days, months, notice, offset, later
):
    renewal = tacit(start, start + dt.timedelta(days=first_term_days), months, notice)
    today = start + dt.timedelta(days=offset)
    term_start, end = current_term(renewal, today)
    deadline = notice_deadline(renewal, today)
    assert end is not None and deadline is not None
    assert end - deadline == dt.timedelta(days=notice)
    assert term_start <= today <= end or today < term_start
    later_day = today + dt.timedelta(days=later)
    assert notice_deadline(renewal, later_day) >= deadline
    # never in the past of an alert already sent: a deadline alerted today is never
    # replaced by an earlier one on a later day
    for alert in due_alerts(renewal, [90, 30, 7], today):
        for date in next_dates(renewal, later_day):
            if date.kind == alert.date.kind:
                assert date.day >= alert.date.day or later_day > alert.date.day
        assert alert.date.day >= today
