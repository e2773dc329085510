"""The verdict rules of docs/scope-rules.md, one behaviour per test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.db import db
from contracts_app.tasks.services import TaskInput, check_task
from tests.factories import clause, make_agreement, manager_of

D = dt.date


def verdict(agreement, **fields):
    for name in ("hours", "amount"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    fields.setdefault("day", D(2026, 3, 10))
    return check_task(agreement, TaskInput(title=fields.pop("title", "A task"), **fields)).to_json()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 12, 31), "out_of_scope"),
        (D(2026, 1, 1), "in_scope"),
        (D(2026, 12, 31), "in_scope"),
        (D(2027, 1, 1), "out_of_scope"),
    ],
)
def test_boundary_dates_of_the_term(agreement, day, expected):
    result = verdict(agreement, category="support.request", day=day, hours=1)
    assert result["verdict"] == expected
    if expected == "out_of_scope":
        assert "term" in result["reasons"][0]


def _suspend_from(agreement, day):
    from contracts_app.agreements import status
    from contracts_app.agreements.access import membership_of
    from tests.factories import manager_of

    for user, event in (
        (manager_of(agreement), "suspend"),
        (manager_of(agreement, other_side=True), "confirm"),
    ):
        status.fire_event(
            agreement,
            membership_of(user, agreement.id),
            event,
            user,
            effective_date=day,
            reason="Unpaid invoices",
            today=D(2026, 11, 25),
        )


def test_an_agreement_covers_nothing_while_it_is_suspended(agreement):
    _suspend_from(agreement, D(2026, 6, 1))
    result = verdict(agreement, category="support.request", hours=1, day=D(2026, 7, 1))
    assert result["verdict"] == "out_of_scope"
    assert "suspended" in result["reasons"][0]


def test_a_suspension_does_not_reach_back_to_work_done_before_it(agreement):
    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.models import Task
    from contracts_app.tasks.services import record_task
    from tests.factories import manager_of

    manager = manager_of(agreement)
    before = record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref="T-MAR",
            title="March work",
            category="support.request",
            day=D(2026, 3, 10),
            hours=Decimal(1),
        ),
        manager,
    )
    after = record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref="T-JUL",
            title="July work",
            category="support.request",
            day=D(2026, 7, 10),
            hours=Decimal(1),
        ),
        manager,
    )
    assert after.verdict.value == "in_scope"
    _suspend_from(agreement, D(2026, 6, 1))
    assert verdict(agreement, category="support.request", hours=1)["verdict"] == "in_scope"
    from contracts_app.db import db

    db.session.expire_all()
    assert db.session.get(Task, before.id).verdict.value == "in_scope"
    assert db.session.get(Task, after.id).verdict.value == "out_of_scope", (
        "the stored verdict follows the suspension agreed afterwards"
    )


def test_nested_categories_the_most_specific_clause_wins(agreement):
    assert verdict(agreement, category="support.request")["clause"] == "1.1"
    network = verdict(agreement, category="support.incident.network", system="shop-web", hours=1)
    assert network["clause"] == "1.2"
    security = verdict(agreement, category="support.incident.security.phishing")
    assert (security["verdict"], security["clause"]) == ("out_of_scope", "1.3")


def test_category_codes_match_on_dot_boundaries_only(agreement):
    result = verdict(agreement, category="supportive")
    assert result["verdict"] == "out_of_scope" and result["clause"] is None


def test_at_equal_specificity_an_exclusion_beats_an_inclusion(agreement):
    result = verdict(agreement, category="support.incident", system="legacy-erp", hours=1)
    assert (result["verdict"], result["clause"]) == ("out_of_scope", "1.4")
    assert "exclusion" in " ".join(result["reasons"])
    other_system = verdict(agreement, category="support.incident", system="shop-web", hours=1)
    assert (other_system["verdict"], other_system["clause"]) == ("in_scope", "1.2")


def test_systems_limit_a_clause_and_a_missing_system_needs_review(agreement):
    assert (
        verdict(agreement, category="maintenance.patch", system="shop-web")["verdict"] == "in_scope"
    )
    other = verdict(agreement, category="maintenance.patch", system="crm")
    assert other["verdict"] == "out_of_scope"
    assert any("only on shop-web and shop-api" in r for r in other["reasons"])
    none = verdict(agreement, category="maintenance.patch")
    assert (none["verdict"], none["clause"]) == ("needs_review", "2.1")
    assert "names no system" in none["reasons"][-1]
    excluded_on_one_system = verdict(agreement, category="support.incident", hours=1)
    assert (excluded_on_one_system["verdict"], excluded_on_one_system["clause"]) == (
        "needs_review",
        "1.4",
    )


def test_a_cap_exactly_reached_is_in_scope(agreement, record):
    record(category="support.incident", system="shop-web", hours=6, day=D(2026, 3, 2))
    result = verdict(
        agreement, category="support.incident", system="shop-web", hours=4, day=D(2026, 3, 30)
    )
    assert result["verdict"] == "in_scope"
    assert result["cap"] == {
        "unit": "hours",
        "limit": "10.00",
        "used": "10.00",
        "remaining": "0.00",
        "period": "2026-03",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    }


def test_a_cap_exceeded_by_a_quarter_hour_is_over_cap(agreement, record):
    record(category="support.incident", system="shop-web", hours=6, day=D(2026, 3, 2))
    result = verdict(
        agreement, category="support.incident", system="shop-web", hours="4.25", day=D(2026, 3, 30)
    )
    assert result["verdict"] == "over_cap"
    assert (result["cap"]["used"], result["cap"]["remaining"]) == ("10.25", "-0.25")


def test_the_cap_period_is_the_calendar_period_of_the_task(agreement, record):
    record(category="support.incident", system="shop-web", hours=8, day=D(2026, 3, 31))
    april = verdict(
        agreement, category="support.incident", system="shop-web", hours=8, day=D(2026, 4, 1)
    )
    assert april["verdict"] == "in_scope" and april["cap"]["used"] == "8.00"


def test_a_recorded_task_is_not_counted_twice_in_its_own_check(agreement, record):
    task = record(category="support.incident", system="shop-web", hours=6)
    again = check_task(
        agreement,
        TaskInput(
            title="x",
            day=task.day,
            category="support.incident",
            system="shop-web",
            hours=Decimal(6),
        ),
        exclude_task_id=task.id,
    )
    assert again.cap["used"] == "6.00"


def test_the_per_task_limit(agreement):
    result = verdict(agreement, category="support.incident", system="shop-api", hours="8.5")
    assert result["verdict"] == "over_cap"
    assert "per-task limit" in result["reasons"][-1]


def test_count_and_amount_caps(agreement, record):
    record(category="reporting", day=D(2026, 1, 5))
    record(category="reporting", day=D(2026, 2, 5))
    assert verdict(agreement, category="reporting", day=D(2026, 3, 5))["verdict"] == "over_cap"
    assert verdict(agreement, category="reporting", day=D(2026, 4, 5))["verdict"] == "in_scope"
    assert verdict(agreement, category="change.small", amount="999.99")["verdict"] == "in_scope"
    assert verdict(agreement, category="change.small", amount="1000.01")["verdict"] == "over_cap"
    no_amount = verdict(agreement, category="change.small", hours=3)
    assert no_amount["verdict"] == "needs_review"


def test_no_covering_clause_is_out_of_scope_with_nearest_clauses(agreement):
    result = verdict(agreement, category="maintenanceX.other", title="Upgrade the patch level")
    assert result["verdict"] == "out_of_scope" and result["clause"] is None
    assert result["candidates"] and result["candidates"][0]["ref"] == "2.1"


def test_without_a_category_clauses_are_ranked_by_relevance(agreement):
    result = verdict(agreement, title="Checkout shows error 500 after outage")
    assert result["verdict"] == "needs_review"
    assert result["candidates"][0]["ref"] == "1.2"
    assert result["candidates"][0]["score"] >= 0.5


def test_a_match_on_an_exclusions_keywords_is_flagged(agreement):
    result = verdict(agreement, title="Redesign of the product page, a new feature")
    assert result["verdict"] == "needs_review"
    assert any("exclusion 9.1" in reason for reason in result["reasons"])


def test_nothing_relevant_is_out_of_scope(agreement):
    result = verdict(agreement, title="Water the office plants")
    assert result["verdict"] == "out_of_scope"


def test_every_verdict_carries_the_scope_version_used(agreement):
    result = verdict(agreement, category="support.request")
    assert result["scope_version"] == 1
    assert set(result) == {
        "verdict",
        "clause",
        "scope_version",
        "reasons",
        "candidates",
        "cap",
        "priced_amount",
    }


def test_a_check_uses_the_scope_valid_on_the_tasks_date(agreement):
    from tests.factories import make_annex

    make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.1"}])
    before = verdict(agreement, category="support.request", day=D(2026, 5, 31))
    after = verdict(agreement, category="support.request", day=D(2026, 6, 1))
    assert before["verdict"] == "in_scope" and before["clause"] == "1.1"
    assert after["verdict"] == "out_of_scope"
    assert after["scope_version"] != before["scope_version"]
    db.session.rollback()


def test_draft_agreements_make_nothing_in_scope():
    draft = make_agreement(status="draft")
    assert verdict(draft, category="support.incident", hours=1)["verdict"] == "out_of_scope"


# --- specificity, systems, rates -------------------------------------------------------

SPECIFIC = [
    clause(
        "1.1",
        ["support.incident"],
        title="Incidents, every system",
        cap={"unit": "hours", "limit": "10", "period": "month"},
    ),
    clause(
        "1.2",
        ["support.incident"],
        title="Incidents on SAP",
        systems=["sap"],
        cap={"unit": "hours", "limit": "40", "period": "month"},
    ),
    clause("1.3", ["support.incident.database"], title="Database incidents, every system"),
    clause("2.1", ["maintenance"], title="Maintenance"),
    clause("2.2", ["maintenance"], title="Maintenance again"),
    clause("3.1", ["hosting"], title="Hosting", systems=["Shop-API"]),
    clause("3.2", ["hosting"], kind="excluded", title="Hosting of the shop", systems=["shop-api"]),
    clause(
        "4.1",
        ["change"],
        title="Changes at a rate",
        cap={"unit": "amount", "limit": "1000", "period": "month"},
        rate="85.50",
    ),
    clause(
        "4.2",
        ["change.urgent"],
        title="Urgent changes, no rate",
        cap={"unit": "amount", "limit": "1000", "period": "month"},
    ),
]


@pytest.fixture
def specific():
    return make_agreement(scope=SPECIFIC)


def test_a_clause_naming_the_tasks_system_beats_one_for_every_system(specific):
    sap = verdict(specific, category="support.incident", system="sap", hours=15)
    assert (sap["verdict"], sap["clause"]) == ("in_scope", "1.2")
    assert "on the system sap" in sap["reasons"][0]
    other = verdict(specific, category="support.incident", system="crm", hours=15)
    assert (other["verdict"], other["clause"]) == ("over_cap", "1.1")


def test_a_longer_category_path_beats_a_clause_naming_the_system(specific):
    result = verdict(specific, category="support.incident.database", system="sap", hours=2)
    assert result["clause"] == "1.3"


def test_a_task_naming_no_system_cannot_choose_between_them(specific):
    result = verdict(specific, category="support.incident", hours=2)
    assert (result["verdict"], result["clause"]) == ("needs_review", None)
    assert "1.1 “" in result["reasons"][0] and "1.2 “" in result["reasons"][0]


def test_a_remaining_tie_is_needs_review_naming_the_tied_clauses(specific):
    result = verdict(specific, category="maintenance.patch")
    assert (result["verdict"], result["clause"]) == ("needs_review", None)
    assert result["reasons"][0].startswith("Two clauses fit maintenance.patch equally well: 2.1 “")
    assert [c["ref"] for c in result["candidates"]] == ["2.1", "2.2"]


def test_at_equal_depth_and_systems_an_exclusion_beats_an_inclusion(specific):
    result = verdict(specific, category="hosting", system="shop-api")
    assert (result["verdict"], result["clause"]) == ("out_of_scope", "3.2")


def test_systems_compare_case_insensitively(specific):
    assert verdict(specific, category="hosting", system="SHOP-API")["clause"] == "3.2"
    upper = verdict(specific, category="support.incident", system="SAP", hours=15)
    assert (upper["verdict"], upper["clause"]) == ("in_scope", "1.2")
    assert verdict(specific, category="hosting", system="shop-web")["verdict"] == "out_of_scope"


def test_an_hours_only_task_is_priced_at_the_clause_rate(specific):
    result = verdict(specific, category="change", hours="0.25")
    assert (result["verdict"], result["clause"]) == ("in_scope", "4.1")
    assert result["priced_amount"] == "21.38"
    assert "the rate of clause 4.1" in result["reasons"][-2]
    assert result["cap"]["used"] == "21.38"
    over = verdict(specific, category="change", hours=12)
    assert over["verdict"] == "over_cap" and over["priced_amount"] == "1026.00"


def test_the_priced_reason_writes_hours_and_money_as_the_pages_do(specific):
    exact = verdict(specific, category="change", hours="3.5")
    assert exact["reasons"][-2] == (
        "No amount was given: 3.50 h at EUR 85.50 an hour, the rate of clause 4.1, "
        "is priced EUR 299.25."
    )
    rounded = verdict(specific, category="change", hours="0.25")
    assert rounded["reasons"][-2] == (
        "No amount was given: 0.25 h at EUR 85.50 an hour, the rate of clause 4.1, "
        "is priced EUR 21.38 (EUR 21.375 exactly, rounded half up)."
    )


def test_priced_tasks_count_against_the_amount_cap(specific):
    manager = manager_of(specific)
    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.services import record_task

    first = record_task(
        specific,
        membership_of(manager, specific.id),
        TaskInput(
            ref="C-1", title="Change", category="change", day=D(2026, 3, 2), hours=Decimal(8)
        ),
        manager,
    )
    assert first.priced_amount == Decimal("684.00") and first.amount is None
    second = verdict(specific, category="change", amount=400)
    assert second["verdict"] == "over_cap" and second["cap"]["used"] == "1084.00"


def test_neither_amount_nor_rate_needs_review(specific):
    result = verdict(specific, category="change.urgent", hours=2)
    assert (result["verdict"], result["clause"]) == ("needs_review", "4.2")
    assert "has no rate" in result["reasons"][-1]
    nothing = verdict(specific, category="change")
    assert nothing["verdict"] == "needs_review"


# --- the reasons read as sentences ---------------------------------------------------------


def test_the_deciding_clause_is_named_by_ref_and_title_without_a_code_repeated(specific):
    result = verdict(specific, category="support.incident", system="sap", hours=2)
    first = result["reasons"][0]
    assert first.startswith("Clause 1.2 “")
    assert "with code" not in first and "category" not in first


def test_a_tie_names_the_tied_clauses_with_titles_and_says_what_to_do(specific):
    result = verdict(specific, category="maintenance.patch")
    reason = result["reasons"][0]
    assert reason.startswith("Two clauses fit maintenance.patch equally well: 2.1 “")
    assert "decide which applies (or amend the scope)" in reason
    assert [(c["ref"], c["score"]) for c in result["candidates"]] == [("2.1", 1.0), ("2.2", 1.0)]
    assert all(c["title"] for c in result["candidates"])


def test_a_broader_clause_is_named_with_why_the_deciding_one_wins(agreement):
    result = verdict(agreement, category="support.incident.network", system="shop-web", hours=1)
    assert result["clause"] == "1.2"
    assert any(
        r.startswith("Clause 1.1 “") and "because it is more specific" in r
        for r in result["reasons"]
    )


def test_cap_figures_in_the_reasons_read_as_the_pages_write_them(agreement, record):
    record(category="support.incident", system="shop-web", hours=6, day=D(2026, 3, 2))
    within = verdict(
        agreement, category="support.incident", system="shop-web", hours="3.5", day=D(2026, 3, 9)
    )
    assert within["reasons"][-1] == (
        "Within the cap: 9.50 h of 10 h used in 2026-03 up to and including this task, 0.50 h left."
    )
    over = verdict(
        agreement, category="support.incident", system="shop-web", hours="4.25", day=D(2026, 3, 9)
    )
    assert "6 h of 10 h already used in 2026-03" in over["reasons"][-1]
    assert over["reasons"][-1].endswith("this task adds 4.25 h.")
    per_task = verdict(agreement, category="support.incident", system="shop-api", hours="8.5")
    assert "The task's 8.50 h exceed the per-task limit of" in per_task["reasons"][-1]
    money = verdict(agreement, category="change.small", amount="1000.01")
    assert "of EUR 1,000.00 already used" in money["reasons"][-1]


def test_a_count_cap_with_a_label_says_what_it_counts_in_the_reasons():
    releases = {
        "unit": "count",
        "limit": "2",
        "period": "month",
        "unit_label": "releases",
        "unit_label_singular": "release",
    }
    agreement = make_agreement(scope=[clause("5.1", ["release"], cap=releases)])
    result = verdict(agreement, category="release", day=D(2026, 3, 5))
    assert "Within the cap: 1 release of 2 releases used in 2026-03" in result["reasons"][-1]
    assert "1 release left" in result["reasons"][-1]


def test_the_cap_figures_carry_what_a_count_cap_counts():
    licences = {"unit": "count", "limit": "3", "period": "month", "unit_label": "licences"}
    agreement = make_agreement(scope=[clause("5.1", ["licence"], cap=licences)])
    result = verdict(agreement, category="licence", day=D(2026, 3, 5))
    assert result["cap"]["unit_label"] == "licences"
    assert "unit_label_singular" not in result["cap"]
