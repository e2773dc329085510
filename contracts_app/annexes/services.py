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
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import AgreementStatus
from contracts_app.errors import Conflict, ValidationFailed
from contracts_app.scope.clauses import parse_changes
from contracts_app.scope.services import apply_annex, lock_agreement, term_text
from workflows.annex_states import FINAL_STATES, AnnexState

# An annex changes the scope of a running agreement only.
STATUSES_TAKING_ANNEXES = frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED})


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
    now = now or utcnow()
    with unit_of_work():
        agreement = lock_agreement(annex.agreement_id)
        db.session.refresh(annex)
        if annex.state in FINAL_STATES:
            raise Conflict(f"{annex.label} is already {annex.state.value}.")
        if agreement.status not in STATUSES_TAKING_ANNEXES:
            raise Conflict(
                f"Agreement {agreement.code} is {agreement.status.value}; "
                "annexes apply only to an active or suspended agreement."
            )
        before = annex.state
        annex.activation_seq = (
            db.session.scalar(
                sa.select(sa.func.max(Annex.activation_seq)).where(
                    Annex.agreement_id == agreement.id
                )
            )
            or 0
        ) + 1
        annex.state = AnnexState.EFFECTIVE
        annex.effective_at = now
        db.session.flush()
        versions = apply_annex(agreement, annex, now)
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
