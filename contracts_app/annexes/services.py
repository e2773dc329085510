"""Annexes: drafting, and making one effective on the scope timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import MANAGERS, require_role
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.models import Annex
from contracts_app.annexes.workflow import (
    STATUSES_TAKING_ANNEXES,
    apply_to_scope,
    author_or_manager,
)
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.errors import Conflict, Forbidden, ScopeConflict, ValidationFailed
from contracts_app.scope.clauses import apply_changes, changes_from_json, diff_scopes, parse_changes
from contracts_app.scope.services import clause_map, lock_agreement, term_text, version_on
from workflows.annex_states import EDITABLE_STATES, FINAL_STATES, AnnexState


@dataclasses.dataclass
class AnnexInput:
    title: str
    effective_date: dt.date
    rationale: str = ""
    changes: Sequence[Any] = ()


def _validate(agreement: Agreement, data: AnnexInput) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = ["A title is required."]
    if not agreement.covers(data.effective_date):
        errors["effective_date"] = [
            f"{data.effective_date} is outside the agreement's term ({term_text(agreement)})."
        ]
    stored: list[dict[str, Any]] = []
    try:
        stored = [change.to_json() for change in parse_changes(list(data.changes))]
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return stored


def create_annex(
    agreement: Agreement, membership: Membership | None, data: AnnexInput, actor: User
) -> Annex:
    """Draft an annex (a manager), numbered next on its agreement."""
    require_role(actor, agreement, membership, MANAGERS)
    changes = _validate(agreement, data)
    with unit_of_work():
        lock_agreement(agreement.id)
        number = (
            db.session.scalar(
                sa.select(sa.func.max(Annex.number)).where(Annex.agreement_id == agreement.id)
            )
            or 0
        ) + 1
        annex = Annex(
            agreement_id=agreement.id,
            number=number,
            title=data.title.strip(),
            rationale=data.rationale,
            effective_date=data.effective_date,
            changes=changes,
            author_id=actor.id,
        )
        db.session.add(annex)
        db.session.flush()
        record(
            "annex.created",
            annex,
            actor,
            agreement_id=agreement.id,
            changes={"state": {"before": None, "after": AnnexState.DRAFT.value}},
        )
    return annex


def make_effective(annex: Annex, actor: User | None, now: dt.datetime | None = None) -> Annex:
    """Apply the annex's changes to the scope timeline and mark it effective.

    Retroactive annexes re-derive the later versions (the replaced ones are kept as
    superseded). Refused, with nothing applied, when the agreement is not running,
    the annex is already final, or a change cannot apply (``ScopeConflict``).
    """
    with unit_of_work():
        agreement = lock_agreement(annex.agreement_id)
        # Taken under the lock: a version superseded here was recorded before this moment.
        now = now or utcnow()
        db.session.refresh(annex)
        if annex.state in FINAL_STATES:
            raise Conflict(f"{annex.label} is already {annex.state.value}.")
        if agreement.status not in STATUSES_TAKING_ANNEXES:
            raise Conflict(
                f"Agreement {agreement.code} is {agreement.status.value}; "
                "annexes apply only to an active or suspended agreement."
            )
        before = annex.state
        annex.state = AnnexState.EFFECTIVE
        versions = apply_to_scope(annex, agreement, now)
        record(
            "annex.effective",
            annex,
            actor,
            agreement_id=agreement.id,
            changes={
                "state": {"before": before.value, "after": AnnexState.EFFECTIVE.value},
                "scope_versions": {"before": None, "after": [v.number for v in versions]},
            },
        )
    return annex


def list_annexes(agreement: Agreement, state: str | None = None) -> list[Annex]:
    query = sa.select(Annex).where(Annex.agreement_id == agreement.id)
    if state:
        try:
            query = query.where(Annex.state == AnnexState(state))
        except ValueError:
            raise ValidationFailed(
                {"state": [f"Must be one of: {', '.join(s.value for s in AnnexState)}."]}
            ) from None
    return list(db.session.scalars(query.order_by(Annex.number)).all())


def update_annex(
    annex: Annex,
    membership: Membership | None,
    changes: dict[str, Any],
    expected_version: int,
    actor: User,
) -> Annex:
    """Edit a draft (or an annex sent back for changes): its author or a manager.

    ``expected_version`` is the version the editor's form was opened at; if the annex
    changed since, the edit is refused (409) rather than silently overwriting.
    """
    if not author_or_manager(annex, actor, membership):
        raise Forbidden("Only the annex's author or a manager edits it.")
    unknown = set(changes) - {"title", "rationale", "effective_date", "changes"}
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    with unit_of_work():
        agreement = lock_agreement(annex.agreement_id)
        db.session.refresh(annex)
        if annex.lock_version != expected_version:
            raise Conflict(
                f"{annex.label} was changed by someone else since you opened it "
                f"(version {expected_version}, now {annex.lock_version}). "
                "Reload it to see the changes; yours were not saved."
            )
        if annex.state not in EDITABLE_STATES:
            raise Conflict(f"{annex.label} is {annex.state.value}; only drafts are edited.")
        merged = AnnexInput(
            title=changes.get("title", annex.title),
            effective_date=changes.get("effective_date", annex.effective_date),
            rationale=changes.get("rationale", annex.rationale),
            changes=changes.get("changes", annex.changes),
        )
        stored = _validate(agreement, merged)
        before = {
            "title": annex.title,
            "effective_date": str(annex.effective_date),
            "changes": len(annex.changes),
        }
        annex.title = merged.title.strip()
        annex.rationale = merged.rationale
        annex.effective_date = merged.effective_date
        annex.changes = stored
        db.session.flush()
        after = {
            "title": annex.title,
            "effective_date": str(annex.effective_date),
            "changes": len(annex.changes),
        }
        record(
            "annex.updated",
            annex,
            actor,
            agreement_id=agreement.id,
            changes={
                k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]
            },
        )
    return annex


def annex_diff(annex: Annex) -> dict[str, Any]:
    """The diff the annex makes against the scope valid at its effective date.

    For an effective annex, against the version before it took effect.
    """
    agreement = annex.agreement
    base = version_on(agreement, annex.effective_date)
    if annex.state == AnnexState.EFFECTIVE and annex.effective_at is not None:
        base = version_on(
            agreement,
            annex.effective_date,
            recorded_at=annex.effective_at - dt.timedelta(microseconds=1),
        )
    before = clause_map(base) if base is not None else {}
    try:
        after = apply_changes(
            before, changes_from_json(annex.changes), annex.label, str(annex.effective_date)
        )
    except ScopeConflict as conflict:
        return {"added": [], "removed": [], "modified": [], "conflict": conflict.message}
    return diff_scopes(before, after)


def preview_diff(
    agreement: Agreement, effective_date: dt.date, raw_changes: Sequence[Any]
) -> dict[str, Any]:
    """The diff a draft would make, for the form's preview (nothing stored)."""
    changes = parse_changes(list(raw_changes))
    version = version_on(agreement, effective_date) if agreement.covers(effective_date) else None
    before = clause_map(version) if version is not None else {}
    after = apply_changes(before, changes, "This annex", str(effective_date))
    return diff_scopes(before, after)
