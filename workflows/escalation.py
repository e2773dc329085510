"""The escalation ("catchball") workflow, declared once as data and built into one machine.

An escalation is open with the ball on one side: that side owes an answer within the
response time of the escalation's level. ``answer`` from the side holding the ball passes
it to the other side (from the other side it is kept as a comment and the ball stays);
``escalate`` raises the level by one (either side, or the deadline job when the holder let
the response time pass); ``propose_resolution`` hands the ball to the other side, which
accepts or declines it; a resolved escalation may be reopened within 30 days. ``level``
is an attribute, not a state. Every rule is a condition here, read from the facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine

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

REOPEN_DAYS = 30
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class EscalationState(enum.StrEnum):
    OPEN = "open"
    RESOLUTION_PROPOSED = "resolution_proposed"
    RESOLVED = "resolved"


class EscalationEvent(enum.StrEnum):
    ANSWER = "answer"
    ESCALATE = "escalate"
    PROPOSE_RESOLUTION = "propose_resolution"
    ACCEPT_RESOLUTION = "accept_resolution"
    DECLINE_RESOLUTION = "decline_resolution"
    REOPEN = "reopen"


USER_EVENTS = tuple(EscalationEvent)

EVENT_SPECS: dict[EscalationEvent, EventSpec] = {
    EscalationEvent.ANSWER: EventSpec(
        "answer",
        "Answer",
        comment="required",
        help="Your side's answer passes the ball to the other side; from the side "
        "without the ball, it is a comment and the ball stays.",
    ),
    EscalationEvent.ESCALATE: EventSpec(
        "escalate", "Escalate to the next level", help="The next level's people take over."
    ),
    EscalationEvent.PROPOSE_RESOLUTION: EventSpec(
        "propose_resolution",
        "Propose a resolution",
        comment="required",
        help="The other side accepts or declines it.",
    ),
    EscalationEvent.ACCEPT_RESOLUTION: EventSpec(
        "accept_resolution",
        "Accept the resolution",
        danger=True,
        help="Accepting resolves the escalation, and decides its task as proposed.",
    ),
    EscalationEvent.DECLINE_RESOLUTION: EventSpec(
        "decline_resolution",
        "Decline the resolution",
        comment="required",
        danger=True,
        help="The ball goes back to the side that proposed it.",
    ),
    EscalationEvent.REOPEN: EventSpec(
        "reopen",
        "Reopen",
        comment="required",
        help="Within 30 days of its resolution; the ball goes to the other side.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Actor:
    side: str | None = None
    role: str | None = None
    is_system: bool = False


SYSTEM = Actor(is_system=True)


@dataclasses.dataclass(frozen=True)
class EscalationFacts:
    actor: Actor
    ball_with: str
    level: int
    top_level: int
    proposed_by: str | None = None
    deadline: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    now: dt.datetime = EPOCH


def _facts(event: EventData) -> EscalationFacts:
    return event.kwargs["facts"]


def by_participant(event: EventData) -> bool:
    """A member of either side who is not a viewer."""
    actor = _facts(event).actor
    return actor.side is not None and actor.role not in (None, "viewer")


def by_system(event: EventData) -> bool:
    return _facts(event).actor.is_system


def deadline_passed(event: EventData) -> bool:
    facts = _facts(event)
    return facts.deadline is not None and facts.deadline <= facts.now


def below_top_level(event: EventData) -> bool:
    facts = _facts(event)
    return facts.level < facts.top_level


def not_the_proposer(event: EventData) -> bool:
    facts = _facts(event)
    return facts.actor.side is not None and facts.actor.side != facts.proposed_by


def recently_resolved(event: EventData) -> bool:
    facts = _facts(event)
    return facts.resolved_at is not None and facts.now - facts.resolved_at <= dt.timedelta(
        days=REOPEN_DAYS
    )


CONDITION_PHRASES: dict[Callable[[EventData], bool], str] = {
    by_participant: "by a member of either side who is not a viewer",
    by_system: "by the system",
    deadline_passed: "once the deadline has passed",
    below_top_level: "below the top level of the ladder",
    not_the_proposer: "by the side that did not propose it",
    recently_resolved: f"within {REOPEN_DAYS} days of its resolution",
}
WHO_CONDITIONS = frozenset({by_participant, by_system, not_the_proposer})

S = EscalationState
TRANSITIONS: list[dict[str, Any]] = [
    # Passing the ball or commenting: the service tells which by the side holding it.
    {"trigger": "answer", "source": S.OPEN, "dest": None, "conditions": [by_participant]},
    {
        "trigger": "escalate",
        "source": S.OPEN,
        "dest": None,
        "conditions": [by_participant, below_top_level],
    },
    {
        "trigger": "escalate",
        "source": S.OPEN,
        "dest": None,
        "conditions": [by_system, deadline_passed, below_top_level],
    },
    {
        "trigger": "propose_resolution",
        "source": S.OPEN,
        "dest": S.RESOLUTION_PROPOSED,
        "conditions": [by_participant],
    },
    {
        "trigger": "accept_resolution",
        "source": S.RESOLUTION_PROPOSED,
        "dest": S.RESOLVED,
        "conditions": [by_participant, not_the_proposer],
    },
    {
        "trigger": "decline_resolution",
        "source": S.RESOLUTION_PROPOSED,
        "dest": S.OPEN,
        "conditions": [by_participant, not_the_proposer],
    },
    {
        "trigger": "reopen",
        "source": S.RESOLVED,
        "dest": S.OPEN,
        "conditions": [by_participant, recently_resolved],
    },
]


class EscalationWorkflow:
    """Built once per process; binds one escalation for the length of one event."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in EscalationState],
            transitions=[as_strings(t) for t in TRANSITIONS],
            initial=EscalationState.OPEN.value,
            auto_transitions=False,
            send_event=True,
            after_state_change=[run_on_change],
        )

    def allowed_events(self, state: str, facts: EscalationFacts) -> list[str]:
        return permitted(self.machine, str(state), [e.value for e in USER_EVENTS], facts=facts)

    def destination(self, state: str, event: EscalationEvent, facts: EscalationFacts) -> str:
        transition = transition_for(self.machine, str(state), event.value, facts=facts)
        if transition is None:
            return ""
        return transition.dest or transition.source

    def fire(
        self,
        escalation: Any,
        event: EscalationEvent,
        facts: EscalationFacts,
        on_change: Callable[[str, str], None] | None = None,
    ) -> bool:
        holder = StateHolder(escalation, EscalationState)
        self.machine.add_model(holder, initial=holder.state)
        try:
            return bool(getattr(holder, event.value)(facts=facts, on_change=on_change))
        finally:
            self.machine.remove_model(holder)


def refusal(state: str, event: EscalationEvent, facts: EscalationFacts) -> tuple[bool, str]:
    """Whether a refusal is about the person, and the first unmet condition in words."""
    machine = escalation_workflow().machine
    candidates = machine.events[event.value].transitions.get(str(state), [])
    label = EVENT_SPECS[event].label
    if not candidates:
        return False, f"{label} is not possible while it is {str(state).replace('_', ' ')}"
    event_data = EventData(None, machine.events[event.value], machine, None, (), {"facts": facts})
    for condition in candidates[0].conditions:
        if not condition.check(event_data):
            phrase = CONDITION_PHRASES.get(condition.func, condition.func.__name__)
            return condition.func in WHO_CONDITIONS, f"{label} only {phrase}"
    return False, "not allowed now"


@functools.cache
def escalation_workflow() -> EscalationWorkflow:
    return EscalationWorkflow()


def diagram_label(transition: dict[str, Any]) -> str:
    label = EVENT_SPECS[EscalationEvent(transition["trigger"])].label
    return edge_label(label, transition.get("conditions", ()), CONDITION_PHRASES, WHO_CONDITIONS)


@functools.cache
def diagram_svg() -> str:
    """The escalation's state diagram, drawn from the declaration once per process."""
    return draw_diagram(
        [state.value for state in EscalationState],
        EscalationState.OPEN.value,
        TRANSITIONS,
        diagram_label,
    )
