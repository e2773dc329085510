"""An agreement's status: events fired through ``workflows.agreement``, recorded as dated
facts (``StatusChange``), and the status in force on any day.

One event is one transaction with its audit event. A change that needs both sides is
recorded as pending until the other side's manager confirms (or declines) it; once
agreed it is in force from its effective date (scheduled until then, applied by the
daily job, which also expires agreements whose term has ended).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.members import missing_staff
from contracts_app.agreements.models import (
    Agreement,
    Membership,
    StatusChange,
    StatusChangeState,
)
from contracts_app.agreements.terms import (
    Renewal,
    end_of_current_term,
    notice_deadline,
    term_end,
)
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import AgreementStatus, Role
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import notify
from contracts_app.scope.signals import scope_changed
from workflows.agreement import (
    EVENT_SPECS,
    MUTUAL,
    SYSTEM,
    TERMINATE_SUSPENDED,
    USER_EVENTS,
    Actor,
    AgreementEvent,
    AgreementFacts,
    OpenChange,
    agreement_workflow,
    refusal,
)
from workflows.binding import EventSpec

OPEN_STATES = (StatusChangeState.PENDING, StatusChangeState.SCHEDULED)
IN_FORCE_STATES = (StatusChangeState.DONE, StatusChangeState.SCHEDULED)
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def open_change(agreement: Agreement) -> StatusChange | None:
    return db.session.scalar(
        sa.select(StatusChange).where(
            StatusChange.agreement_id == agreement.id, StatusChange.state.in_(OPEN_STATES)
        )
    )


def history(agreement: Agreement) -> list[StatusChange]:
    """Every change asked or made, newest first."""
    return list(
        db.session.scalars(
            sa.select(StatusChange)
            .where(StatusChange.agreement_id == agreement.id)
            .order_by(StatusChange.requested_at.desc(), StatusChange.id.desc())
        ).all()
    )


def status_on(agreement_id: int, day: dt.date) -> AgreementStatus:
    """The status in force on ``day``: the last agreed change effective on or before it."""
    status = db.session.scalar(
        sa.select(StatusChange.to_status)
        .where(
            StatusChange.agreement_id == agreement_id,
            StatusChange.state.in_(IN_FORCE_STATES),
            StatusChange.effective_date <= day,
        )
        .order_by(StatusChange.effective_date.desc(), StatusChange.id.desc())
        .limit(1)
    )
    return status or AgreementStatus.DRAFT


@functools.cache
def _status_history() -> sa.Select:
    """The statement of ``dated_status``, built once per process (every check runs it)."""
    return (
        sa.select(StatusChange.effective_date, StatusChange.to_status)
        .where(
            StatusChange.agreement_id == sa.bindparam("agreement_id"),
            StatusChange.state.in_(IN_FORCE_STATES),
        )
        .order_by(StatusChange.effective_date, StatusChange.id)
    )


def dated_status(agreement_id: int) -> Callable[[dt.date], str]:
    """The status on any day, from one read of the history (for checks of many tasks)."""
    rows = db.session.execute(_status_history(), {"agreement_id": agreement_id}).all()
    days = [row.effective_date for row in rows]
    statuses = [row.to_status.value for row in rows]

    def on(day: dt.date) -> str:
        index = bisect.bisect_right(days, day)
        return statuses[index - 1] if index else AgreementStatus.DRAFT.value

    return on


def _actor(user: User, membership: Membership | None) -> Actor:
    if membership is None:
        return Actor()  # administrators see everything but are no side
    return Actor(side=membership.side.value, role=membership.role.value)


def _term_ended(agreement: Agreement, today: dt.date) -> bool:
    end = agreement.term_end(today)
    return end is not None and end < today


def facts_for(
    agreement: Agreement,
    actor: Actor,
    today: dt.date,
    effective_date: dt.date | None = None,
    change: StatusChange | None = None,
) -> AgreementFacts:
    change = change if change is not None else open_change(agreement)
    open_ = (
        OpenChange(
            event=change.event,
            side=change.requested_side.value if change.requested_side else None,
            scheduled=change.state == StatusChangeState.SCHEDULED,
            effective_date=change.effective_date,
        )
        if change is not None
        else None
    )
    return AgreementFacts(
        actor=actor,
        open_change=open_,
        staffed=not missing_staff(agreement.id),
        effective_date=effective_date or (change.effective_date if change is not None else today),
        today=today,
        term_ended=_term_ended(agreement, today),
        renews_tacitly=agreement.renewal == "tacit"
        and bool(agreement.renewal_months)
        and agreement.end_date is not None,
    )


def events_for(
    agreement: Agreement, user: User, membership: Membership | None, today: dt.date | None = None
) -> list[str]:
    today = today or dt.date.today()
    facts = facts_for(agreement, _actor(user, membership), today)
    return agreement_workflow().allowed_events(agreement.status.value, facts)


def event_specs_for(
    agreement: Agreement, user: User, membership: Membership | None, today: dt.date | None = None
) -> list[EventSpec]:
    return [
        EVENT_SPECS[AgreementEvent(name)] for name in events_for(agreement, user, membership, today)
    ]


def notice_ends(agreement: Agreement, day: dt.date) -> dt.date:
    """The end that notice given on ``day`` sets: the current term's end when given on or
    before the notice deadline, else the end of the term after it."""
    renewal = Renewal.of(agreement)
    end = end_of_current_term(renewal, day)
    deadline = notice_deadline(renewal, day)
    assert end is not None and deadline is not None and renewal.renewal_months
    if day <= deadline:
        return end
    return term_end(end + dt.timedelta(days=1), renewal.renewal_months)


def default_effective_date(agreement: Agreement, event: AgreementEvent, today: dt.date) -> dt.date:
    """Activation takes effect from the start of the term; other changes from today."""
    if event == AgreementEvent.ACTIVATE:
        return agreement.start_date
    return today


def _check_effective_date(agreement: Agreement, event: AgreementEvent, day: dt.date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed(
            {"effective_date": [f"Give a date between {EARLIEST} and {LATEST}."]}
        )
    if event == AgreementEvent.ACTIVATE and not agreement.covers(day):
        raise ValidationFailed(
            {"effective_date": [f"{day} is outside the agreement's term ({agreement.term_text})."]}
        )
    last = db.session.scalar(
        sa.select(sa.func.max(StatusChange.effective_date)).where(
            StatusChange.agreement_id == agreement.id,
            StatusChange.state == StatusChangeState.DONE,
        )
    )
    if last is not None and day < last:
        raise ValidationFailed(
            {
                "effective_date": [
                    f"The last change of status took effect on {last}; "
                    "a new one cannot take effect before it."
                ]
            }
        )


def fire_event(
    agreement: Agreement,
    membership: Membership | None,
    event_name: str,
    actor: User,
    *,
    effective_date: dt.date | None = None,
    reason: str = "",
    comment: str = "",
    today: dt.date | None = None,
    change_id: int | None = None,
) -> StatusChange:
    """Fire a person's event on the agreement's status; returns the change it recorded.

    Refused (nothing stored) when the machine would not fire it for this person now:
    403 when it is about who they are, else 409 with the events they may fire. An answer
    to a request (confirm, decline, cancel) given with ``change_id`` answers that request
    only: when another one is open now (the one read was cancelled and replaced), 409.
    """
    try:
        event = AgreementEvent(event_name)
    except ValueError:
        event = None
    if event is None or event not in USER_EVENTS:
        raise ValidationFailed(
            {"event": [f"Use one of: {', '.join(e.value for e in USER_EVENTS)}."]}
        )
    today = today or dt.date.today()
    spec = EVENT_SPECS[event]
    text = (reason or comment or "").strip()
    with unit_of_work():
        agreement = lock_agreement(agreement.id)
        who = _actor(actor, membership)
        change = open_change(agreement)
        answered = change.id if change is not None else None
        if change_id is not None and event in ANSWERS and answered != change_id:
            raise Conflict(_not_the_request_read(agreement, change))
        if spec.date:
            day = effective_date or default_effective_date(agreement, event, today)
        elif event == AgreementEvent.GIVE_NOTICE:
            day = today
        else:
            day = change.effective_date if change is not None else today
        facts = facts_for(agreement, who, today, day, change)
        workflow = agreement_workflow()
        allowed = workflow.allowed_events(agreement.status.value, facts)
        if event.value not in allowed:
            about_the_person, why = refusal(agreement.status.value, event, facts)
            if event == AgreementEvent.ACTIVATE and not facts.staffed:
                why += ": " + "; ".join(missing_staff(agreement.id))
            message = f"{agreement.code} is {agreement.status.value}: {why}."
            if about_the_person:
                raise Forbidden(message)
            raise Conflict(message, allowed=allowed)
        if spec.comment_required and not text:
            raise ValidationFailed({"reason": ["Say why: a reason is required."]})
        if spec.date:
            _check_effective_date(agreement, event, day)
        recorded = _apply(agreement, event, facts, who, actor, change, day, text)
    return recorded


# The events that answer the open request, and so name the one they answer; the other
# side's answers must (pages and the API alike), the asking side's cancel may.
ANSWERS = frozenset({AgreementEvent.CONFIRM, AgreementEvent.DECLINE, AgreementEvent.CANCEL})
MUST_NAME_THE_REQUEST = frozenset({AgreementEvent.CONFIRM.value, AgreementEvent.DECLINE.value})


def _not_the_request_read(agreement: Agreement, change: StatusChange | None) -> str:
    if change is None:
        return f"The request you answered on {agreement.code} is no longer open; nothing was done."
    return (
        f"The request you answered on {agreement.code} was replaced: the open request now is to "
        f"{change.event} from {change.effective_date}. Read it, then answer it; nothing was done."
    )


def _apply(
    agreement: Agreement,
    event: AgreementEvent,
    facts: AgreementFacts,
    who: Actor,
    actor: User | None,
    change: StatusChange | None,
    day: dt.date,
    text: str,
) -> StatusChange:
    """Fire the machine and write the rows its transition means, in the caller's unit."""
    now = utcnow()
    recorded: list[StatusChange] = []

    def effects(source: str, dest: str) -> None:
        row = change
        if event == AgreementEvent.GIVE_NOTICE:
            row = StatusChange(
                agreement_id=agreement.id,
                event=event.value,
                state=StatusChangeState.DONE,
                from_status=AgreementStatus(source),
                to_status=AgreementStatus(source),
                effective_date=day,
                reason=text,
                requested_by_id=actor.id if actor else None,
                requested_side=who.side,
                requested_at=now,
                applied_at=now,
            )
            db.session.add(row)
            agreement.end_date = notice_ends(agreement, day)
            agreement.renewal = "none"
        elif event in MUTUAL or event == AgreementEvent.EXPIRE:
            target = _target(event, AgreementStatus(source))
            row = StatusChange(
                agreement_id=agreement.id,
                event=event.value,
                state=StatusChangeState.PENDING,
                from_status=AgreementStatus(source),
                to_status=target,
                effective_date=day,
                reason=text,
                requested_by_id=actor.id if actor else None,
                requested_side=who.side,
                requested_at=now,
            )
            db.session.add(row)
            if dest != source:  # one-sided (a draft discarded) or by the system
                row.state = StatusChangeState.DONE
                row.applied_at = now
        elif event == AgreementEvent.CONFIRM:
            assert row is not None
            row.decided_by_id = actor.id if actor else None
            row.decided_at = now
            row.decision_comment = text
            if dest != source:
                row.state = StatusChangeState.DONE
                row.applied_at = now
            else:
                row.state = StatusChangeState.SCHEDULED
        elif event == AgreementEvent.APPLY_SCHEDULED:
            assert row is not None
            row.state = StatusChangeState.DONE
            row.applied_at = now
        elif event in (AgreementEvent.DECLINE, AgreementEvent.CANCEL):
            assert row is not None
            row.state = (
                StatusChangeState.DECLINED
                if event == AgreementEvent.DECLINE
                else StatusChangeState.CANCELLED
            )
            row.decided_by_id = actor.id if actor else None
            row.decided_at = now
            row.decision_comment = text
        db.session.flush()
        assert row is not None
        recorded.append(row)
        if row.state == StatusChangeState.PENDING and who.side is not None:
            other = "provider" if who.side == "customer" else "customer"
            notify(
                sa.select(Membership.user_id).where(
                    Membership.agreement_id == agreement.id,
                    Membership.side == other,
                    Membership.role == Role.MANAGER,
                ),
                Kind.STATUS_CHANGE_AWAITS,
                f"The {who.side} side asks to {row.event} {agreement.code} from "
                f"{row.effective_date}; confirm or decline it.",
                f"/agreements/{agreement.code}",
                agreement_id=agreement.id,
                object_type="agreement",
                object_id=agreement.id,
            )
        if event == AgreementEvent.GIVE_NOTICE:
            notify(
                sa.select(Membership.user_id).where(
                    Membership.agreement_id == agreement.id, Membership.role == Role.MANAGER
                ),
                Kind.CONTRACT_DATE,
                f"The {who.side} side gave notice on {agreement.code}: it ends on "
                f"{agreement.end_date} and does not renew.",
                f"/agreements/{agreement.code}",
                agreement_id=agreement.id,
                object_type="agreement",
                object_id=agreement.id,
                skip_user_id=actor.id if actor else None,
            )
        elif row.state in (StatusChangeState.DONE, StatusChangeState.SCHEDULED) and (
            event != AgreementEvent.APPLY_SCHEDULED
        ):
            # Tasks are judged by the status in force on their own date: check again
            # the tasks from the date this change takes effect.
            scope_changed.send(agreement, start=row.effective_date, annex_id=None)
        record(
            f"agreement.{event.value}",
            agreement,
            actor,
            agreement_id=agreement.id,
            changes={
                "status": {"before": source, "after": dest},
                "change": {"before": None, "after": f"{row.event} {row.state.value}"},
                "effective_date": {"before": None, "after": row.effective_date.isoformat()},
            },
            comment=text,
        )

    agreement_workflow().fire(agreement, event, facts, AgreementStatus, on_change=effects)
    return recorded[0]


def _target(event: AgreementEvent, source: AgreementStatus) -> AgreementStatus:
    if event == AgreementEvent.EXPIRE:
        return AgreementStatus.EXPIRED
    if event == AgreementEvent.TERMINATE:
        return AgreementStatus.TERMINATED
    if (event, source) == (AgreementEvent.TERMINATE, TERMINATE_SUSPENDED[0]):
        return TERMINATE_SUSPENDED[1]
    return MUTUAL[event][1]


def outcome_message(agreement: Agreement, change: StatusChange) -> str:
    """What a person is told after a status event."""
    event = change.event.replace("_", " ")
    if change.state == StatusChangeState.PENDING:
        other = "provider" if change.requested_side == "customer" else "customer"
        return (
            f"Your request to {event} {agreement.code} from {change.effective_date} is recorded; "
            f"a manager of the {other} side confirms or declines it."
        )
    if change.state == StatusChangeState.SCHEDULED:
        return (
            f"Agreed: {agreement.code} becomes {change.to_status.value} on {change.effective_date}."
        )
    if change.state == StatusChangeState.DONE:
        return f"{agreement.code} is now {agreement.status.value} (from {change.effective_date})."
    return f"The request to {event} {agreement.code} is {change.state.value}."


def apply_due(today: dt.date | None = None) -> list[Agreement]:
    """The daily job's part: agreed changes whose date has come take effect, and running
    agreements whose term has ended expire. One transaction per agreement."""
    today = today or dt.date.today()
    due_ids = set(
        db.session.scalars(
            sa.select(StatusChange.agreement_id).where(
                StatusChange.state == StatusChangeState.SCHEDULED,
                StatusChange.effective_date <= today,
            )
        ).all()
    ) | set(
        db.session.scalars(
            sa.select(Agreement.id).where(
                Agreement.status.in_([AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED]),
                Agreement.end_date < today,
                Agreement.renewal != "tacit",  # renews itself until notice is given (terms.py)
            )
        ).all()
    )
    changed = []
    for agreement_id in sorted(due_ids):
        with unit_of_work():
            agreement = lock_agreement(agreement_id)
            for event in (AgreementEvent.APPLY_SCHEDULED, AgreementEvent.EXPIRE):
                change = open_change(agreement)
                day = (
                    change.effective_date
                    if event == AgreementEvent.APPLY_SCHEDULED and change is not None
                    else (agreement.end_date or today) + dt.timedelta(days=1)
                )
                facts = facts_for(agreement, SYSTEM, today, day, change)
                if agreement_workflow().destination(agreement.status.value, event, facts):
                    _apply(agreement, event, facts, SYSTEM, None, change, day, "")
                    changed.append(agreement)
    return changed
