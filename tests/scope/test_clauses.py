from __future__ import annotations

from decimal import Decimal

import pytest

from contracts_app.errors import ScopeConflict, ValidationFailed
from contracts_app.scope.clauses import (
    apply_changes,
    category_covers,
    diff_scopes,
    parse_changes,
    parse_clause,
    parse_scope,
)
from tests.factories import clause


def _scope(*items):
    return {spec.ref: spec for spec in parse_scope(list(items))}


@pytest.mark.parametrize(
    ("code", "category", "covered"),
    [
        ("support", "support", True),
        ("support", "support.incident", True),
        ("support", "support.incident.p1", True),
        ("Support", "SUPPORT.Incident", True),
        ("support", "supportive", False),
        ("support.incident", "support", False),
        ("support.incident", "support.incidents", False),
    ],
)
def test_category_covers_itself_and_descendants_on_dot_boundaries(code, category, covered):
    assert category_covers(code, category) is covered


def test_parse_clause_normalises_money_and_lowercases_categories():
    spec = parse_clause(
        clause(
            "1.1", ["Support.Incident"], cap={"unit": "hours", "limit": "120", "period": "month"}
        )
    )
    assert spec.categories == ("support.incident",)
    assert spec.to_json()["cap"] == {"unit": "hours", "limit": "120.00", "period": "month"}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (clause("1.1", cap={"unit": "hours", "limit": "-5", "period": "month"}), "cap.limit"),
        (clause("1.1", cap={"unit": "days", "limit": "5", "period": "month"}), "cap.unit"),
        (clause("1.1", per_task_limit="0"), "per_task_limit"),
        (clause("1.1", rate="-1"), "rate"),
        (clause("1.1", kind="maybe"), "kind"),
        (clause("1.1", ["not a code"]), "categories.0"),
        (clause("", []), "ref"),
        ({**clause("1.1"), "colour": "red"}, "colour"),
        (
            clause("9.9", kind="excluded", cap={"unit": "hours", "limit": "5", "period": "month"}),
            "cap",
        ),
    ],
)
def test_parse_clause_names_the_bad_field(item, field):
    with pytest.raises(ValidationFailed) as caught:
        parse_clause(item)
    assert field in caught.value.errors


def test_parse_scope_refuses_a_ref_twice():
    with pytest.raises(ValidationFailed) as caught:
        parse_scope([clause("1.1"), clause("1.1")])
    assert "scope.1.ref" in caught.value.errors


def test_apply_changes_adds_modifies_and_removes():
    base = _scope(clause("1.1"), clause("1.2"), clause("2.1"))
    changes = parse_changes(
        [
            {"op": "add", "item": clause("3.1")},
            {"op": "modify", "ref": "1.2", "fields": {"title": "Renamed", "rate": "70"}},
            {"op": "remove", "ref": "2.1"},
        ]
    )
    after = apply_changes(base, changes, "Annex 1", on="2026-03-01")
    assert list(after) == ["1.1", "1.2", "3.1"]
    assert after["1.2"].title == "Renamed"
    assert after["1.2"].rate == Decimal("70")
    assert after["1.1"] == base["1.1"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"op": "add", "item": clause("1.1")}, "already exists"),
        ({"op": "modify", "ref": "7.7", "fields": {"title": "x"}}, "does not exist"),
        ({"op": "remove", "ref": "7.7"}, "does not exist"),
    ],
)
def test_a_change_that_cannot_apply_names_the_ref_and_the_annex(change, reason):
    base = _scope(clause("1.1"))
    with pytest.raises(ScopeConflict) as caught:
        apply_changes(base, parse_changes([change]), "Annex 4", on="2026-05-01")
    assert caught.value.annex_label == "Annex 4"
    assert reason in caught.value.message
    assert caught.value.ref in caught.value.message


def test_modify_cannot_give_an_exclusion_a_cap():
    base = _scope(clause("9.1", kind="excluded"))
    change = parse_changes(
        [
            {
                "op": "modify",
                "ref": "9.1",
                "fields": {"cap": {"unit": "hours", "limit": "5", "period": "year"}},
            }
        ]
    )
    with pytest.raises(ScopeConflict):
        apply_changes(base, change, "Annex 1", on="2026-01-01")


def test_parse_changes_refuses_unknown_ops_keys_and_ref_changes():
    with pytest.raises(ValidationFailed) as caught:
        parse_changes(
            [
                {"op": "rename", "ref": "1.1"},
                {"op": "remove", "ref": "1.1", "extra": 1},
                {"op": "modify", "ref": "1.2", "fields": {"ref": "1.3"}},
                {"op": "modify", "ref": "1.4", "fields": {}},
            ]
        )
    errors = caught.value.errors
    assert {"changes.0.op", "changes.1.extra", "changes.2.fields.ref", "changes.3.fields"} <= set(
        errors
    )


def test_diff_lists_added_removed_and_field_level_modifications():
    before = _scope(clause("1.1", rate="60"), clause("1.2"))
    after = _scope(clause("1.1", rate="65", systems=["crm"]), clause("2.1"))
    diff = diff_scopes(before, after)
    assert [c["ref"] for c in diff["added"]] == ["2.1"]
    assert [c["ref"] for c in diff["removed"]] == ["1.2"]
    assert diff["modified"] == [
        {
            "ref": "1.1",
            "title": "Clause 1.1",  # people know a clause by ref and title
            "changes": {
                "systems": {"before": [], "after": ["crm"]},
                "rate": {"before": "60.00", "after": "65.00"},
            },
        }
    ]


# --- exact figures --------------------------------------------------------------------


def test_currency_minor_units_follow_iso_4217():
    from contracts_app.figures import currency_scale

    assert [currency_scale(c) for c in ("EUR", "JPY", "BHD", "CLF", "usd", "XYZ")] == [
        2,
        0,
        3,
        4,
        2,
        2,
    ]


def test_figures_print_exactly_with_at_least_two_decimals():
    from contracts_app.figures import decimal_text

    assert [decimal_text(Decimal(v)) for v in ("85.125", "120", "7.5", "0.5050", "1E+3")] == [
        "85.125",
        "120.00",
        "7.50",
        "0.505",
        "1000.00",
    ]


def test_a_clause_keeps_its_figures_exactly_through_json_and_changes():
    spec = parse_clause(
        clause(
            "1.1",
            rate="85.125",
            per_task_limit="7.875",
            cap={"unit": "amount", "limit": "0.505", "period": "month"},
        ),
        currency="BHD",
    )
    assert (spec.rate, spec.per_task_limit, spec.cap.limit) == (
        Decimal("85.125"),
        Decimal("7.875"),
        Decimal("0.505"),
    )
    assert spec.to_json()["cap"]["limit"] == "0.505"
    after = apply_changes(
        {"1.1": spec},
        parse_changes([{"op": "modify", "ref": "1.1", "fields": {"title": "Renamed"}}]),
        "Annex 1",
        on="2026-05-01",
    )
    assert after["1.1"].rate == Decimal("85.125"), "a change of another field rounds nothing"


@pytest.mark.parametrize(
    ("currency", "item", "field"),
    [
        ("EUR", clause("1.1", rate="85.125"), "scope.0.rate"),
        ("JPY", clause("1.1", rate="85.5"), "scope.0.rate"),
        ("BHD", clause("1.1", rate="85.1255"), "scope.0.rate"),
        ("BHD", clause("1.1", per_task_limit="7.875"), "scope.0.per_task_limit"),
        (
            "BHD",
            clause("1.1", cap={"unit": "hours", "limit": "1.125", "period": "month"}),
            "scope.0.cap.limit",
        ),
        (
            "EUR",
            clause(
                "1.1",
                per_task_limit="7.125",
                cap={"unit": "amount", "limit": "10", "period": "month"},
            ),
            "scope.0.per_task_limit",
        ),
    ],
)
def test_a_figure_beyond_its_scale_is_refused_naming_the_field(currency, item, field):
    with pytest.raises(ValidationFailed) as caught:
        parse_scope([item], currency=currency)
    assert field in caught.value.errors
    assert "nothing is rounded" in caught.value.errors[field][0]


def test_annex_changes_are_held_to_the_currency_scale():
    with pytest.raises(ValidationFailed) as caught:
        parse_changes(
            [{"op": "modify", "ref": "1.1", "fields": {"rate": "60.125"}}], currency="EUR"
        )
    assert "changes.0.fields.rate" in caught.value.errors
    assert parse_changes(
        [{"op": "modify", "ref": "1.1", "fields": {"rate": "60.125"}}], currency="KWD"
    )


def test_a_cap_without_its_period_or_unit_says_what_to_choose():
    from marshmallow import ValidationError

    from contracts_app.scope.clauses import CapSchema

    with pytest.raises(ValidationError) as caught:
        CapSchema().load({"unit": None, "limit": "20", "period": None})
    assert caught.value.messages == {
        "unit": ["Choose what the cap counts."],
        "period": ["Choose the cap's period."],
    }
