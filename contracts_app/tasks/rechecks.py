"""Re-checking tasks when the scope changes (an annex became effective, even retroactively)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.audit.services import record
from contracts_app.db import db, utcnow
from contracts_app.tasks.models import Task, VerdictChange
from contracts_app.tasks.services import facts_of
from contracts_app.tasks.timeline import ScopeTimeline, term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import check
from workflows.task_states import COUNTED_STATES, RECHECKED_STATES, TaskState, Verdict

MAX_LISTED = 1000  # verdict changes named in the audit event; the count is always exact


def recheck_from(
    agreement: Agreement, start: dt.date, annex_id: int | None = None
) -> list[VerdictChange]:
    """Check again every task dated on or after ``start``, in date order.

    Tasks waiting on a verdict (or on a proposed annex) move to their new verdict's
    state. A person's decision is never overridden: an accepted, rejected or escalated
    task keeps its state, and an accepted one whose verdict would change is flagged.
    Runs inside the caller's transaction; states are set directly, not through the
    machine, because this is a bulk path. Returns the changes it recorded.
    """
    tasks = db.session.scalars(
        sa.select(Task)
        .where(Task.agreement_id == agreement.id, Task.day >= start)
        .order_by(Task.day, Task.id)
    ).all()
    if not tasks:
        return []
    timeline = ScopeTimeline(agreement)
    ledger = UsageLedger(agreement.id, before=start)
    term = term_of(agreement)
    now = utcnow()
    changes: list[VerdictChange] = []
    for task in tasks:
        result = check(facts_of(task, task.id), timeline.on(task.day), term, ledger)
        changed = result.verdict != task.verdict or result.clause != task.clause_ref
        if task.state == TaskState.ACCEPTED:
            if changed:
                task.needs_attention = True
                changes.append(
                    _change(agreement, task, annex_id, result.verdict, result.clause, now, True)
                )
            if task.clause_ref:  # an accepted task keeps counting where it was accepted
                ledger.add(task.clause_ref, task.day, task.hours, task.amount)
            continue
        if changed:
            changes.append(
                _change(agreement, task, annex_id, result.verdict, result.clause, now, False)
            )
        task.verdict = result.verdict
        task.clause_ref = result.clause
        task.scope_version = result.scope_version
        task.verdict_detail = result.to_json()
        task.checked_at = now
        if task.state in RECHECKED_STATES:
            task.state = TaskState(result.verdict.value)
            if task.proposed_annex_id == annex_id:
                task.proposed_annex_id = None
        if task.state in COUNTED_STATES and result.clause:
            ledger.add(result.clause, task.day, task.hours, task.amount)
    db.session.add_all(changes)
    db.session.flush()
    if changes:
        refs = {task.id: task.ref for task in tasks}
        record(
            "tasks.rechecked",
            agreement,
            None,
            agreement_id=agreement.id,
            changes={
                "verdicts": {
                    "before": {refs[c.task_id]: c.old_verdict.value for c in changes[:MAX_LISTED]},
                    "after": {refs[c.task_id]: c.new_verdict.value for c in changes[:MAX_LISTED]},
                },
                "changed": {"before": None, "after": len(changes)},
                "flagged": {"before": None, "after": sum(c.flagged for c in changes)},
            },
            comment=f"Checked again from {start} after a change of scope.",
        )
    return changes


def on_scope_changed(
    agreement: Agreement, *, start: dt.date, annex_id: int | None = None, **_: object
) -> None:
    """Receiver of ``scope.signals.scope_changed``: re-check inside the same transaction."""
    recheck_from(agreement, start, annex_id)


def _change(
    agreement: Agreement,
    task: Task,
    annex_id: int | None,
    verdict: Verdict,
    clause: str | None,
    now: dt.datetime,
    flagged: bool,
) -> VerdictChange:
    return VerdictChange(
        agreement_id=agreement.id,
        task_id=task.id,
        annex_id=annex_id,
        old_verdict=task.verdict,
        new_verdict=verdict,
        old_clause=task.clause_ref,
        new_clause=clause,
        task_state=task.state,
        flagged=flagged,
        checked_at=now,
    )
