"""The task workflow: what people decide after a task's scope check.

A task lands in its verdict's state when it is recorded (set directly, in bulk,
without the machine); the machine is used for the events a person fires. Who may
fire each event is a condition on its transitions, read from ``TaskFacts``, so the
decisions a page offers are exactly those the machine would fire, and a bulk decision
asks the same machine without binding any task.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable
from typing import Any

from transitions import EventData, Machine

from workflows.binding import (
    EventSpec,
    StateHolder,
    as_strings,
    draw_diagram,
    permitted,
    transition_for,
)
from workflows.task_states import TaskState


class TaskEvent(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    ESCALATE = "escalate"
    PROPOSE_ANNEX = "propose_annex"


# Events that may be taken for several tasks at once from the task list.
BULK_EVENTS = (TaskEvent.ACCEPT, TaskEvent.REJECT, TaskEvent.ESCALATE)


@dataclasses.dataclass(frozen=True)
class TaskFacts:
    """What the conditions and the labels read: who acts, and whether the task's clause
    has a cap its acceptance would count against."""

    role: str | None = None
    is_admin: bool = False
    capped: bool = False


def _facts(event: EventData) -> TaskFacts:
    return event.kwargs["facts"]


# --- conditions ---------------------------------------------------------------------------


def by_decider(event: EventData) -> bool:
    """Accepting or rejecting binds the agreement's budget: managers and approvers."""
    facts = _facts(event)
    return facts.is_admin or facts.role in ("manager", "approver")


def by_participant(event: EventData) -> bool:
    """Anyone who takes part in the work (not a viewer) may escalate."""
    facts = _facts(event)
    return facts.is_admin or facts.role in ("manager", "approver", "contributor")


def by_manager(event: EventData) -> bool:
    facts = _facts(event)
    return facts.is_admin or facts.role == "manager"


CONDITION_PHRASES: dict[Callable[[EventData], bool], str] = {
    by_decider: "by a manager or an approver",
    by_participant: "by a manager, an approver or a contributor",
    by_manager: "by a manager",
}


T = TaskState
_OPEN = [T.IN_SCOPE, T.OVER_CAP, T.OUT_OF_SCOPE, T.NEEDS_REVIEW]
TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "accept",
        "source": [*_OPEN, T.ESCALATED, T.ANNEX_PROPOSED],
        "dest": T.ACCEPTED,
        "conditions": [by_decider],
    },
    {
        "trigger": "reject",
        "source": [*_OPEN, T.ESCALATED, T.ANNEX_PROPOSED],
        "dest": T.REJECTED,
        "conditions": [by_decider],
    },
    {"trigger": "escalate", "source": _OPEN, "dest": T.ESCALATED, "conditions": [by_participant]},
    {
        "trigger": "propose_annex",
        "source": [T.OVER_CAP, T.OUT_OF_SCOPE, T.NEEDS_REVIEW, T.ESCALATED],
        "dest": T.ANNEX_PROPOSED,
        "conditions": [by_manager],
    },
]

# What each event needs from a form; pages and the API render these.
EVENT_SPECS: dict[TaskEvent, EventSpec] = {
    TaskEvent.ACCEPT: EventSpec("accept", "Accept", help="The task is covered by the agreement."),
    TaskEvent.REJECT: EventSpec(
        "reject", "Reject", danger=True, help="The task is not charged under the agreement."
    ),
    TaskEvent.ESCALATE: EventSpec(
        "escalate",
        "Escalate to the managers",
        comment="required",
        help="Open or join the escalation of this task; say why.",
    ),
    TaskEvent.PROPOSE_ANNEX: EventSpec(
        "propose_annex", "Turn into a draft annex", help="Draft an annex that covers this task."
    ),
}
# Accepting a task whose clause has a cap uses some of it: the label says so.
_ACCEPT_CAPPED = dataclasses.replace(
    EVENT_SPECS[TaskEvent.ACCEPT],
    label="Accept (counts against the cap)",
    help="The task is covered and counts against its clause's cap.",
)


def spec_for(event: TaskEvent | str, facts: TaskFacts) -> EventSpec:
    """The event as a form offers it for this task."""
    event = TaskEvent(event)
    if event == TaskEvent.ACCEPT and facts.capped:
        return _ACCEPT_CAPPED
    return EVENT_SPECS[event]


class TaskWorkflow:
    """Built once per process; binds one task for the length of one event."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in TaskState],
            transitions=[as_strings(t) for t in TRANSITIONS],
            initial=TaskState.NEEDS_REVIEW.value,
            auto_transitions=False,
            send_event=True,
        )

    def allowed_events(
        self,
        state: TaskState | str,
        facts: TaskFacts,
        events: Iterable[TaskEvent] = tuple(TaskEvent),
    ) -> list[str]:
        """The events the machine would fire now for this person (nothing bound)."""
        return permitted(self.machine, str(state), [e.value for e in events], facts=facts)

    def may(self, state: TaskState | str, event: TaskEvent, facts: TaskFacts) -> bool:
        return transition_for(self.machine, str(state), event.value, facts=facts) is not None

    def destination(self, state: TaskState | str, event: TaskEvent, facts: TaskFacts) -> str:
        """Where ``event`` would take a task in ``state`` ("" when it would not fire),
        evaluated on the machine's own transitions with nothing bound."""
        transition = transition_for(self.machine, str(state), event.value, facts=facts)
        if transition is None:
            return ""
        return transition.dest or transition.source

    def fire(self, task: Any, event: TaskEvent, facts: TaskFacts) -> bool:
        holder = StateHolder(task, TaskState)
        self.machine.add_model(holder, initial=holder.state)
        try:
            return bool(getattr(holder, event.value)(facts=facts))
        finally:
            self.machine.remove_model(holder)


# Conditions about who acts: a refusal by one of them is about the person (403).
WHO_CONDITIONS = frozenset({by_decider, by_participant, by_manager})


def refusal(state: TaskState | str, event: TaskEvent, facts: TaskFacts) -> tuple[bool, str]:
    """Why the machine will not fire ``event``: whether it is about the person, and why
    in plain words."""
    machine = task_workflow().machine
    label = EVENT_SPECS[event].label
    candidates = machine.events[event.value].transitions.get(str(state), [])
    if not candidates:
        return False, f"“{label}” is not possible while it is {str(state).replace('_', ' ')}"
    event_data = EventData(None, machine.events[event.value], machine, None, (), {"facts": facts})
    for condition in candidates[-1].conditions:
        if not condition.check(event_data):
            phrase = CONDITION_PHRASES.get(condition.func, condition.func.__name__)
            return condition.func in WHO_CONDITIONS, f"“{label}” only {phrase}"
    return False, "not allowed now"


@functools.cache
def task_workflow() -> TaskWorkflow:
    return TaskWorkflow()


@functools.cache
def diagram_svg() -> str:
    """The task's state diagram, drawn from the declaration once per process."""
    return draw_diagram(
        [state.value for state in TaskState],
        TaskState.NEEDS_REVIEW.value,
        TRANSITIONS,
        lambda transition: EVENT_SPECS[TaskEvent(transition["trigger"])].label,
    )
