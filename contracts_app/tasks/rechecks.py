"""Re-checking tasks when the scope changes (an annex became effective, even retroactively)."""

from __future__ import annotations

import datetime as dt

from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.notifications.triggers import verdicts_changed
from contracts_app.scope.clauses import changes_from_json
from contracts_app.scope.models import ScopeVersion
from contracts_app.tasks.models import VerdictChange
from contracts_app.tasks.pipeline import MAX_LISTED, VerdictContext, settle
from contracts_app.tasks.scope_index import index_for

__all__ = ["MAX_LISTED", "recheck_from", "recheck_start"]


def recheck_start(context: VerdictContext, start: dt.date, annex_id: int | None) -> dt.date:
    """Where the re-check after a change of scope from ``start`` begins.

    A cap's use is counted per period, so the tasks that share a period with the
    changed days are checked again from the period's start: the earliest start of a
    cap period containing ``start`` among the clauses the annex touches (all clauses
    when the change is not an annex), under any version of the timeline.
    """
    refs: set[str] | None = None
    annex = db.session.get(Annex, annex_id) if annex_id is not None else None
    if annex is not None:
        refs = {change.ref for change in changes_from_json(annex.changes or [])}
    if refs is None:
        refs = {ref for version in context.timeline.versions for ref in _refs(version)}
    earliest = start
    for ref in refs:
        reach = context.reach(ref, start)
        if reach is not None:
            earliest = min(earliest, reach[0])
    return earliest


def _refs(version: ScopeVersion) -> set[str]:
    return set(index_for(version).clauses)


def recheck_from(
    agreement: Agreement, start: dt.date, annex_id: int | None = None
) -> list[VerdictChange]:
    """Check again the tasks a change of scope effective on ``start`` can reach.

    Every task from the start of the earliest cap period containing ``start`` (of the
    clauses the annex touches) is checked again in canonical order, all clauses
    together, so tasks whose clause lost or gained coverage from ``start`` on are
    checked too. Tasks waiting on a verdict (or on a proposed annex) move to their new
    verdict's state; a person's decision is never overridden: an accepted task whose
    verdict would change is flagged. Runs inside the caller's transaction. Returns the
    changes it recorded.
    """
    context = VerdictContext(agreement)
    window_start = recheck_start(context, start, annex_id)
    settled = settle(
        context,
        start=window_start,
        annex_id=annex_id,
        why=f"Checked again from {window_start} after a change of scope from {start}.",
    )
    verdicts_changed(agreement, settled.changes)
    return settled.changes


def on_scope_changed(
    agreement: Agreement, *, start: dt.date, annex_id: int | None = None, **_: object
) -> None:
    """Receiver of ``scope.signals.scope_changed``: re-check inside the same transaction."""
    recheck_from(agreement, start, annex_id)
