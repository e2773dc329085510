"""The task workflow: what people decide after a task's scope check.

A task lands in its verdict's state when it is recorded (set directly, in bulk,
without the machine); the machine is used for the events a person fires.
"""

from __future__ import annotations

import enum
import functools
from typing import Any

from transitions import Machine

from workflows.binding import StateHolder, draw_diagram
from workflows.task_states import TaskState


class TaskEvent(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    ESCALATE = "escalate"
    PROPOSE_ANNEX = "propose_annex"


T = TaskState
_OPEN = [T.IN_SCOPE, T.OVER_CAP, T.OUT_OF_SCOPE, T.NEEDS_REVIEW]
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "accept", "source": [*_OPEN, T.ESCALATED, T.ANNEX_PROPOSED], "dest": T.ACCEPTED},
    {"trigger": "reject", "source": [*_OPEN, T.ESCALATED, T.ANNEX_PROPOSED], "dest": T.REJECTED},
    {"trigger": "escalate", "source": _OPEN, "dest": T.ESCALATED},
    {
        "trigger": "propose_annex",
        "source": [T.OVER_CAP, T.OUT_OF_SCOPE, T.NEEDS_REVIEW, T.ESCALATED],
        "dest": T.ANNEX_PROPOSED,
    },
]

# Who may fire each event (agreement roles).
PERMISSIONS: dict[TaskEvent, frozenset[str]] = {
    TaskEvent.ACCEPT: frozenset({"manager", "approver"}),
    TaskEvent.REJECT: frozenset({"manager", "approver"}),
    TaskEvent.ESCALATE: frozenset({"manager", "approver", "contributor"}),
    TaskEvent.PROPOSE_ANNEX: frozenset({"manager"}),
}
COMMENT_REQUIRED = frozenset({TaskEvent.ESCALATE})
# The events as people call them (the diagram's edges).
EVENT_LABELS: dict[TaskEvent, str] = {
    TaskEvent.ACCEPT: "Accept",
    TaskEvent.REJECT: "Reject",
    TaskEvent.ESCALATE: "Escalate",
    TaskEvent.PROPOSE_ANNEX: "Turn into a draft annex",
}


class TaskWorkflow:
    """Built once per process; binds one task for the length of one event."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in TaskState],
            transitions=[
                {
                    **t,
                    "source": [str(s) for s in t["source"]],
                    "dest": str(t["dest"]),
                }
                for t in TRANSITIONS
            ],
            initial=TaskState.NEEDS_REVIEW.value,
            auto_transitions=False,
        )

    def allowed_events(self, state: TaskState | str) -> list[str]:
        triggers = set(self.machine.get_triggers(str(state)))
        return [event.value for event in TaskEvent if event.value in triggers]

    def fire(self, task: Any, event: TaskEvent) -> bool:
        holder = StateHolder(task, TaskState)
        self.machine.add_model(holder, initial=holder.state)
        try:
            return bool(getattr(holder, event.value)())
        finally:
            self.machine.remove_model(holder)


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
        lambda transition: EVENT_LABELS[TaskEvent(transition["trigger"])],
    )
