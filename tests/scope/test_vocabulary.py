"""An agreement's vocabulary of categories and systems, and the lookalike rule."""

from __future__ import annotations

import pytest

from contracts_app.scope.vocabulary import (
    Vocabulary,
    edit_distance,
    lookalike_errors,
    lookalike_of,
    looks_like,
    vocabulary_of,
)
from tests.factories import make_agreement


@pytest.mark.parametrize(
    ("new", "known"),
    [
        ("ops.backup", "operations.backup"),  # a word abbreviated, the rest the same
        ("Operations.Backup", "operations.backup"),  # the same but for case
        ("operatons.backup", "operations.backup"),  # one letter left out
        ("operations.bakcup", "operations.backup"),  # two letters swapped
        ("oper.back", "operations.backup"),  # each word a prefix of the other's
        ("shopweb", "shop-web"),
        ("CRM", "crm"),
    ],
)
def test_codes_that_look_like_a_known_one(new, known):
    assert looks_like(new, known)


@pytest.mark.parametrize(
    ("new", "known"),
    [
        ("support.request", "support.incident"),  # a sibling under the same parent
        ("support.incident.security", "support.incident"),  # a narrower code
        ("support", "support.incident"),  # a broader code
        ("crm", "erp"),  # short codes two edits apart are other words
        ("shop-api", "shop-web"),
        ("café-web", "shop-web"),  # the same last word under another name
        ("maintenance.incident", "support.incident"),
        ("operations.backup", "operations.backup"),  # itself
    ],
)
def test_codes_that_do_not_look_like_a_known_one(new, known):
    assert not looks_like(new, known)


def test_edit_distance_counts_up_to_its_limit():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("kitten", "sitting", limit=99) == 3
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("a", "abcdefgh") == 3


def test_the_closest_lookalike_is_named_and_a_known_code_is_none():
    known = ["operations.backup", "operations.backups", "support.incident"]
    assert lookalike_of("operations.backupz", known) == "operations.backup"
    assert lookalike_of("operations.backup", known) is None
    assert lookalike_of("development", known) is None


def test_errors_name_the_existing_code_and_how_to_keep_the_new_one():
    vocabulary = Vocabulary(categories=("operations.backup",), systems=("shop-web",))
    errors = lookalike_errors({"category": ["ops.backup"], "system": ["Shop-Web"]}, vocabulary)
    assert errors["category"] == [
        "Did you mean operations.backup? Tick “use the new code” to keep ops.backup."
    ]
    assert "Did you mean shop-web?" in errors["system"][0]


def test_an_agreements_vocabulary_comes_from_its_scope_and_its_tasks(agreement_with_task):
    vocabulary = vocabulary_of(agreement_with_task)
    assert {"support.incident", "support.request", "maintenance", "ops.custom"} <= set(
        vocabulary.categories
    )
    assert {"shop-web", "Ticket-System"} <= set(vocabulary.systems)


@pytest.fixture
def agreement_with_task():
    import datetime as dt

    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.services import TaskInput, record_task
    from tests.factories import manager_of

    agreement = make_agreement()
    manager = manager_of(agreement)
    record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref="V-1",
            title="Odd one",
            day=dt.date(2026, 3, 1),
            category="ops.custom",
            system="Ticket-System",
        ),
        manager,
        confirm_new_codes=True,
    )
    return agreement
