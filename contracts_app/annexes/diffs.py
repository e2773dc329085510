"""An annex's changes: validated, split into scope and governance, and shown as diffs.

Reads only: nothing here fires an event or writes a row, so the drafting form, the
register, summaries and the service can all use it without importing each other.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from contracts_app.agreements.governance import (
    governance_diff,
    is_governance_change,
    parse_governance_change,
)
from contracts_app.agreements.ladder import check_members
from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.errors import ScopeConflict, ValidationFailed
from contracts_app.scope.clauses import (
    apply_changes,
    changes_from_json,
    diff_scopes,
    is_clause_change,
    parse_changes,
)
from contracts_app.scope.service_levels import (
    Terms,
    apply_terms_changes,
    diff_terms,
    is_terms_change,
    parse_terms_change,
)
from contracts_app.scope.services import clause_map, terms_of, version_on
from workflows.annex_states import AnnexState


def stored_changes(
    raw_changes: Sequence[Any], field: str = "changes", currency: str | None = None
) -> list[dict[str, Any]]:
    """Validate an annex's changes (scope and governance); the form they are stored in.

    With ``currency``, money figures are held to its minor unit.

    Every error is reported at once, each at its position (``changes.2.item.ref``).
    """
    raw = list(raw_changes)
    errors: dict[str, list[str]] = {}
    stored: list[dict[str, Any] | None] = [None] * len(raw)
    try:
        clause_positions = [i for i, item in enumerate(raw) if is_clause_change(item)]
        scope_changes = parse_changes(raw, field, currency)
        for position, change in zip(clause_positions, scope_changes, strict=True):
            stored[position] = change.to_json()
    except ValidationFailed as exc:
        errors.update(exc.errors)
    for position, item in enumerate(raw):
        if not is_clause_change(item) and is_terms_change(item):
            try:
                stored[position] = parse_terms_change(item, f"{field}.{position}")
            except ValidationFailed as exc:
                errors.update(exc.errors)
    governance_positions = [
        i for i, item in enumerate(raw) if not is_clause_change(item) and not is_terms_change(item)
    ]
    for position in governance_positions:
        try:
            stored[position] = parse_governance_change(raw[position], f"{field}.{position}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if len(governance_positions) > 1:
        errors.setdefault(f"{field}.{governance_positions[1]}", []).append(
            "An annex carries at most one governance change; put every rule in it."
        )
    if errors:
        raise ValidationFailed(errors)
    return [item for item in stored if item is not None]


def governance_change(changes: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    return next((change for change in changes if is_governance_change(change)), None)


def outside_term(agreement: Agreement, day: dt.date) -> str | None:
    if agreement.covers(day):
        return None
    return f"{day} is outside the agreement's term ({agreement.term_text})."


def check_changes_apply(annex: Annex, agreement: Agreement) -> None:
    """Refuse an annex without changes, outside the term, or not applying at its date."""
    if not annex.changes:
        raise ValidationFailed({"changes": ["An annex needs at least one change."]})
    problem = outside_term(agreement, annex.effective_date)
    if problem:
        raise ValidationFailed({"effective_date": [problem]})
    version = version_on(agreement, annex.effective_date)
    current = clause_map(version) if version is not None else {}
    on = annex.effective_date.isoformat()
    apply_changes(current, changes_from_json(annex.changes), annex.label, on)
    apply_terms_changes(
        terms_of(version) if version is not None else Terms(), annex.changes, annex.label, on
    )
    check_ladder_members(agreement, annex.changes)


def check_ladder_members(agreement: Agreement, changes: Sequence[dict[str, Any]]) -> None:
    """A ladder in a governance change names members taking part on each side."""
    for index, change in enumerate(changes):
        if is_governance_change(change) and "escalation_ladder" in change["governance"]:
            check_members(
                agreement,
                change["governance"]["escalation_ladder"],
                f"changes.{index}.governance.escalation_ladder",
            )


def _with_governance(
    diff: dict[str, Any], agreement: Agreement, changes: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    change = governance_change(changes)
    diff["governance"] = governance_diff(agreement, change) if change else []
    return diff


def annex_diff(annex: Annex) -> dict[str, Any]:
    """The diff the annex makes against the scope valid at its effective date.

    For an effective annex, the diff recorded when it took effect.
    """
    if annex.state == AnnexState.EFFECTIVE and annex.applied_diff is not None:
        return {"governance": [], **annex.applied_diff}
    agreement = annex.agreement
    base = (
        version_on(agreement, annex.effective_date)
        if agreement.covers(annex.effective_date)
        else None
    )
    before = clause_map(base) if base is not None else {}
    terms_before = terms_of(base) if base is not None else Terms()
    try:
        after = apply_changes(
            before, changes_from_json(annex.changes), annex.label, str(annex.effective_date)
        )
        terms_after = apply_terms_changes(
            terms_before, annex.changes, annex.label, str(annex.effective_date)
        )
    except ScopeConflict as conflict:
        return {
            "added": [],
            "removed": [],
            "modified": [],
            "governance": [],
            **diff_terms(Terms(), Terms()),
            "conflict": conflict.message,
        }
    diff = {**diff_scopes(before, after), **diff_terms(terms_before, terms_after)}
    return _with_governance(diff, agreement, annex.changes)


def scope_day_for_draft(agreement: Agreement, effective_date: dt.date | None) -> dt.date:
    """The day whose scope a draft's rows are read against: its effective date when the
    agreement covers it, else today held within the term.

    A mistyped date must not empty the clauses a "modify" row picks from, nor turn every
    row into "does not exist": the date gets its own error and the rows keep their scope.
    """
    if effective_date is not None and agreement.covers(effective_date):
        return effective_date
    today = dt.date.today()
    if agreement.end_date is not None:
        today = min(today, agreement.end_date)
    return max(today, agreement.start_date)


def preview_diff(
    agreement: Agreement, effective_date: dt.date | None, raw_changes: Sequence[Any]
) -> dict[str, Any]:
    """The diff a draft would make, for the form's preview (nothing stored).

    Every problem at once, each at its own path: a date outside the term on
    ``effective_date``; a change's own errors at its position (``changes.2.item.cap.limit``);
    a change that cannot apply to the scope on ``changes.N.ref``. ``effective_date`` None
    (not given or not a date) is reported by the caller; the rows are still checked.
    """
    raw = list(raw_changes)
    errors: dict[str, list[str]] = {}
    if effective_date is not None and (problem := outside_term(agreement, effective_date)):
        errors["effective_date"] = [problem]
    stored: list[dict[str, Any]] | None = None
    try:
        stored = stored_changes(raw, currency=agreement.currency)
        check_ladder_members(agreement, stored)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    day = scope_day_for_draft(agreement, effective_date)
    version = version_on(agreement, day)
    before = clause_map(version) if version is not None else {}
    after = dict(before)
    for index, item in enumerate(raw):
        prefix = f"changes.{index}"
        if not is_clause_change(item) or any(
            path == prefix or path.startswith(prefix + ".") for path in errors
        ):
            continue
        try:
            change = parse_changes([item], currency=agreement.currency)
            after = apply_changes(after, change, "This annex", str(day))
        except ScopeConflict as conflict:
            errors.setdefault(f"{prefix}.ref", []).append(conflict.message)
        except ValidationFailed:  # already reported by stored_changes
            continue
    terms_before = terms_of(version) if version is not None else Terms()
    terms_after = terms_before
    if stored is not None:
        try:
            terms_after = apply_terms_changes(terms_before, stored, "This annex", str(day))
        except ScopeConflict as conflict:
            errors.update(conflict.errors)
    if errors:
        raise ValidationFailed(errors)
    assert stored is not None
    diff = {**diff_scopes(before, after), **diff_terms(terms_before, terms_after)}
    return _with_governance(diff, agreement, stored)


class ChangedSinceReview(ScopeConflict):
    """What an annex would change at its date is not what its approvers reviewed: another
    annex changed the same clause (or rule) meanwhile."""

    def __init__(self, annex_label: str, what: str) -> None:
        self.ref = what
        self.annex_label = annex_label
        message = (
            f"{annex_label}: {what} changed since the annex was reviewed, so what it would "
            "change now is not what both sides approved and signed; review it again."
        )
        ValidationFailed.__init__(self, {"changes": [message]}, message)


def _plain(diff: Mapping[str, Any]) -> dict[str, Any]:
    """A diff as stored in JSON (lists, not tuples), so that a stored one compares."""
    return json.loads(json.dumps(diff, default=str))


def reviewed_diff_of(annex: Annex) -> dict[str, Any]:
    """The diff to keep at a submission: what the approvers are about to review."""
    return _plain(annex_diff(annex))


def check_unchanged_since_review(annex: Annex, current: Mapping[str, Any]) -> None:
    """Before an annex applies: refuse it if ``current``, its diff now, is no longer the
    one reviewed."""
    if annex.reviewed_diff is None:  # submitted before diffs were kept
        return
    now, reviewed = _plain(current), annex.reviewed_diff
    if "conflict" in now:
        return  # its changes no longer apply at all: applying it says which, and why
    for key in ("added", "removed", "modified"):
        before = {change["ref"]: change for change in reviewed.get(key, [])}
        after = {change["ref"]: change for change in now.get(key, [])}
        for ref in sorted(set(before) | set(after)):
            if before.get(ref) != after.get(ref):
                raise ChangedSinceReview(annex.label, f"clause {ref}")
    for key, what in (
        ("service_levels", "a service level it changes"),
        ("terms", "a service term it changes"),
        ("governance", "a rule of consent it changes"),
    ):
        if now.get(key) != reviewed.get(key):
            raise ChangedSinceReview(annex.label, what)
