"""Who is told what when something happens: the one place services call to notify.

Each function runs inside the caller's transaction and writes outbox rows only; nothing
is sent from here. A service calls one function with the object it just changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.db import db
from contracts_app.enums import Role, Side
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import notify


def _members(
    agreement_id: int, roles: Iterable[Role], sides: Iterable[str] | None = None
) -> sa.Select:
    """A query of the user ids of these members (``notify`` joins their preferences)."""
    query = sa.select(Membership.user_id).where(
        Membership.agreement_id == agreement_id, Membership.role.in_(list(roles))
    )
    if sides is not None:
        query = query.where(Membership.side.in_([Side(side) for side in sides]))
    return query


def managers_of(agreement_id: int) -> sa.Select:
    """Both sides' managers: they are told of contract dates and caps."""
    return _members(agreement_id, [Role.MANAGER])


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


# --- annexes ------------------------------------------------------------------------------

ANNEX_OUTCOMES = {
    "approved": (Kind.ANNEX_APPROVED, "was approved"),
    "rejected": (Kind.ANNEX_REJECTED, "was rejected"),
    "changes_requested": (Kind.ANNEX_SENT_BACK, "was sent back for changes"),
    "effective": (Kind.ANNEX_EFFECTIVE, "became effective"),
}


# An approval or signature that leaves the annex where it was (the other side has yet to
# give theirs) tells nobody: that side was told when the annex reached the state.
UNCHANGED_AFTER = {"approve": "in_review", "sign": "approved"}


def annex_changed(annex: Any, agreement: Agreement, event: str, actor: Any) -> None:
    """After an annex event: approvers whose side must act now, and the annex's author."""
    state = annex.state.value
    if UNCHANGED_AFTER.get(event) == state or event == "withdraw":
        return
    # Entering review starts a new round and entering "approved" opens the signatures: no
    # side has acted in the new state yet, so every required side is asked.
    # The one who gave the last approval is asked to sign too: a request for action goes to
    # everyone who must act; news of an outcome skips whoever caused it.
    common = {"agreement_id": agreement.id, "object_type": "annex", "object_id": annex.id}
    link = f"/annexes/{annex.id}"
    name = f"{annex.full_label} \u201c{annex.title}\u201d"
    if state in ("in_review", "approved"):
        kind = Kind.ANNEX_AWAITS_APPROVAL if state == "in_review" else Kind.ANNEX_AWAITS_SIGNATURE
        what = "approval" if state == "in_review" else "signature"
        notify(
            _members(agreement.id, [Role.APPROVER], agreement.approval_sides),
            kind,
            f"{name} awaits your side's {what}.",
            link,
            **common,
        )
    if state in ANNEX_OUTCOMES and annex.author_id is not None:
        kind, happened = ANNEX_OUTCOMES[state]
        notify(
            [annex.author_id],
            kind,
            f"{name} {happened}.",
            link,
            skip_user_id=_actor_id(actor),
            **common,
        )


# --- summaries ----------------------------------------------------------------------------


def summary_changed(document: Any, actor: Any) -> None:
    """A summary issued (approvers of the sides still to sign off are asked) or fully
    signed off (every member and the issuer are told: it is the agreement's record)."""
    from contracts_app.documents.models import DocumentState

    agreement_id = document.agreement_id
    code = db.session.scalar(sa.select(Agreement.code).where(Agreement.id == agreement_id))
    signed = {s.side.value for s in document.sign_offs}
    common = {
        "agreement_id": agreement_id,
        "object_type": "document",
        "object_id": document.id,
        "skip_user_id": _actor_id(actor),
    }
    link = f"/documents/{document.id}"
    if not signed and document.state == DocumentState.AWAITING_SIGN_OFF:
        notify(
            _members(agreement_id, [Role.APPROVER], document.required_sides),
            Kind.SUMMARY_AWAITS_SIGN_OFF,
            f"The {_named(document, code)} awaits your side's sign-off.",
            link,
            **common,
        )
    elif set(document.required_sides) <= signed:
        notify(
            sa.select(User.id.label("user_id")).where(
                sa.or_(
                    User.id.in_(_members(agreement_id, list(Role))),
                    User.id == document.issued_by_id,
                )
            ),
            Kind.SUMMARY_SIGNED_OFF,
            f"The {_named(document, code)} was signed off by every side.",
            link,
            **common,
        )


def _named(document: Any, code: str | None) -> str:
    """A summary by its date, a service report by its month: two of the same day differ."""
    if document.kind == "service_report":
        return f"service report of {code} for {document.period}"
    return f"summary of {code} as of {document.as_of}"


def summary_signing_failed(document: Any) -> None:
    """The signed PDF of a summary every side signed off could not be prepared: the
    approvers of those sides (any of them may prepare it again) and its issuer are told."""
    code = db.session.scalar(sa.select(Agreement.code).where(Agreement.id == document.agreement_id))
    notify(
        sa.select(User.id.label("user_id")).where(
            sa.or_(
                User.id.in_(
                    _members(document.agreement_id, [Role.APPROVER], document.required_sides)
                ),
                User.id == document.issued_by_id,
            )
        ),
        Kind.SUMMARY_SIGNING_FAILED,
        f"The signed PDF of the {_named(document, code)} could not be "
        f"prepared: {document.signing_error} An approver can prepare it again.",
        f"/documents/{document.id}",
        agreement_id=document.agreement_id,
        object_type="document",
        object_id=document.id,
    )


# --- tasks --------------------------------------------------------------------------------


def verdicts_changed(agreement: Agreement, changes: Sequence[Any]) -> None:
    """After a re-check: each task's recorder learns of its new verdict; an accepted task
    whose verdict would change needs attention."""
    for change in changes:
        task = change.task
        if task.created_by_id is None:
            continue
        kind = Kind.TASK_NEEDS_ATTENTION if change.flagged else Kind.TASK_VERDICT_CHANGED
        text = (
            f"{task.full_label}: a change of scope makes it "
            f"{change.new_verdict.value.replace('_', ' ')} (was "
            f"{change.old_verdict.value.replace('_', ' ')})"
            + ("; it was accepted, so it needs attention." if change.flagged else ".")
        )
        notify(
            [task.created_by_id],
            kind,
            text,
            f"/tasks/{task.id}",
            agreement_id=agreement.id,
            object_type="task",
            object_id=task.id,
        )


# --- contract dates -----------------------------------------------------------------------
