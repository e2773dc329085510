"""Stored verdict explanations are written in today's words without changing any verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm.attributes import flag_modified

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.services import TaskInput, record_task, reword_stored_verdicts
from tests.factories import clause, make_agreement, manager_of

LICENCES = {
    "unit": "count",
    "limit": "3",
    "period": "month",
    "unit_label": "licences",
    "unit_label_singular": "licence",
}
OLD_PRICED = (
    "The task gives no amount: its 3.50 hours are priced at the rate of clause 4.1, "
    "85.50 EUR an hour, = 299.25 EUR."
)


def _scoped():
    agreement = make_agreement(
        scope=[
            clause(
                "4.1",
                ["change"],
                title="Changes at a rate",
                cap={"unit": "amount", "limit": "1000", "period": "month"},
                rate="85.50",
            ),
            clause("5.1", ["licence"], title="Licences", cap=LICENCES),
        ]
    )
    manager = manager_of(agreement)

    def record(ref, **fields):
        return record_task(
            agreement,
            membership_of(manager, agreement.id),
            TaskInput(ref=ref, title=ref, day=dt.date(2026, 3, 2), **fields),
            manager,
        )

    return agreement, record


def _as_stored_before(task, reasons, cap_labels=False):
    """The explanation as an earlier version wrote it (other words, no cap labels)."""
    detail = dict(task.verdict_detail)
    detail["reasons"] = reasons
    if not cap_labels and detail.get("cap"):
        detail["cap"] = {k: v for k, v in detail["cap"].items() if not k.startswith("unit_label")}
    task.verdict_detail = detail
    flag_modified(task, "verdict_detail")
    db.session.flush()


def test_old_words_are_replaced_and_no_verdict_state_or_time_changes():
    agreement, record = _scoped()
    priced = record("C-1", category="change", hours=Decimal("3.5"))
    counted = record("L-1", category="licence")
    new_words = {t.id: t.verdict_detail for t in (priced, counted)}
    _as_stored_before(priced, [priced.verdict_detail["reasons"][0], OLD_PRICED])
    _as_stored_before(counted, counted.verdict_detail["reasons"][:1])
    before = {
        t.id: (t.verdict, t.state, t.clause_ref, t.priced_amount, t.checked_at, t.lock_version)
        for t in (priced, counted)
    }

    assert reword_stored_verdicts([agreement.code]) == {agreement.code: 2}

    for task in (priced, counted):
        db.session.refresh(task)
        assert task.verdict_detail == new_words[task.id]
        # lock_version moves with any write; the rest is as it was
        assert before[task.id][:5] == (
            task.verdict,
            task.state,
            task.clause_ref,
            task.priced_amount,
            task.checked_at,
        )
    assert "No amount was given: 3.50 h at EUR 85.50 an hour" in priced.verdict_detail["reasons"][1]
    assert counted.verdict_detail["cap"]["unit_label"] == "licences"
    assert reword_stored_verdicts([agreement.code]) == {agreement.code: 0}


def test_a_task_whose_check_now_decides_otherwise_keeps_its_explanation():
    agreement, record = _scoped()
    task = record("L-1", category="licence")
    task.verdict_detail = {**task.verdict_detail, "reasons": ["An older verdict."]}
    task.verdict_detail["cap"] = {**task.verdict_detail["cap"], "used": "2"}  # counted otherwise
    db.session.flush()
    assert reword_stored_verdicts([agreement.code]) == {agreement.code: 0}
    db.session.refresh(task)
    assert task.verdict_detail["reasons"] == ["An older verdict."]


def test_the_command_rewords_and_says_no_verdict_changed(app):
    agreement, record = _scoped()
    task = record("C-1", category="change", hours=Decimal("3.5"))
    _as_stored_before(task, [task.verdict_detail["reasons"][0], OLD_PRICED])
    result = app.test_cli_runner().invoke(
        args=["tasks", "reword-verdicts", "--agreement", agreement.code]
    )
    assert result.exit_code == 0, result.output
    assert "1 explanation re-worded in 1 agreement; no verdict changed." in result.output


def test_upgrading_the_database_to_head_rewords_the_stored_explanations(app, monkeypatch):
    from contracts_app import cli

    _agreement, record = _scoped()
    task = record("C-1", category="change", hours=Decimal("3.5"))
    _as_stored_before(task, [task.verdict_detail["reasons"][0], OLD_PRICED])
    revisions = iter(["0015", "0016"])
    monkeypatch.setattr(cli, "_revision", lambda: next(revisions))
    monkeypatch.setattr(cli.command, "upgrade", lambda config, revision: None)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    db.session.refresh(task)
    assert task.verdict_detail["reasons"][1].startswith("No amount was given")
