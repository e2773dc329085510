"""Escalations: raised by one side, the ball passed between the sides, deadlines that climb
the agreement's ladder, and a resolution both sides agree to.

Each event is one transaction under the agreement's lock, with its message in the thread
and its audit event. The machine in ``workflows.escalation`` decides what may be fired;
this module moves the ball, keeps the holds (who held it, for how long on the agreement's
clock) and the deadline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import object_for, require_role
from contracts_app.agreements.ladder import Level, levels_of, people_at
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import Role, Side
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.escalations.clock import clock_for
from contracts_app.escalations.models import BallHold, Escalation, EscalationMessage, MessageKind
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import notify
from contracts_app.scope.services import version_on
from contracts_app.sorting import Sorting, lower
from contracts_app.tasks.models import Task
from workflows.binding import EventSpec
from workflows.escalation import (
    EVENT_SPECS,
    SYSTEM,
    USER_EVENTS,
    Actor,
    EscalationEvent,
    EscalationFacts,
    EscalationState,
    escalation_workflow,
    refusal,
)

PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
TASK_DECISIONS = ("accept", "reject", "propose_annex")
PARTICIPANTS = frozenset({Role.MANAGER, Role.APPROVER, Role.CONTRIBUTOR})
EVENT_WORDS = {
    EscalationEvent.ANSWER: "answered, the ball passed",
    EscalationEvent.ESCALATE: "escalated to the next level",
    EscalationEvent.PROPOSE_RESOLUTION: "a resolution was proposed",
    EscalationEvent.ACCEPT_RESOLUTION: "resolved",
    EscalationEvent.DECLINE_RESOLUTION: "the resolution was declined",
    EscalationEvent.REOPEN: "reopened",
}


def other(side: Side | str) -> Side:
    return Side.PROVIDER if Side(side) == Side.CUSTOMER else Side.CUSTOMER


def escalation_for(user: User, escalation_id: int) -> tuple[Escalation, Membership | None]:
    """The escalation if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Escalation, escalation_id, "escalation")


def _level(agreement: Agreement, number: int) -> Level:
    levels = levels_of(agreement)
    return levels[min(number, len(levels)) - 1]


def _hand_ball(escalation: Escalation, side: Side, now: dt.datetime) -> None:
    """End the current hold (its time on the clock) and give the ball to ``side``; a side
    that already holds it keeps its hold (one row per stretch of holding)."""
    holding = db.session.scalar(
        sa.select(BallHold.side).where(
            BallHold.escalation_id == escalation.id, BallHold.ended_at.is_(None)
        )
    )
    if holding == side:
        _restart_deadline(escalation, now)
        return
    _end_hold(escalation, now)
    db.session.add(BallHold(escalation_id=escalation.id, side=side, started_at=now))
    escalation.ball_with = side
    _restart_deadline(escalation, now)


def _end_hold(escalation: Escalation, now: dt.datetime) -> None:
    clock = clock_for(escalation.agreement)
    current = db.session.scalar(
        sa.select(BallHold).where(
            BallHold.escalation_id == escalation.id, BallHold.ended_at.is_(None)
        )
    )
    if current is not None:
        current.ended_at = now
        current.seconds = clock.seconds_between(current.started_at, now)
        db.session.flush()


def _restart_deadline(escalation: Escalation, now: dt.datetime) -> None:
    level = _level(escalation.agreement, escalation.level)
    escalation.deadline = clock_for(escalation.agreement).add_hours(now, level.response_hours)


@dataclasses.dataclass
class EscalationInput:
    subject: str
    description: str = ""
    task_id: int | None = None
    service_level: str | None = None
    clause: str | None = None
    period: str | None = None


def task_id_by_ref(agreement: Agreement, ref: str) -> int | None:
    """The task a person names by its ref (pages never ask for a database id)."""
    if not ref:
        return None
    task_id = db.session.scalar(
        sa.select(Task.id).where(Task.agreement_id == agreement.id, Task.ref == ref)
    )
    if task_id is None:
        raise ValidationFailed({"task": [f"No task {ref} on {agreement.code}."]})
    return task_id


def escalation_problems(agreement: Agreement, data: EscalationInput) -> dict[str, list[str]]:
    """The problems ``raise_escalation`` would find in the fields; nothing is stored (for
    forms that show every error at once)."""
    try:
        _validate(agreement, data)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def _validate(agreement: Agreement, data: EscalationInput) -> Task | None:
    errors: dict[str, list[str]] = {}
    if not data.subject.strip() or len(data.subject) > 200:
        errors["subject"] = ["Give a subject of up to 200 characters."]
    if len(data.description) > 20_000:
        errors["description"] = ["At most 20,000 characters."]
    task = None
    if data.task_id is not None:
        task = db.session.get(Task, data.task_id)
        if task is None or task.agreement_id != agreement.id:
            errors["task"] = [f"No task {data.task_id} on {agreement.code}."]
    for name, value in (("service_level", data.service_level), ("clause", data.clause)):
        if value is not None and not REF_PATTERN.match(value):
            errors[name] = ["A reference of letters, digits, dots and dashes."]
    if data.clause is not None and "clause" not in errors:
        today = dt.date.today()
        day = max(agreement.start_date, min(today, agreement.end_date or today))
        version = version_on(agreement, day)
        refs = {clause.ref for clause in version.clauses} if version is not None else set()
        if data.clause not in refs:
            errors["clause"] = [f"No clause {data.clause} in the scope in force."]
    if data.period is not None and not PERIOD_PATTERN.match(data.period):
        errors["period"] = ["A month as YYYY-MM."]
    if errors:
        raise ValidationFailed(errors)
    return task


def raise_escalation(
    agreement: Agreement,
    membership: Membership | None,
    data: EscalationInput,
    actor: User,
    now: dt.datetime | None = None,
) -> Escalation:
    """Raise an escalation (anyone but a viewer); the ball goes to the other side.

    On a task that already has an open escalation, the new one joins it: the
    description is added to its thread, and that escalation is returned.
    """
    require_role(actor, agreement, membership, PARTICIPANTS)
    if membership is None:
        raise Forbidden("Escalations are raised by a member of a side.")
    now = now or utcnow()
    with unit_of_work():
        agreement = lock_agreement(agreement.id)
        task = _validate(agreement, data)
        if task is not None:
            joined = db.session.scalar(
                sa.select(Escalation).where(
                    Escalation.task_id == task.id,
                    Escalation.state != EscalationState.RESOLVED,
                )
            )
            if joined is not None:
                _message(
                    joined,
                    MessageKind.COMMENT,
                    actor,
                    membership.side,
                    data.description or data.subject,
                    now,
                )
                return joined
        number = (
            db.session.scalar(
                sa.select(sa.func.max(Escalation.number)).where(
                    Escalation.agreement_id == agreement.id
                )
            )
            or 0
        ) + 1
        escalation = Escalation(
            agreement_id=agreement.id,
            number=number,
            subject=data.subject.strip(),
            description=data.description,
            state=EscalationState.OPEN,
            level=1,
            ball_with=other(membership.side),
            raised_side=membership.side,
            raised_by_id=actor.id,
            task_id=task.id if task is not None else None,
            service_level_ref=data.service_level,
            clause_ref=data.clause,
            period=data.period,
            created_at=now,
        )
        escalation.agreement = agreement
        db.session.add(escalation)
        db.session.flush()
        db.session.add(
            BallHold(escalation_id=escalation.id, side=escalation.ball_with, started_at=now)
        )
        _restart_deadline(escalation, now)
        _message(
            escalation,
            MessageKind.EVENT,
            actor,
            membership.side,
            data.description,
            now,
            event="raise",
            to_level=1,
        )
        _tell(escalation, actor, f"raised by the {membership.side.value} side")
        record(
            "escalation.raised",
            escalation,
            actor,
            agreement_id=agreement.id,
            changes={
                "subject": {"before": None, "after": escalation.subject},
                "ball_with": {"before": None, "after": escalation.ball_with.value},
                "level": {"before": None, "after": 1},
            },
        )
    return escalation


def _tell(escalation: Escalation, actor: User | None, what: str) -> None:
    """The people of the current level: the side holding the ball owes an answer; the other
    side's people at that level are told it moved. The one who acted is not told."""
    if escalation.state == EscalationState.RESOLVED:
        holders: list[int] = []
    else:
        level = _level(escalation.agreement, escalation.level)
        holders = [u.id for u in people_at(escalation.agreement, level, escalation.ball_with.value)]
    level = _level(escalation.agreement, escalation.level)
    others = [
        u.id
        for side in ("customer", "provider")
        for u in people_at(escalation.agreement, level, side)
        if u.id not in holders
    ]
    link = f"/escalations/{escalation.id}"
    common = {
        "agreement_id": escalation.agreement_id,
        "object_type": "escalation",
        "object_id": escalation.id,
        "skip_user_id": actor.id if actor is not None else None,
    }
    label = f"{escalation.agreement.code} {escalation.label} ({escalation.subject[:80]})"
    if holders:
        notify(
            holders,
            Kind.ESCALATION_AWAITS_ME,
            f"{label}: {what}; your side owes an answer by "
            f"{escalation.deadline:%Y-%m-%d %H:%M} UTC (level {escalation.level}).",
            link,
            **common,
        )
    if others:
        notify(others, Kind.ESCALATION_CHANGED, f"{label}: {what}.", link, **common)


def _message(
    escalation: Escalation,
    kind: MessageKind,
    actor: User | None,
    side: Side | None,
    body: str,
    now: dt.datetime,
    *,
    event: str | None = None,
    from_level: int | None = None,
    to_level: int | None = None,
    by_deadline: bool = False,
) -> EscalationMessage:
    message = EscalationMessage(
        escalation_id=escalation.id,
        kind=kind,
        event=event,
        author_id=actor.id if actor is not None else None,
        side=side,
        body=body,
        from_level=from_level,
        to_level=to_level,
        by_deadline=by_deadline,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def _actor(membership: Membership | None) -> Actor:
    if membership is None:
        return Actor()
    return Actor(side=membership.side.value, role=membership.role.value)


def facts_for(escalation: Escalation, actor: Actor, now: dt.datetime) -> EscalationFacts:
    return EscalationFacts(
        actor=actor,
        ball_with=escalation.ball_with.value,
        level=escalation.level,
        top_level=len(levels_of(escalation.agreement)),
        proposed_by=escalation.proposed_by.value if escalation.proposed_by else None,
        deadline=escalation.deadline,
        resolved_at=escalation.resolved_at,
        now=now,
    )


def events_for(
    escalation: Escalation, membership: Membership | None, now: dt.datetime | None = None
) -> list[str]:
    facts = facts_for(escalation, _actor(membership), now or utcnow())
    return escalation_workflow().allowed_events(escalation.state.value, facts)


def event_specs_for(
    escalation: Escalation, membership: Membership | None, now: dt.datetime | None = None
) -> list[EventSpec]:
    return [EVENT_SPECS[EscalationEvent(name)] for name in events_for(escalation, membership, now)]


def fire_event(
    escalation_id: int,
    event_name: str,
    actor: User,
    *,
    message: str = "",
    decision: str | None = None,
    seen_level: int | None = None,
    now: dt.datetime | None = None,
) -> Escalation:
    """Fire a person's event on an escalation.

    ``seen_level`` is the level the person saw: an ``escalate`` from someone who saw a
    lower level than the one in force (the other side escalated at the same moment)
    joins that climb instead of climbing again. A resolution proposed on a task may carry
    a ``decision`` (accept, reject, propose_annex), fired through the task's own
    workflow when the other side accepts the resolution, in the same transaction.
    """
    try:
        event = EscalationEvent(event_name)
    except ValueError:
        raise ValidationFailed(
            {"event": [f"Use one of: {', '.join(e.value for e in USER_EVENTS)}."]}
        ) from None
    message = (message or "").strip()
    if len(message) > 20_000:
        raise ValidationFailed({"message": ["At most 20,000 characters."]})
    now = now or utcnow()
    with unit_of_work():
        escalation, membership = escalation_for(actor, escalation_id)
        seen_level = seen_level if seen_level is not None else escalation.level
        lock_agreement(escalation.agreement_id)
        db.session.refresh(escalation)
        who = _actor(membership)
        facts = facts_for(escalation, who, now)
        allowed = escalation_workflow().allowed_events(escalation.state.value, facts)
        if event == EscalationEvent.ESCALATE and escalation.level > seen_level:
            # Someone climbed while this person was looking: one climb, not two.
            assert membership is not None
            _message(
                escalation,
                MessageKind.COMMENT,
                actor,
                membership.side,
                message or f"Also asked to escalate to level {escalation.level}.",
                now,
            )
            return escalation
        if event.value not in allowed:
            about_the_person, why = refusal(escalation.state.value, event, facts)
            text = f"{escalation.label} is {escalation.state.value.replace('_', ' ')}: {why}."
            if about_the_person:
                raise Forbidden(text)
            raise Conflict(text, allowed=allowed)
        if EVENT_SPECS[event].comment_required and not message:
            raise ValidationFailed({"message": ["Write a message: it is required here."]})
        if decision is not None:
            if event != EscalationEvent.PROPOSE_RESOLUTION or escalation.task_id is None:
                raise ValidationFailed(
                    {
                        "decision": [
                            "A decision on the task goes with a resolution proposed on a task."
                        ]
                    }
                )
            if decision not in TASK_DECISIONS:
                raise ValidationFailed({"decision": [f"One of: {', '.join(TASK_DECISIONS)}."]})
        assert membership is not None  # the machine's conditions
        _apply(escalation, event, facts, actor, membership.side, message, decision, now)
    return escalation


def _apply(
    escalation: Escalation,
    event: EscalationEvent,
    facts: EscalationFacts,
    actor: User | None,
    side: Side | None,
    message: str,
    decision: str | None,
    now: dt.datetime,
    by_deadline: bool = False,
) -> None:
    before = {
        "state": escalation.state.value,
        "level": escalation.level,
        "ball_with": escalation.ball_with.value,
    }

    def effects(source: str, dest: str) -> None:
        kind = MessageKind.EVENT
        from_level = to_level = None
        if event == EscalationEvent.ANSWER:
            if side == escalation.ball_with:
                kind = MessageKind.MESSAGE
                _hand_ball(escalation, other(side), now)
            else:
                kind = MessageKind.COMMENT
        elif event == EscalationEvent.ESCALATE:
            from_level, to_level = escalation.level, escalation.level + 1
            escalation.level = to_level
            _restart_deadline(escalation, now)
        elif event == EscalationEvent.PROPOSE_RESOLUTION:
            assert side is not None
            escalation.proposed_by = side
            escalation.proposed_decision = decision
            _hand_ball(escalation, other(side), now)
        elif event == EscalationEvent.DECLINE_RESOLUTION:
            assert escalation.proposed_by is not None
            _hand_ball(escalation, escalation.proposed_by, now)
            escalation.proposed_by = None
            escalation.proposed_decision = None
        elif event == EscalationEvent.ACCEPT_RESOLUTION:
            _end_hold(escalation, now)
            escalation.deadline = None
            escalation.resolved_at = now
            if escalation.task_id is not None and escalation.proposed_decision:
                _decide_task(escalation, actor, message)
        elif event == EscalationEvent.REOPEN:
            assert side is not None
            escalation.resolved_at = None
            escalation.proposed_by = None
            escalation.proposed_decision = None
            _hand_ball(escalation, other(side), now)
        _message(
            escalation,
            kind,
            actor,
            side,
            message,
            now,
            event=event.value,
            from_level=from_level,
            to_level=to_level,
            by_deadline=by_deadline,
        )
        db.session.flush()
        after = {"state": dest, "level": escalation.level, "ball_with": escalation.ball_with.value}
        if kind != MessageKind.COMMENT:
            _tell(
                escalation,
                actor,
                EVENT_WORDS.get(event, event.value.replace("_", " "))
                + (" because the deadline passed" if by_deadline else ""),
            )
        record(
            f"escalation.{event.value}",
            escalation,
            actor,
            agreement_id=escalation.agreement_id,
            changes={
                k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]
            },
            comment=message or ("Climbed: the deadline passed." if by_deadline else ""),
        )

    escalation_workflow().fire(escalation, event, facts, on_change=effects)


def _decide_task(escalation: Escalation, actor: User | None, message: str) -> None:
    """The decision agreed in the resolution, through the task's own workflow."""
    from contracts_app.tasks.services import fire_task_event

    assert actor is not None and escalation.task_id is not None
    fire_task_event(
        escalation.task_id,
        escalation.proposed_decision or "",
        actor,
        comment=message or f"Resolved by {escalation.label}.",
    )


def climb_overdue(now: dt.datetime | None = None) -> list[Escalation]:
    """The deadline job: open escalations whose holder let the response time pass climb one
    level (one transaction each). Idempotent: the climb restarts the deadline, so a second
    run at the same moment climbs nothing. At the top level an overdue escalation stays
    overdue and is reported as such."""
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Escalation.id)
        .where(Escalation.state == EscalationState.OPEN, Escalation.deadline <= now)
        .order_by(Escalation.deadline, Escalation.id)
    ).all()
    climbed = []
    for escalation_id in ids:
        with unit_of_work():
            escalation = db.session.get(Escalation, escalation_id)
            assert escalation is not None
            lock_agreement(escalation.agreement_id)
            db.session.refresh(escalation)
            facts = facts_for(escalation, SYSTEM, now)
            if not escalation_workflow().destination(
                escalation.state.value, EscalationEvent.ESCALATE, facts
            ):
                continue  # answered meanwhile, or at the top of the ladder
            _apply(
                escalation,
                EscalationEvent.ESCALATE,
                facts,
                None,
                None,
                f"{escalation.ball_with.value.capitalize()} side let the response time pass.",
                None,
                now,
                by_deadline=True,
            )
            climbed.append(escalation)
    return climbed


def is_overdue(escalation: Escalation, now: dt.datetime | None = None) -> bool:
    return (
        escalation.state != EscalationState.RESOLVED
        and escalation.deadline is not None
        and escalation.deadline <= (now or utcnow())
    )


def holds_of(escalation: Escalation, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each hold of the ball with its time on the clock; the current one counted to now."""
    now = now or utcnow()
    clock = clock_for(escalation.agreement)
    return [
        {
            "side": hold.side.value,
            "from": hold.started_at,
            "to": hold.ended_at,
            "seconds": hold.seconds
            if hold.seconds is not None
            else clock.seconds_between(hold.started_at, now),
        }
        for hold in escalation.holds
    ]


ESCALATION_SORTING = Sorting(
    columns={
        "number": Escalation.number,
        "deadline": Escalation.deadline,
        "level": Escalation.level,
        "created": Escalation.created_at,
        "subject": lower(Escalation.subject),
        "state": Escalation.state,
    },
    default="deadline",
    tiebreaker=Escalation.id,
)


def list_escalations(
    agreement: Agreement,
    *,
    level: int | None = None,
    ball_with: str | None = None,
    overdue: bool | None = None,
    state: str | None = None,
    resolved: bool | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
    now: dt.datetime | None = None,
) -> tuple[list[Escalation], int]:
    """An agreement's escalations, filtered and sorted (``sort=field`` or ``-field``, the
    nearest deadline first by default). Refuses a field ``ESCALATION_SORTING`` does not offer."""
    order = ESCALATION_SORTING.order_by(sort)
    now = now or utcnow()
    query = sa.select(Escalation).where(Escalation.agreement_id == agreement.id)
    if level is not None:
        query = query.where(Escalation.level == level)
    if ball_with is not None:
        query = query.where(Escalation.ball_with == Side(ball_with))
    if state is not None:
        query = query.where(Escalation.state == EscalationState(state))
    if resolved is not None:
        done = Escalation.state == EscalationState.RESOLVED
        query = query.where(done if resolved else sa.not_(done))
    if overdue is not None:
        late = sa.and_(Escalation.state != EscalationState.RESOLVED, Escalation.deadline <= now)
        query = query.where(late if overdue else sa.not_(late))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def escalation_of_task(task_id: int) -> Escalation | None:
    return db.session.scalar(
        sa.select(Escalation)
        .where(Escalation.task_id == task_id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def on_task_escalated(
    task: Task, *, actor: User, membership: Membership | None, comment: str, **_: object
) -> None:
    """Receiver of ``tasks.signals.task_escalated``: the task's escalation, raised or joined."""
    raise_escalation(
        task.agreement,
        membership,
        EscalationInput(
            subject=f"Task {task.ref}: {task.title}"[:200],
            description=comment,
            task_id=task.id,
        ),
        actor,
    )
