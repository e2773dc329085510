"""Annex events: the approval workflow applied to stored annexes, one transaction each.

``fire_event`` is the one way an annex changes state. Under a lock on the agreement
it checks the state (409 with the allowed events), the role and side (403), the
comment and password (422), then fires the machine; the rows the event writes
(approval, signature, scope versions, audit event) commit together with the new
state, or none of them does.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.accounts.services import confirm_password
from contracts_app.agreements.access import object_for
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import AgreementStatus, Role
from contracts_app.errors import Conflict, Forbidden, ScopeConflict, ValidationFailed
from contracts_app.scope.clauses import apply_changes, changes_from_json
from contracts_app.scope.services import (
    apply_annex,
    clause_map,
    lock_agreement,
    term_text,
    version_on,
)
from workflows.annex import (
    COMMENT_REQUIRED,
    FOR_A_SIDE,
    PASSWORD_REQUIRED,
    PERMISSIONS,
    AnnexEvent,
    AnnexFacts,
    annex_workflow,
)
from workflows.annex_states import AnnexState

# An annex changes the scope of a running agreement only.
STATUSES_TAKING_ANNEXES = frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED})


def annex_for(user: User, annex_id: int) -> tuple[Annex, Membership | None]:
    """The annex if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Annex, annex_id, "annex")


def events_for(annex: Annex, user: User, membership: Membership | None) -> list[str]:
    """The events the annex's state allows and this user's role may fire."""
    return [
        event
        for event in annex_workflow().allowed_events(annex.state)
        if _role_allows(AnnexEvent(event), annex, user, membership)
    ]


def _role_allows(
    event: AnnexEvent, annex: Annex, user: User, membership: Membership | None
) -> bool:
    allowed = PERMISSIONS[event]
    if "author" in allowed and annex.author_id == user.id:
        return True
    if event in FOR_A_SIDE:  # approvals and signatures are given for a side
        return membership is not None and membership.role.value in allowed
    if user.is_admin:
        return True
    return membership is not None and membership.role.value in allowed


def _sides(row_type: type[AnnexApproval] | type[AnnexSignature], annex: Annex) -> set[str]:
    """The sides that approved (or signed) the annex in its current review round, read fresh."""
    sides = db.session.scalars(
        sa.select(row_type.side).where(
            row_type.annex_id == annex.id, row_type.review_round == annex.review_round
        )
    ).all()
    return {side.value for side in sides}


def check_changes_apply(annex: Annex, agreement: Agreement) -> None:
    """Refuse an annex without changes, outside the term, or not applying at its date."""
    if not annex.changes:
        raise ValidationFailed({"changes": ["An annex needs at least one change."]})
    if not agreement.covers(annex.effective_date):
        raise ValidationFailed(
            {
                "effective_date": [
                    f"{annex.effective_date} is outside the term ({term_text(agreement)})."
                ]
            }
        )
    version = version_on(agreement, annex.effective_date)
    current = clause_map(version) if version is not None else {}
    apply_changes(
        current, changes_from_json(annex.changes), annex.label, annex.effective_date.isoformat()
    )


def fire_event(
    annex_id: int,
    event_name: str,
    actor: User,
    *,
    comment: str = "",
    password: str | None = None,
    today: dt.date | None = None,
) -> Annex:
    """Fire a person's event on an annex; see the module docstring for what is refused."""
    try:
        event = AnnexEvent(event_name)
    except ValueError:
        event = None
    if event is None or event not in PERMISSIONS:
        raise ValidationFailed({"event": [f"Unknown event {event_name!r}."]})
    today = today or dt.date.today()
    comment = (comment or "").strip()

    with unit_of_work():
        annex, membership = annex_for(actor, annex_id)
        agreement = lock_agreement(annex.agreement_id)
        db.session.refresh(annex)  # the state as of the lock, not as first read
        allowed_by_state = annex_workflow().allowed_events(annex.state)
        if event.value not in allowed_by_state:
            raise Conflict(
                f"{annex.label} is {annex.state.value}; it cannot be {event.value}.",
                allowed=events_for(annex, actor, membership),
            )
        if not _role_allows(event, annex, actor, membership):
            raise Forbidden(f"Your role on {agreement.code} does not allow {event.value}.")
        if event in COMMENT_REQUIRED and not comment:
            raise ValidationFailed({"comment": ["Say why: a comment is required."]})
        if event in PASSWORD_REQUIRED:
            confirm_password(actor, password)

        side = membership.side.value if membership is not None else None
        approved = _sides(AnnexApproval, annex)
        signed = _sides(AnnexSignature, annex)
        if event in FOR_A_SIDE:
            if side not in agreement.approval_sides:
                raise Forbidden(f"The {side} side does not approve annexes on {agreement.code}.")
            already = approved if event == AnnexEvent.APPROVE else signed
            if side in already:
                done = "approved" if event == AnnexEvent.APPROVE else "signed"
                raise Conflict(
                    f"The {side} side has already {done} {annex.label}.",
                    allowed=events_for(annex, actor, membership),
                )
        if event == AnnexEvent.SUBMIT:
            check_changes_apply(annex, agreement)
            if agreement.status not in STATUSES_TAKING_ANNEXES:
                raise Conflict(
                    f"{agreement.code} is {agreement.status.value}; "
                    "annexes apply to a running agreement."
                )
        if event == AnnexEvent.WITHDRAW and signed:
            raise Conflict(
                f"{annex.label} is already signed by the {', '.join(sorted(signed))} side."
            )

        facts = AnnexFacts(
            required_sides=frozenset(agreement.approval_sides),
            approved_sides=frozenset(approved | ({side} if event == AnnexEvent.APPROVE else set())),
            signed_sides=frozenset(signed | ({side} if event == AnnexEvent.SIGN else set())),
            effective_date=annex.effective_date,
            today=today,
        )
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
            apply_to_scope(annex, agreement)
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

        annex_workflow().fire(annex, AnnexEvent.CONFLICT, facts, on_change=conflict_effects)


def _record_rows(
    annex: Annex,
    event: AnnexEvent,
    actor: User | None,
    membership: Membership | None,
    comment: str,
) -> None:
    if event == AnnexEvent.SUBMIT:
        annex.review_round += 1
    elif event in FOR_A_SIDE and membership is not None and actor is not None:
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


def apply_to_scope(annex: Annex, agreement: Agreement, now: dt.datetime | None = None) -> list:
    """Give the annex its activation order and apply it to the scope timeline."""
    from contracts_app.annexes.services import annex_diff

    now = now or utcnow()
    annex.applied_diff = annex_diff(annex)  # against the scope at its date, before it applies
    annex.activation_seq = (
        db.session.scalar(
            sa.select(sa.func.max(Annex.activation_seq)).where(Annex.agreement_id == agreement.id)
        )
        or 0
    ) + 1
    annex.effective_at = now
    db.session.flush()
    versions = apply_annex(agreement, annex, now)
    # The scope changed from the annex's date on: check those tasks again, in the same
    # transaction, so the new scope and the verdicts it implies commit together.
    from contracts_app.tasks.rechecks import recheck_from

    recheck_from(agreement, annex.effective_date, annex.id)
    return versions


def activate_due(today: dt.date | None = None, agreement_id: int | None = None) -> list[Annex]:
    """Make scheduled annexes whose effective date has come effective (one transaction each)."""
    today = today or dt.date.today()
    query = sa.select(Annex.id).where(
        Annex.state == AnnexState.SCHEDULED, Annex.effective_date <= today
    )
    if agreement_id is not None:
        query = query.where(Annex.agreement_id == agreement_id)
    activated = []
    for annex_id in db.session.scalars(query.order_by(Annex.effective_date, Annex.id)).all():
        with unit_of_work():
            annex = db.session.get(Annex, annex_id)
            assert annex is not None
            agreement = lock_agreement(annex.agreement_id)
            db.session.refresh(annex)
            if annex.state != AnnexState.SCHEDULED:
                continue  # someone else activated it meanwhile
            facts = AnnexFacts(
                required_sides=frozenset(agreement.approval_sides),
                effective_date=annex.effective_date,
                today=today,
            )
            _fire_with_effects(annex, agreement, AnnexEvent.ACTIVATE, facts, None, None, "")
            activated.append(annex)
    return activated


def activate_due_on_read(agreement: Agreement, today: dt.date | None = None) -> None:
    """On a read of the agreement: activate what is due (a cheap check when nothing is)."""
    today = today or dt.date.today()
    due = db.session.scalar(
        sa.select(
            sa.exists().where(
                Annex.agreement_id == agreement.id,
                Annex.state == AnnexState.SCHEDULED,
                Annex.effective_date <= today,
            )
        )
    )
    if due:
        activate_due(today, agreement.id)


def author_or_manager(annex: Annex, user: User, membership: Membership | None) -> bool:
    return (
        user.is_admin
        or annex.author_id == user.id
        or (membership is not None and membership.role == Role.MANAGER)
    )
