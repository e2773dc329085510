"""An agreement's status, declared once as data and built into one machine.

Neither side changes the contract alone: activating, suspending, resuming and
terminating are asked by a manager of one side (the request is recorded and shown on
the agreement) and take effect only when a manager of the other side confirms, on the
effective date the request carries; the other side may decline instead, and the asking
side may cancel its request. A draft binds nobody, so either side's manager may
terminate it alone. ``expire`` is fired by the system when the term has ended, and
``apply_scheduled`` when an agreed change with a later date comes due.

Every rule is a condition here, read from ``AgreementFacts``; the service records the
requests and the dated status changes (``agreements.models.StatusChange``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine

from workflows.agreement_states import AgreementStatus
from workflows.binding import (
    EventSpec,
    StateHolder,
    as_strings,
    draw_diagram,
    edge_label,
    permitted,
    run_on_change,
    transition_for,
)


class AgreementEvent(enum.StrEnum):
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"
    GIVE_NOTICE = "give_notice"
    # fired by the system:
    EXPIRE = "expire"
    APPLY_SCHEDULED = "apply_scheduled"


S = AgreementStatus
E = AgreementEvent
# The changes that need both sides: event -> (from, to).
MUTUAL: dict[AgreementEvent, tuple[AgreementStatus, AgreementStatus]] = {
    E.ACTIVATE: (S.DRAFT, S.ACTIVE),
    E.SUSPEND: (S.ACTIVE, S.SUSPENDED),
    E.RESUME: (S.SUSPENDED, S.ACTIVE),
    E.TERMINATE: (S.ACTIVE, S.TERMINATED),
}
TERMINATE_SUSPENDED = (S.SUSPENDED, S.TERMINATED)
LIVE = [S.DRAFT, S.ACTIVE, S.SUSPENDED]

USER_EVENTS = (
    E.ACTIVATE,
    E.SUSPEND,
    E.RESUME,
    E.TERMINATE,
    E.CONFIRM,
    E.DECLINE,
    E.CANCEL,
    E.GIVE_NOTICE,
)

EVENT_SPECS: dict[AgreementEvent, EventSpec] = {
    E.ACTIVATE: EventSpec(
        "activate",
        "Ask to activate",
        date=True,
        help="The other side's manager confirms; effective on the date given.",
    ),
    E.SUSPEND: EventSpec(
        "suspend",
        "Ask to suspend",
        comment="required",
        date=True,
        help="While suspended no task is covered; the other side confirms.",
    ),
    E.RESUME: EventSpec("resume", "Ask to resume", date=True, help="The other side confirms."),
    E.TERMINATE: EventSpec(
        "terminate",
        "Ask to terminate",
        comment="required",
        date=True,
        danger=True,
        help="By mutual consent, on the date given (a draft: at once, by one side).",
    ),
    E.CONFIRM: EventSpec("confirm", "Confirm", help="Agree to the other side's request."),
    E.DECLINE: EventSpec(
        "decline", "Decline", comment="required", danger=True, help="Refuse the request."
    ),
    E.CANCEL: EventSpec("cancel", "Cancel the request", danger=True),
    E.GIVE_NOTICE: EventSpec(
        "give_notice",
        "Give notice",
        comment="required",
        danger=True,
        help="Either side, alone: the agreement does not renew and ends with the current "
        "term (after the notice deadline: with the next one).",
    ),
}


@dataclasses.dataclass(frozen=True)
class Actor:
    side: str | None = None
    role: str | None = None
    is_system: bool = False


SYSTEM = Actor(is_system=True)


@dataclasses.dataclass(frozen=True)
class OpenChange:
    """A change asked and not yet in force: pending (awaiting the other side) or scheduled."""

    event: str
    side: str | None
    scheduled: bool
    effective_date: dt.date


@dataclasses.dataclass(frozen=True)
class AgreementFacts:
    actor: Actor
    open_change: OpenChange | None = None
    staffed: bool = False  # every side has an accepted manager and approver
    effective_date: dt.date = dt.date.min  # of the request being made or confirmed
    today: dt.date = dt.date.min
    term_ended: bool = False
    renews_tacitly: bool = False


def _facts(event: EventData) -> AgreementFacts:
    return event.kwargs["facts"]


def by_manager(event: EventData) -> bool:
    return _facts(event).actor.role == "manager"


def by_system(event: EventData) -> bool:
    return _facts(event).actor.is_system


def nothing_open(event: EventData) -> bool:
    return _facts(event).open_change is None


def request_pending(event: EventData) -> bool:
    change = _facts(event).open_change
    return change is not None and not change.scheduled


def by_other_side(event: EventData) -> bool:
    facts = _facts(event)
    return facts.open_change is not None and facts.actor.side != facts.open_change.side


def by_asking_side(event: EventData) -> bool:
    facts = _facts(event)
    return facts.open_change is not None and facts.actor.side == facts.open_change.side


def sides_staffed(event: EventData) -> bool:
    return _facts(event).staffed


def effective_date_reached(event: EventData) -> bool:
    facts = _facts(event)
    return facts.effective_date <= facts.today


def term_ended(event: EventData) -> bool:
    return _facts(event).term_ended


def renews_tacitly(event: EventData) -> bool:
    return _facts(event).renews_tacitly


CHANGE_NOUNS = {
    "activate": "an activation",
    "suspend": "a suspension",
    "resume": "a resumption",
    "terminate": "a termination",
}


@functools.cache
def pending_is(name: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        change = _facts(event).open_change
        return change is not None and not change.scheduled and change.event == name

    condition.__name__ = f"pending_{name}"
    CONDITION_PHRASES[condition] = f"when the other side has asked to {name}"
    return condition


@functools.cache
def scheduled_is(name: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        change = _facts(event).open_change
        return change is not None and change.scheduled and change.event == name

    condition.__name__ = f"scheduled_{name}"
    CONDITION_PHRASES[condition] = f"when {CHANGE_NOUNS.get(name, name)} has been agreed"
    return condition


CONDITION_PHRASES: dict[Callable[[EventData], bool], str] = {
    by_manager: "by a manager of a side",
    by_system: "by the system",
    nothing_open: "while no other change of status is open",
    request_pending: "while a request awaits an answer",
    by_other_side: "by the other side",
    by_asking_side: "by the side that asked",
    sides_staffed: "once each side has an accepted manager and approver",
    effective_date_reached: "once the effective date has come",
    term_ended: "after the end of the term",
    renews_tacitly: "while the agreement renews itself tacitly",
}
WHO_CONDITIONS = frozenset({by_manager, by_system, by_other_side, by_asking_side})


def _transitions() -> list[dict[str, Any]]:
    declared: list[dict[str, Any]] = []
    moves = [(event, source, dest) for event, (source, dest) in MUTUAL.items()]
    moves.append((E.TERMINATE, *TERMINATE_SUSPENDED))
    for event, source, dest in moves:
        staffing = [sides_staffed] if event == E.ACTIVATE else []
        declared += [
            # asked by one side: recorded, awaiting the other
            {
                "trigger": event,
                "source": source,
                "dest": None,
                "conditions": [by_manager, nothing_open, *staffing],
            },
            # confirmed by the other side: in force now, or on its later date
            {
                "trigger": E.CONFIRM,
                "source": source,
                "dest": dest,
                "conditions": [
                    by_manager,
                    by_other_side,
                    pending_is(event),
                    *staffing,
                    effective_date_reached,
                ],
            },
            {
                "trigger": E.CONFIRM,
                "source": source,
                "dest": None,
                "conditions": [by_manager, by_other_side, pending_is(event), *staffing],
            },
            {
                "trigger": E.APPLY_SCHEDULED,
                "source": source,
                "dest": dest,
                "conditions": [by_system, scheduled_is(event), effective_date_reached],
            },
        ]
    declared += [
        # A draft binds nobody: either side's manager discards it.
        {
            "trigger": E.TERMINATE,
            "source": S.DRAFT,
            "dest": S.TERMINATED,
            "conditions": [by_manager, nothing_open],
        },
        {
            "trigger": E.DECLINE,
            "source": LIVE,
            "dest": None,
            "conditions": [by_manager, request_pending, by_other_side],
        },
        {
            "trigger": E.CANCEL,
            "source": LIVE,
            "dest": None,
            "conditions": [by_manager, request_pending, by_asking_side],
        },
        # Notice is a right of each side: given alone, it stops the tacit renewal.
        {
            "trigger": E.GIVE_NOTICE,
            "source": [S.ACTIVE, S.SUSPENDED],
            "dest": None,
            "conditions": [by_manager, renews_tacitly],
        },
        {
            "trigger": E.EXPIRE,
            "source": [S.ACTIVE, S.SUSPENDED],
            "dest": S.EXPIRED,
            "conditions": [by_system, term_ended],
        },
    ]
    return declared


TRANSITIONS = _transitions()


class AgreementWorkflow:
    """Built once per process; binds one agreement for the length of one event."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in AgreementStatus],
            transitions=[as_strings(t) for t in TRANSITIONS],
            initial=AgreementStatus.DRAFT.value,
            auto_transitions=False,
            send_event=True,
            after_state_change=[run_on_change],
        )

    def allowed_events(self, state: str, facts: AgreementFacts) -> list[str]:
        return permitted(self.machine, str(state), [e.value for e in USER_EVENTS], facts=facts)

    def destination(self, state: str, event: AgreementEvent, facts: AgreementFacts) -> str:
        transition = transition_for(self.machine, str(state), event.value, facts=facts)
        if transition is None:
            return ""
        return transition.dest or transition.source

    def fire(
        self,
        agreement: Any,
        event: AgreementEvent,
        facts: AgreementFacts,
        state_type: type[enum.StrEnum],
        on_change: Callable[[str, str], None] | None = None,
    ) -> bool:
        holder = StateHolder(_StatusView(agreement), state_type)
        self.machine.add_model(holder, initial=holder.state)
        try:
            return bool(getattr(holder, event.value)(facts=facts, on_change=on_change))
        finally:
            self.machine.remove_model(holder)


class _StatusView:
    """The agreement's ``status`` column seen as the ``state`` the holder reads and writes."""

    def __init__(self, agreement: Any) -> None:
        self._agreement = agreement

    @property
    def state(self) -> Any:
        return self._agreement.status

    @state.setter
    def state(self, value: Any) -> None:
        self._agreement.status = value


def refusal(state: str, event: AgreementEvent, facts: AgreementFacts) -> tuple[bool, str]:
    """Whether a refusal is about the person, and the first unmet condition in words."""
    machine = agreement_workflow().machine
    candidates = machine.events[event.value].transitions.get(str(state), [])
    if not candidates:
        return False, f"an agreement that is {state} cannot {event.value.replace('_', ' ')}"
    event_data = EventData(None, machine.events[event.value], machine, None, (), {"facts": facts})
    best: tuple[bool, str] | None = None
    for transition in candidates:
        failing = [c for c in transition.conditions if not c.check(event_data)]
        first = failing[0]
        phrase = CONDITION_PHRASES.get(first.func, first.func.__name__)
        found = (first.func in WHO_CONDITIONS, f"{event.value.replace('_', ' ')} only {phrase}")
        if best is None or len(failing) == 1:
            best = found
    assert best is not None
    return best


@functools.cache
def agreement_workflow() -> AgreementWorkflow:
    return AgreementWorkflow()


# Events the system fires, as the diagram names them.
SYSTEM_LABELS = {E.APPLY_SCHEDULED: "On the agreed date", E.EXPIRE: "Expires"}
# Said by the forms (who acts, who must be staffed) or by the label itself.
QUIET_CONDITIONS = WHO_CONDITIONS | {sides_staffed}


def diagram_label(transition: dict[str, Any]) -> str:
    event = AgreementEvent(transition["trigger"])
    if event == E.APPLY_SCHEDULED:  # its label says when
        return SYSTEM_LABELS[event]
    spec = EVENT_SPECS.get(event)
    label = spec.label if spec else SYSTEM_LABELS[event]
    return edge_label(label, transition.get("conditions", ()), CONDITION_PHRASES, QUIET_CONDITIONS)


@functools.cache
def diagram_svg() -> str:
    """The agreement's status diagram, drawn from the declaration once per process."""
    return draw_diagram(
        [state.value for state in AgreementStatus],
        AgreementStatus.DRAFT.value,
        TRANSITIONS,
        diagram_label,
    )
