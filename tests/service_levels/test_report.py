"""The monthly service-level report, through the API, for each family of cases it must hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    WARSAW_CALENDAR,
    make_annex,
    make_sla_agreement,
    manager_of,
    service_level,
    token_for,
)


@pytest.fixture
def api(client):
    class Api:
        def __init__(self, agreement):
            self.agreement = agreement
            self.headers = token_for(manager_of(agreement))
            self.count = 0

        def ticket(
            self,
            opened,
            resolved=None,
            responded=None,
            *,
            ref=None,
            priority="P1",
            category="support.incident",
            system=None,
            pauses=(),
        ):
            self.count += 1
            body = {
                "ref": ref or f"INC-{self.count}",
                "title": "Incident",
                "date": opened[:10],
                "category": category,
                "priority": priority,
                "opened_at": opened,
                "resolved_at": resolved,
                "responded_at": responded,
                "pauses": [{"from": a, "to": b} for a, b in pauses],
            }
            if system:
                body["system"] = system
            response = client.post(
                f"/api/v1/agreements/{self.agreement.code}/tasks", json=body, headers=self.headers
            )
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        def outage(self, system, start, end, planned=False):
            response = client.post(
                f"/api/v1/agreements/{self.agreement.code}/outages",
                json={"system": system, "started_at": start, "ended_at": end, "planned": planned},
                headers=self.headers,
            )
            assert response.status_code == 201, response.get_json()

        def report(self, period):
            response = client.get(
                f"/api/v1/agreements/{self.agreement.code}/service-levels/report?period={period}",
                headers=self.headers,
            )
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        def level(self, period, ref="SL-1"):
            return next(r for r in self.report(period)["service_levels"] if r["ref"] == ref)

    return Api


def test_business_hours_skip_the_weekend(api):
    sla = api(make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR))
    sla.ticket("2026-05-15T17:00:00+02:00", "2026-05-18T10:00:00+02:00")  # 3 h: met
    sla.ticket("2026-05-15T15:00:00+02:00", "2026-05-18T11:00:00+02:00")  # 6 h: breach
    row = sla.level("2026-05")
    assert (row["measured"], row["met"], row["percent"]) == (2, 1, "50")
    assert row["breaches"] == [{"task": "INC-2", "elapsed_hours": "6", "target_hours": "4"}]
    assert row["status"] == "missed"


def test_a_ticket_exactly_on_target_meets_it(api):
    sla = api(make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR))
    sla.ticket("2026-05-18T08:00:00+02:00", "2026-05-18T12:00:00+02:00")
    row = sla.level("2026-05")
    assert (row["met"], row["status"], row["breaches"]) == (1, "met", [])


def test_public_holidays_and_closed_days_stop_business_clocks(api):
    sla = api(make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR))
    # 1 May (Labour Day) is a Friday: Thursday 17-18 and Monday 08-09 count
    sla.ticket("2026-04-30T17:00:00+02:00", "2026-05-04T09:00:00+02:00")
    # 24 December is closed, 25 and 26 are public holidays
    sla.ticket("2026-12-23T15:00:00+01:00", "2026-12-28T09:30:00+01:00")
    assert sla.level("2026-05")["breaches"] == []
    assert sla.level("2026-12")["breaches"] == [
        {"task": "INC-2", "elapsed_hours": "4.5", "target_hours": "4"}
    ]


def test_wall_clock_targets_cross_daylight_saving_changes(api):
    sla = api(
        make_sla_agreement(
            [service_level(clock="always", target_hours="23")], calendar=WARSAW_CALENDAR
        )
    )
    # the night of 28-29 March 2026 has 23 hours in Warsaw
    sla.ticket("2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00")
    # the night of 24-25 October 2026 has 25 hours
    sla.ticket("2026-10-24T12:00:00+02:00", "2026-10-25T12:00:00+01:00")
    assert sla.level("2026-03")["status"] == "met"
    assert sla.level("2026-10")["breaches"] == [
        {"task": "INC-2", "elapsed_hours": "25", "target_hours": "23"}
    ]


def test_business_hours_follow_local_time_across_the_change(api):
    sla = api(make_sla_agreement([service_level(target_hours="10")], calendar=WARSAW_CALENDAR))
    # Friday 27 March 08:00 CET to Monday 30 March 08:00 CEST: one whole working day
    sla.ticket("2026-03-27T07:00:00Z", "2026-03-30T06:00:00Z")
    assert sla.level("2026-03")["status"] == "met"


def test_without_a_calendar_business_clocks_run_nine_to_five_utc(api):
    sla = api(make_sla_agreement([service_level()], calendar=None))
    sla.ticket("2026-05-15T16:00:00Z", "2026-05-18T12:00:00Z")  # 1 + 3 hours
    sla.ticket("2026-05-15T16:00:00Z", "2026-05-18T13:30:00Z")  # 1 + 4.5 hours
    row = sla.level("2026-05")
    assert row["met"] == 1
    assert row["breaches"][0]["elapsed_hours"] == "5.5"


def test_pauses_stop_the_response_and_the_resolution_clocks(api):
    sla = api(
        make_sla_agreement(
            [
                service_level("SL-1", metric="response_time", target_hours="1"),
                service_level("SL-2", metric="resolution_time", target_hours="4"),
            ],
            calendar=WARSAW_CALENDAR,
        )
    )
    sla.ticket(
        "2026-05-18T08:00:00+02:00",
        resolved="2026-05-18T14:00:00+02:00",
        responded="2026-05-18T10:00:00+02:00",
        pauses=[
            ("2026-05-18T08:30:00+02:00", "2026-05-18T10:00:00+02:00"),
            ("2026-05-18T11:00:00+02:00", "2026-05-18T12:00:00+02:00"),
        ],
    )
    assert sla.level("2026-05", "SL-1")["status"] == "met"  # 30 minutes running
    assert sla.level("2026-05", "SL-2")["status"] == "met"  # 3.5 hours running


def test_a_ticket_counts_in_the_month_of_its_measured_event(api):
    sla = api(
        make_sla_agreement(
            [
                service_level("SL-1", metric="response_time", target_hours="8"),
                service_level("SL-2", metric="resolution_time", target_hours="8"),
            ],
            calendar=WARSAW_CALENDAR,
        )
    )
    sla.ticket(
        "2026-05-29T16:00:00+02:00",
        responded="2026-05-29T17:00:00+02:00",
        resolved="2026-06-02T09:00:00+02:00",  # 2 + 10 + 1 business hours: a breach
    )
    may, june = sla.report("2026-05"), sla.report("2026-06")
    assert [r["measured"] for r in may["service_levels"]] == [1, 0]
    assert [r["measured"] for r in june["service_levels"]] == [0, 1]
    # at the end of May it was open with 6 of 8 hours left: not yet at risk
    assert may["service_levels"][1]["open_at_risk"] == []
    assert june["service_levels"][1]["breaches"][0]["elapsed_hours"] == "13"


def test_an_open_ticket_is_at_risk_with_less_than_a_quarter_of_its_target_left(api):
    sla = api(make_sla_agreement([service_level(target_hours="8")], calendar=WARSAW_CALENDAR))
    sla.ticket("2026-05-29T11:00:00+02:00", "2026-06-02T09:00:00+02:00")  # 7 h left in May: 1 h
    sla.ticket("2026-05-29T15:00:00+02:00", "2026-06-01T09:00:00+02:00")  # 3 h run in May
    row = sla.level("2026-05")
    assert row["measured"] == 0 and row["status"] == "no_data"
    assert row["open_at_risk"] == [
        {"task": "INC-1", "deadline": "2026-06-01T07:00:00+00:00", "hours_left": "1"}
    ]


def test_a_service_level_changed_mid_month_measures_each_ticket_by_its_opening(api):
    agreement = make_sla_agreement([service_level(target_hours="4")], calendar=WARSAW_CALENDAR)
    sla = api(agreement)
    sla.ticket("2026-05-11T08:00:00+02:00", "2026-05-11T14:00:00+02:00")  # 6 h vs 4: breach
    sla.ticket("2026-05-20T08:00:00+02:00", "2026-05-20T14:00:00+02:00")  # 6 h vs 8: met
    assert sla.level("2026-05")["met"] == 0  # before the annex, both are measured against 4 h
    make_annex(
        agreement,
        dt.date(2026, 5, 15),
        [{"op": "modify", "service_level_ref": "SL-1", "fields": {"target_hours": "8"}}],
    )
    row = sla.level("2026-05")
    assert (row["measured"], row["met"]) == (2, 1)
    assert row["breaches"] == [{"task": "INC-1", "elapsed_hours": "6", "target_hours": "4"}]


def test_availability_counts_unplanned_outages_of_any_listed_system_once(api):
    sla = api(
        make_sla_agreement(
            [
                service_level(
                    metric="availability",
                    target_hours=None,
                    clock="always",
                    applies_to={"categories": [], "priorities": [], "systems": ["CRM", "ERP"]},
                    objective_percent="99.9",
                    credits=[{"below_percent": "99.9", "credit_percent": "5"}],
                )
            ],
            calendar=WARSAW_CALENDAR,
        )
    )
    sla.outage("CRM", "2026-05-05T10:00:00Z", "2026-05-05T12:00:00Z")
    sla.outage("ERP", "2026-05-05T11:00:00Z", "2026-05-05T13:00:00Z")
    sla.outage("CRM", "2026-05-09T00:00:00Z", "2026-05-09T06:00:00Z", planned=True)
    sla.outage("MAIL", "2026-05-10T00:00:00Z", "2026-05-10T06:00:00Z")
    row = sla.level("2026-05")
    minutes = 31 * 24 * 60
    assert Decimal(row["percent"]) == Decimal(minutes - 180) * 100 / Decimal(minutes)
    assert row["status"] == "missed" and row["credit_percent"] == "5"


def test_availability_of_the_month_so_far_counts_only_the_minutes_gone_by(api):
    from contracts_app.service_levels.services import Period, build_report

    agreement = make_sla_agreement(
        [
            service_level(
                metric="availability",
                target_hours=None,
                clock="always",
                applies_to={"categories": [], "priorities": [], "systems": ["CRM"]},
                objective_percent="99.9",
            )
        ],
        calendar=WARSAW_CALENDAR,
    )
    api(agreement).outage("CRM", "2026-05-05T10:00:00Z", "2026-05-05T12:00:00Z")
    ten_days_in = dt.datetime(2026, 5, 10, 22, 0, tzinfo=dt.UTC)  # midnight in Warsaw
    [row] = build_report(agreement, Period(2026, 5), ten_days_in)["service_levels"]
    assert (row["measured"], row["met"]) == (10 * 24 * 60, 10 * 24 * 60 - 120)
    [closed] = build_report(agreement, Period(2026, 5), dt.datetime(2026, 7, 1, tzinfo=dt.UTC))[
        "service_levels"
    ]
    assert closed["measured"] == 31 * 24 * 60


def test_availability_on_a_business_clock_counts_only_working_hours(api):
    sla = api(
        make_sla_agreement(
            [
                service_level(
                    metric="availability",
                    target_hours=None,
                    applies_to={"systems": ["CRM"]},
                    objective_percent="99",
                )
            ],
            calendar=WARSAW_CALENDAR,
        )
    )
    sla.outage("CRM", "2026-05-16T00:00:00Z", "2026-05-17T23:00:00Z")  # a weekend
    sla.outage("CRM", "2026-05-18T05:00:00Z", "2026-05-18T07:00:00Z")  # 07:00-09:00 local
    row = sla.level("2026-05")
    working_minutes = 20 * 10 * 60  # 21 weekdays in May 2026, less 1 May (Labour Day)
    assert row["measured"] == working_minutes
    assert Decimal(row["percent"]) == Decimal(working_minutes - 60) * 100 / working_minutes


@pytest.mark.parametrize(
    ("met", "credit", "status"),
    [(10, "0", "met"), (19, "0", "met"), (18, "5", "missed"), (15, "10", "missed")],
)
def test_the_most_severe_credit_tier_that_applies_is_taken(api, met, credit, status):
    # 20 tickets: 19 met is 95% (objective met), 18 is 90% (not below 90: 5%), 15 is 75%
    sla = api(make_sla_agreement([service_level(target_hours="1")], calendar=None))
    total = 20 if met != 10 else 10
    for index in range(total):
        late = index >= met
        sla.ticket(
            "2026-05-18T09:00:00Z", "2026-05-18T11:00:00Z" if late else "2026-05-18T10:00:00Z"
        )
    row = sla.level("2026-05")
    assert (row["credit_percent"], row["status"]) == (credit, status)
    assert row["credit_amount"] == str(
        (Decimal("40000.00") * Decimal(credit) / 100).quantize(Decimal("0.01"))
    )


def test_the_percent_is_unrounded_and_compared_unrounded(api):
    sla = api(
        make_sla_agreement(
            [
                service_level(
                    target_hours="1",
                    objective_percent="66.67",
                    credits=[{"below_percent": "66.67", "credit_percent": "3"}],
                )
            ],
            calendar=None,
        )
    )
    for late in (False, False, True):
        sla.ticket(
            "2026-05-18T09:00:00Z", "2026-05-18T11:00:00Z" if late else "2026-05-18T10:00:00Z"
        )
    row = sla.level("2026-05")
    assert row["percent"] == str(Decimal(200) / Decimal(3))
    assert row["status"] == "missed" and row["credit_percent"] == "3"


def test_credit_amounts_are_rounded_half_up_to_the_minor_unit_then_summed(api):
    levels = [
        service_level(
            "SL-1", target_hours="1", credits=[{"below_percent": "95", "credit_percent": "5"}]
        ),
        service_level(
            "SL-2",
            target_hours="1",
            metric="response_time",
            credits=[{"below_percent": "95", "credit_percent": "5"}],
        ),
    ]
    sla = api(make_sla_agreement(levels, calendar=None, monthly_fee="333.33"))
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T11:00:00Z", responded="2026-05-18T11:00:00Z")
    report = sla.report("2026-05")
    assert [r["credit_amount"] for r in report["service_levels"]] == ["16.67", "16.67"]
    assert report["total_credit_amount"] == "33.34"  # not 33.333 rounded
    assert report["total_credit_percent"] == "10"


def test_credit_amounts_use_the_currency_minor_unit(api):
    sla = api(
        make_sla_agreement(
            [service_level(target_hours="1")], calendar=None, monthly_fee="12345.00", currency="JPY"
        )
    )
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T11:00:00Z")
    assert sla.level("2026-05")["credit_amount"] == "1235"  # 1234.5 rounded half-up


def test_the_monthly_fee_is_the_one_valid_on_the_period_last_day(api):
    agreement = make_sla_agreement([service_level(target_hours="1")], calendar=None)
    sla = api(agreement)
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T11:00:00Z")
    make_annex(agreement, dt.date(2026, 5, 31), [{"op": "modify", "monthly_fee": "50000.00"}])
    make_annex(agreement, dt.date(2026, 6, 1), [{"op": "modify", "monthly_fee": "60000.00"}])
    report = sla.report("2026-05")
    assert report["service_levels"][0]["credit_amount"] == "5000.00"
    assert report["total_credit_amount"] == "5000.00"


def test_a_service_level_with_nothing_measured_has_no_data(api):
    sla = api(make_sla_agreement([service_level()], calendar=None))
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T10:00:00Z", priority="P3")  # not P1
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T10:00:00Z", category="change.request")
    row = sla.level("2026-05")
    assert row["status"] == "no_data" and row["percent"] is None
    assert (row["measured"], row["credit_percent"], row["credit_amount"]) == (0, "0", "0.00")


def test_rejected_tickets_are_not_measured_whatever_their_verdict(api, client):
    sla = api(make_sla_agreement([service_level(target_hours="1")], calendar=None))
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T10:00:00Z", category="support.incident.db")
    rejected = sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T12:00:00Z")
    response = client.post(
        f"/api/v1/tasks/{rejected['id']}/events", json={"event": "reject"}, headers=sla.headers
    )
    assert response.status_code == 200, response.get_json()
    row = sla.level("2026-05")
    assert (row["measured"], row["met"], row["breaches"]) == (1, 1, [])


def test_a_calendar_changed_by_annex_measures_the_tickets_again(api):
    agreement = make_sla_agreement([service_level(target_hours="3.5")], calendar=None)
    sla = api(agreement)
    sla.ticket("2026-05-18T08:00:00Z", "2026-05-18T12:00:00Z")  # 3 h on 09-17 UTC
    assert sla.level("2026-05")["breaches"] == []
    make_annex(
        agreement,
        dt.date(2026, 5, 1),
        [{"op": "modify", "calendar": {**WARSAW_CALENDAR, "working_hours": ["00:00", "24:00"]}}],
    )
    assert sla.level("2026-05")["breaches"] == [
        {"task": "INC-1", "elapsed_hours": "4", "target_hours": "3.5"}
    ]


def test_figures_are_decimal_strings(api):
    sla = api(make_sla_agreement([service_level()], calendar=None))
    sla.ticket("2026-05-18T09:00:00Z", "2026-05-18T10:00:00Z")
    report = sla.report("2026-05")
    row = report["service_levels"][0]
    for value in (
        row["percent"],
        row["objective_percent"],
        row["credit_percent"],
        row["credit_amount"],
        report["total_credit_percent"],
        report["total_credit_amount"],
    ):
        assert isinstance(value, str)
        Decimal(value)


def test_a_period_that_is_not_a_month_is_refused(api, client):
    sla = api(make_sla_agreement([service_level()], calendar=None))
    response = client.get(
        f"/api/v1/agreements/{sla.agreement.code}/service-levels/report?period=2026-13",
        headers=sla.headers,
    )
    assert response.status_code == 422
    assert response.get_json()["type"]


def test_business_time_follows_the_calendar_in_force_on_each_day(api):
    agreement = make_sla_agreement([service_level(target_hours="3")], calendar=None)
    sla = api(agreement)
    sla.ticket("2026-05-29T16:00:00Z", "2026-06-01T10:00:00Z")  # 1 h Friday, 1 h Monday
    assert sla.level("2026-06")["breaches"] == []
    make_annex(
        agreement,
        dt.date(2026, 6, 1),
        [{"op": "modify", "calendar": {"timezone": "UTC", "working_hours": ["00:00", "24:00"]}}],
    )
    # Friday under the old calendar (16-17), Monday under the new one (00-10)
    assert sla.level("2026-06")["breaches"] == [
        {"task": "INC-1", "elapsed_hours": "11", "target_hours": "3"}
    ]
