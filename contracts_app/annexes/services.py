"""Annexes: drafting, the approval workflow's events, and becoming effective.

This module is the one place that fires annex events. Each event is one transaction:
under the agreement's lock the facts are gathered (who acts, for which side, what the
current review round holds), the machine in ``workflows.annex`` decides, and the rows
the event writes (approval, signature, scope versions, governance, audit event) commit
together with the new state, or none of them does. An effective annex is applied to
the scope here and the re-check is triggered through ``scope.signals.scope_changed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contracts_app import formatting
from contracts_app.accounts.models import User
from contracts_app.accounts.services import confirm_password
from contracts_app.agreements.access import MANAGERS, object_for, require_role
from contracts_app.agreements.governance import apply_governance
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.diffs import (
    annex_diff,
    check_changes_apply,
    check_ladder_members,
    check_unchanged_since_review,
    governance_change,
    outside_term,
    reviewed_diff_of,
    stored_changes,
)
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import AgreementStatus
from contracts_app.errors import Conflict, Forbidden, ScopeConflict, ValidationFailed
from contracts_app.notifications.triggers import annex_changed
from contracts_app.scope.services import apply_annex
from contracts_app.scope.signals import scope_changed
from contracts_app.scope.vocabulary import (
    Vocabulary,
    change_lookalikes,
    codes_in_changes,
    vocabulary_of,
)
from contracts_app.sorting import Sorting, lower
from workflows.annex import (
    EVENT_SPECS,
    SYSTEM,
    USER_EVENTS,
    Actor,
    AnnexEvent,
    AnnexFacts,
    annex_workflow,
    refusal,
)
from workflows.annex_states import EDITABLE_STATES, AnnexState
from workflows.binding import EventSpec

# An annex changes the scope of a running agreement only.
STATUSES_TAKING_ANNEXES = frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED})

log = logging.getLogger(__name__)


@dataclasses.dataclass
class AnnexInput:
    title: str
    effective_date: dt.date
    rationale: str = ""
    changes: Sequence[Any] = ()


def annex_for(user: User, annex_id: int) -> tuple[Annex, Membership | None]:
    """The annex if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Annex, annex_id, "annex")


# --- drafting ------------------------------------------------------------------------------


def _validate(
    agreement: Agreement,
    data: AnnexInput,
    *,
    lookalikes: bool = False,
    kept: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Every problem at once: title, date and each change at its position; with
    ``lookalikes``, also each new category or system that looks like one the agreement
    uses (``changes.0.item.categories``: "Did you mean operations.backup? ..."); codes
    the ``kept`` changes already bring (confirmed when they were saved) are not asked again."""
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = ["A title is required."]
    problem = outside_term(agreement, data.effective_date)
    if problem:
        errors["effective_date"] = [problem]
    stored: list[dict[str, Any]] = []
    try:
        stored = stored_changes(list(data.changes), currency=agreement.currency)
        check_ladder_members(agreement, stored)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if lookalikes and stored:
        for path, messages in annex_lookalikes(agreement, stored, kept).items():
            errors.setdefault(path, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return stored


def annex_lookalikes(
    agreement: Agreement, changes: list[dict[str, Any]], kept: Sequence[dict[str, Any]] = ()
) -> dict[str, list[str]]:
    """Each new category or system of ``changes`` that looks like one the agreement uses,
    at its change's path, for the person to confirm. Codes the annex's ``kept`` changes
    already bring were confirmed when they were saved and are not asked about again:
    the page and the API ask the same."""
    known = vocabulary_of(agreement)
    categories, systems = codes_in_changes(kept)
    known = Vocabulary(tuple({*known.categories, *categories}), tuple({*known.systems, *systems}))
    return change_lookalikes(changes, known)


def create_annex(
    agreement: Agreement,
    membership: Membership | None,
    data: AnnexInput,
    actor: User,
    *,
    confirm_new_codes: bool = True,
) -> Annex:
    """Draft an annex (a manager), numbered next on its agreement.

    A clause change bringing a new category or system that looks like one the agreement
    uses is refused, naming it, unless ``confirm_new_codes`` (the API and the form ask
    for it; annexes the application drafts itself reuse known codes)."""
    require_role(actor, agreement, membership, MANAGERS)
    changes = _validate(agreement, data, lookalikes=not confirm_new_codes)
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


def is_editor(annex: Annex, user: User, membership: Membership | None) -> bool:
    """The annex's author or a manager (or an administrator)."""
    return (
        user.is_admin
        or annex.author_id == user.id
        or (membership is not None and membership.role.value == "manager")
    )


def may_edit(annex: Annex, user: User, membership: Membership | None) -> bool:
    """A draft (or an annex sent back for changes) is edited by its author or a manager."""
    return annex.state in EDITABLE_STATES and is_editor(annex, user, membership)


def update_annex(
    annex: Annex,
    membership: Membership | None,
    changes: dict[str, Any],
    expected_version: int,
    actor: User,
    *,
    confirm_new_codes: bool = True,
) -> Annex:
    """Edit a draft (or an annex sent back for changes): its author or a manager.

    New changes (``changes`` given) bringing a category or system that looks like one the
    agreement uses are refused, naming it, unless ``confirm_new_codes``.

    ``expected_version`` is the version the editor's form was opened at; if the annex
    changed since, the edit is refused (409) rather than silently overwriting. Saving
    what is already stored changes nothing (no new version, no audit event).
    """
    if not is_editor(annex, actor, membership):
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
        stored = _validate(
            agreement,
            merged,
            lookalikes="changes" in changes and not confirm_new_codes,
            kept=annex.changes,
        )
        before = {
            "title": annex.title,
            "rationale": annex.rationale,
            "effective_date": str(annex.effective_date),
            "changes": annex.changes,
        }
        after = {
            "title": merged.title.strip(),
            "rationale": merged.rationale,
            "effective_date": str(merged.effective_date),
            "changes": stored,
        }
        if before == after:
            return annex
        annex.title = after["title"]
        annex.rationale = merged.rationale
        annex.effective_date = merged.effective_date
        annex.changes = stored
        db.session.flush()
        diff = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
        if "changes" in diff:
            # the rows that differ, in words ("modify 1.2: cap hours 30 month"), not a count
            old_rows = [_row_text(change, agreement.currency) for change in before["changes"]]
            new_rows = [_row_text(change, agreement.currency) for change in stored]
            diff["changes"] = {
                "before": "; ".join(row for row in old_rows if row not in new_rows) or "none",
                "after": "; ".join(row for row in new_rows if row not in old_rows) or "none",
            }
        record("annex.updated", annex, actor, agreement_id=agreement.id, changes=diff)
    return annex


def _row_text(change: dict[str, Any], currency: str) -> str:
    """One change of an annex in a line: its operation, its clause and what it sets."""

    def value_text(value: Any) -> str:
        if isinstance(value, dict) and {"unit", "limit", "period"} <= set(value):
            return formatting.cap_text(value, currency)
        if isinstance(value, dict):
            return ", ".join(f"{k.replace('_', ' ')} {value_text(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(value_text(v) for v in value)
        return str(value)

    def terms(values: dict[str, Any]) -> str:
        return ", ".join(
            f"{name.replace('_', ' ')} {value_text(value)}"
            for name, value in values.items()
            if value not in (None, "", [], {})
        )

    op, ref = change.get("op", "change"), change.get("ref") or change.get("item", {}).get("ref")
    if op == "add":
        return f"add {ref}: {terms(change.get('item', {}))}"
    if op == "modify" and "fields" in change:
        return f"modify {ref}: {terms(change['fields'])}"
    if op == "remove":
        return f"remove {ref}"
    return f"{op}: {terms({k: v for k, v in change.items() if k != 'op'})}"


ANNEX_SORTING = Sorting(
    columns={
        "number": Annex.number,
        "title": lower(Annex.title),
        "effective_date": Annex.effective_date,
        "state": Annex.state,
    },
    default="number",
    tiebreaker=Annex.id,
)


def list_annexes(
    agreement: Agreement, state: str | None = None, sort: str | None = None
) -> list[Annex]:
    """The agreement's annex register, optionally in one state, in the order of ``sort``
    (by number by default). Refuses a field ``ANNEX_SORTING`` does not offer."""
    order = ANNEX_SORTING.order_by(sort)
    query = sa.select(Annex).where(Annex.agreement_id == agreement.id)
    if state:
        try:
            query = query.where(Annex.state == AnnexState(state))
        except ValueError:
            raise ValidationFailed(
                {"state": [f"Must be one of: {', '.join(s.value for s in AnnexState)}."]}
            ) from None
    # the register names each annex's author: loaded with the list, not one query per row
    query = query.options(selectinload(Annex.author))
    return list(db.session.scalars(query.order_by(*order)).all())


def is_due(annex: Annex, today: dt.date | None = None) -> bool:
    """Signed by every side, its date has come, and the daily job has not yet applied it."""
    return annex.state == AnnexState.SCHEDULED and annex.effective_date <= (
        today or dt.date.today()
    )


# --- the workflow --------------------------------------------------------------------------


def actor_of(annex: Annex, user: User, membership: Membership | None) -> Actor:
    return Actor(
        side=membership.side.value if membership is not None else None,
        role=membership.role.value if membership is not None else None,
        is_admin=user.is_admin,
        is_author=annex.author_id == user.id,
    )


def _round_sides(row_type: type[AnnexApproval] | type[AnnexSignature], annex: Annex) -> frozenset:
    """The sides that approved (or signed) the annex in its current review round, read fresh."""
    sides = db.session.scalars(
        sa.select(row_type.side).where(
            row_type.annex_id == annex.id, row_type.review_round == annex.review_round
        )
    ).all()
    return frozenset(side.value for side in sides)


def facts_for(
    annex: Annex, agreement: Agreement, actor: Actor, today: dt.date | None = None
) -> AnnexFacts:
    return AnnexFacts(
        actor=actor,
        required_sides=frozenset(agreement.approval_sides),
        approved_sides=_round_sides(AnnexApproval, annex),
        signed_sides=_round_sides(AnnexSignature, annex),
        agreement_running=agreement.status in STATUSES_TAKING_ANNEXES,
        effective_date=annex.effective_date,
        today=today or dt.date.today(),
    )


def events_for(
    annex: Annex, user: User, membership: Membership | None, today: dt.date | None = None
) -> list[str]:
    """The events this user may fire on the annex now: exactly what the machine allows."""
    facts = facts_for(annex, annex.agreement, actor_of(annex, user, membership), today)
    return annex_workflow().allowed_events(annex.state, facts)


def event_specs_for(
    annex: Annex, user: User, membership: Membership | None, today: dt.date | None = None
) -> list[EventSpec]:
    """What a page offers: the allowed events with what each form needs."""
    return [EVENT_SPECS[AnnexEvent(name)] for name in events_for(annex, user, membership, today)]


def needs_password(event_name: str) -> bool:
    try:
        return EVENT_SPECS[AnnexEvent(event_name)].password
    except (ValueError, KeyError):
        return False


# The events a person gives for their side (approve, sign): bound to the content read,
# they name the review round read (pages and the API alike).
SIDE_EVENTS = frozenset(event.value for event, spec in EVENT_SPECS.items() if spec.for_side)


def fire_event(
    annex_id: int,
    event_name: str,
    actor: User,
    *,
    comment: str = "",
    password: str | None = None,
    today: dt.date | None = None,
    review_round: int | None = None,
) -> Annex:
    """Fire a person's event on an annex.

    Refused when the machine would not fire it for this person now: 409 with the
    events they may fire when the state allows none of theirs or the event, 403 when
    only someone else could fire it; 422 for a missing comment, a wrong password or
    changes that do not apply. An approval or a signature given with ``review_round``
    (the round read) is for that round's content only: 409 once the annex was submitted
    again. Nothing is stored on a refusal.
    """
    try:
        event = AnnexEvent(event_name)
    except ValueError:
        event = None
    if event is None or event not in USER_EVENTS:
        raise ValidationFailed({"event": [f"Unknown event {event_name!r}."]})
    spec = EVENT_SPECS[event]
    comment = (comment or "").strip()

    with unit_of_work():
        annex, membership = annex_for(actor, annex_id)
        agreement = lock_agreement(annex.agreement_id)
        db.session.refresh(annex)  # the state as of the lock, not as first read
        who = actor_of(annex, actor, membership)
        facts = facts_for(annex, agreement, who, today)
        workflow = annex_workflow()
        allowed = workflow.allowed_events(annex.state, facts)
        if event.value not in allowed:
            about_the_person, reason = refusal(annex.state, event, facts)
            message = f"{annex.label} is {annex.state.value.replace('_', ' ')}: {reason}."
            if about_the_person:
                raise Forbidden(message)
            raise Conflict(message, allowed=allowed)
        if spec.for_side and review_round is not None and review_round != annex.review_round:
            raise Conflict(
                f"{annex.label} was changed and submitted again since you read it (review "
                f"round {annex.review_round}, you read round {review_round}); read it again "
                "before you give your side's word. Nothing was done.",
                allowed=allowed,
            )
        if spec.comment_required and not comment:
            raise ValidationFailed({"comment": ["Say why: a comment is required."]})
        if spec.password:
            confirm_password(actor, password)
        if event == AnnexEvent.SUBMIT:
            check_changes_apply(annex, agreement)
        _fire_with_effects(annex, agreement, event, facts, actor, membership, comment)
    return annex


def _fire_with_effects(
    annex: Annex,
    agreement: Agreement,
    event: AnnexEvent,
    facts: AnnexFacts,
    actor: User | None,
    membership: Membership | None,
    comment: str,
) -> None:
    """Fire the machine; a scope conflict on becoming effective sends it back for changes."""

    def effects(source: str, dest: str) -> None:
        _record_rows(annex, event, actor, membership, comment)
        if dest == AnnexState.EFFECTIVE and source != dest:
            apply_effective(annex, agreement)
        record(
            f"annex.{event.value}",
            annex,
            actor,
            agreement_id=agreement.id,
            changes={"state": {"before": source, "after": dest}},
            comment=comment,
        )

    savepoint = db.session.begin_nested()
    try:
        annex_workflow().fire(annex, event, facts, on_change=effects)
        savepoint.commit()
    except ScopeConflict as conflict:
        reason = conflict.message
        savepoint.rollback()
        db.session.refresh(annex)

        def conflict_effects(source: str, dest: str) -> None:
            _record_rows(annex, event, actor, membership, comment)
            record(
                "annex.conflict",
                annex,
                actor,
                agreement_id=agreement.id,
                changes={"state": {"before": source, "after": dest}},
                comment=f"Not applied: {reason}",
            )

        annex_workflow().fire(
            annex,
            AnnexEvent.CONFLICT,
            dataclasses.replace(facts, actor=SYSTEM),
            on_change=conflict_effects,
        )
    annex_changed(annex, agreement, event.value, actor)


def _record_rows(
    annex: Annex,
    event: AnnexEvent,
    actor: User | None,
    membership: Membership | None,
    comment: str,
) -> None:
    if event == AnnexEvent.SUBMIT:
        annex.review_round += 1
        annex.reviewed_diff = reviewed_diff_of(annex)
    elif EVENT_SPECS.get(event, EVENT_SPECS[AnnexEvent.SUBMIT]).for_side:
        assert membership is not None and actor is not None  # the machine's conditions
        common = {
            "review_round": annex.review_round,
            "side": membership.side,
            "user_id": actor.id,
            "role": membership.role,
        }
        if event == AnnexEvent.APPROVE:
            annex.approvals.append(AnnexApproval(comment=comment, **common))
        else:
            annex.signatures.append(AnnexSignature(**common))
    db.session.flush()


def outcome_message(annex: Annex, event_name: str) -> str:
    """What a person is told after their event: what was recorded and what is awaited."""
    agreement = annex.agreement
    required = set(agreement.approval_sides)
    if event_name in (AnnexEvent.APPROVE, AnnexEvent.SIGN) and annex.state in (
        AnnexState.IN_REVIEW,
        AnnexState.APPROVED,
    ):
        rows = annex.approvals if event_name == AnnexEvent.APPROVE else annex.signatures
        done = {row.side.value for row in rows if row.review_round == annex.review_round}
        waiting = sorted(required - done)
        noun = "approval" if event_name == AnnexEvent.APPROVE else "signature"
        if waiting:
            return (
                f"Your {noun} of {annex.label} is recorded; "
                f"waiting for the {' and '.join(waiting)} side."
            )
    if annex.state == AnnexState.SCHEDULED:
        return f"{annex.label} is signed by every side; it takes effect on {annex.effective_date}."
    return f"{annex.label} is now {annex.state.value.replace('_', ' ')}."


def apply_effective(annex: Annex, agreement: Agreement, now: dt.datetime | None = None) -> None:
    """Apply an annex the machine just made effective: scope, governance, re-check.

    Gives the annex its activation order, applies its scope changes to the timeline
    (retroactively if its date is past), sets the rules of governance it changes, and
    tells the tasks domain to check again from its date, all in the caller's transaction.
    """
    now = now or utcnow()
    current = annex_diff(annex)  # against the scope at its date, before it applies
    check_unchanged_since_review(annex, current)
    annex.applied_diff = current
    annex.activation_seq = (
        db.session.scalar(
            sa.select(sa.func.max(Annex.activation_seq)).where(Annex.agreement_id == agreement.id)
        )
        or 0
    ) + 1
    annex.effective_at = now
    db.session.flush()
    versions = apply_annex(agreement, annex, now)
    governance = governance_change(annex.changes)
    if governance is not None:
        diff = apply_governance(agreement, governance)
        if diff:
            record(
                "agreement.governance_changed",
                agreement,
                None,
                agreement_id=agreement.id,
                changes=diff,
                comment=f"By {annex.label}, signed by every side.",
            )
    db.session.flush()
    scope_changed.send(agreement, start=annex.effective_date, annex_id=annex.id)
    record(
        "annex.applied",
        annex,
        None,
        agreement_id=agreement.id,
        changes={"scope_versions": {"before": None, "after": [v.number for v in versions]}},
    )


def activate_due(
    today: dt.date | None = None,
    agreement_id: int | None = None,
    failures: list[tuple[int, str]] | None = None,
) -> list[Annex]:
    """Make scheduled annexes whose effective date has come effective (one transaction each).

    Run by the daily job. An annex whose changes no longer apply goes back for changes
    with the conflict named. An annex that fails is rolled back and logged, with its
    agreement's later annexes (they build on it), and appended to ``failures`` as
    ``(annex id, error)``; the other agreements' annexes still become effective.
    """
    today = today or dt.date.today()
    query = sa.select(Annex.id, Annex.agreement_id).where(
        Annex.state == AnnexState.SCHEDULED, Annex.effective_date <= today
    )
    if agreement_id is not None:
        query = query.where(Annex.agreement_id == agreement_id)
    activated = []
    failed_agreements: set[int] = set()
    for annex_id, annex_agreement_id in db.session.execute(
        query.order_by(Annex.effective_date, Annex.id)
    ).all():
        if annex_agreement_id in failed_agreements:
            continue
        try:
            annex = _activate_one(annex_id, today)
        except Exception as exc:  # one agreement's failure must not stop the others
            failed_agreements.add(annex_agreement_id)
            log.exception("Annex %s could not become effective", annex_id)
            if failures is not None:
                failures.append((annex_id, f"{type(exc).__name__}: {exc}"))
            continue
        if annex is not None:
            activated.append(annex)
    return activated


def _activate_one(annex_id: int, today: dt.date) -> Annex | None:
    """Activate one scheduled annex in its own transaction (None if it no longer applies)."""
    with unit_of_work():
        annex = db.session.get(Annex, annex_id)
        assert annex is not None
        agreement = lock_agreement(annex.agreement_id)
        db.session.refresh(annex)
        facts = facts_for(annex, agreement, SYSTEM, today)
        if not annex_workflow().destination(annex.state, AnnexEvent.ACTIVATE, facts):
            return None  # activated meanwhile, or the agreement is no longer running
        _fire_with_effects(annex, agreement, AnnexEvent.ACTIVATE, facts, None, None, "")
    return annex


__all__ = [
    "STATUSES_TAKING_ANNEXES",
    "AnnexInput",
    "activate_due",
    "annex_for",
    "create_annex",
    "event_specs_for",
    "events_for",
    "fire_event",
    "is_due",
    "list_annexes",
    "may_edit",
    "update_annex",
]
