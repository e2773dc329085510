"""The annex approval workflow, declared once as data and built into one machine.

Every rule of the life cycle is a condition on a transition, read from an ``AnnexFacts``
gathered by the service under the agreement's lock: who acts (side, role, author,
administrator, the system), the approvals and signatures of the current review round,
whether the agreement is running, and the dates. So the events offered to a person are
exactly those the machine would fire for them, and the service refuses nothing the
machine could have known.

``transitions`` does not undo a state change when a callback raises, so the service
runs every event inside a database transaction that is rolled back on any error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine

from workflows.annex_states import AnnexState
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


class AnnexEvent(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SIGN = "sign"
    # fired by the system, not by people:
    ACTIVATE = "activate"
    CONFLICT = "conflict"


USER_EVENTS = (
    AnnexEvent.SUBMIT,
    AnnexEvent.APPROVE,
    AnnexEvent.REQUEST_CHANGES,
    AnnexEvent.REJECT,
    AnnexEvent.WITHDRAW,
    AnnexEvent.SIGN,
)

# What each person's event needs from a form; pages and the API render these.
EVENT_SPECS: dict[AnnexEvent, EventSpec] = {
    AnnexEvent.SUBMIT: EventSpec(
        "submit", "Submit for approval", comment="none", help="Send the annex to the approvers."
    ),
    AnnexEvent.APPROVE: EventSpec("approve", "Approve", for_side=True),
    AnnexEvent.REQUEST_CHANGES: EventSpec(
        "request_changes",
        "Request changes",
        comment="required",
        help="Send the annex back to its author; say what should change.",
    ),
    AnnexEvent.REJECT: EventSpec(
        "reject", "Reject", comment="required", danger=True, help="Reject the annex for good."
    ),
    AnnexEvent.WITHDRAW: EventSpec(
        "withdraw", "Withdraw", danger=True, help="Take the annex back; it cannot be reopened."
    ),
    AnnexEvent.SIGN: EventSpec(
        "sign",
        "Sign",
        comment="none",
        password=True,
        for_side=True,
        help="Sign for your side; your password is asked again.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who fires an event: a member of one side with one role, an administrator, or the
    system (scheduled activation, conflicts found while applying)."""

    side: str | None = None
    role: str | None = None
    is_admin: bool = False
    is_author: bool = False
    is_system: bool = False


SYSTEM = Actor(is_system=True)


@dataclasses.dataclass(frozen=True)
class AnnexFacts:
    """What the conditions read, gathered by the service under the agreement's lock.

    ``approved_sides`` and ``signed_sides`` are those of the current review round,
    before the event being fired.
    """

    actor: Actor
    required_sides: frozenset[str]
    approved_sides: frozenset[str] = frozenset()
    signed_sides: frozenset[str] = frozenset()
    agreement_running: bool = True
    effective_date: dt.date = dt.date.min
    today: dt.date = dt.date.min


def _facts(event: EventData) -> AnnexFacts:
    return event.kwargs["facts"]


# --- conditions ---------------------------------------------------------------------------


def by_manager(event: EventData) -> bool:
    actor = _facts(event).actor
    return actor.is_admin or actor.role == "manager"


def by_author_or_manager(event: EventData) -> bool:
    return _facts(event).actor.is_author or by_manager(event)


def by_required_approver(event: EventData) -> bool:
    """An approver of a side whose approval and signature the agreement requires."""
    facts = _facts(event)
    return facts.actor.role == "approver" and facts.actor.side in facts.required_sides


def by_system(event: EventData) -> bool:
    return _facts(event).actor.is_system


def agreement_running(event: EventData) -> bool:
    return _facts(event).agreement_running


def side_has_not_approved(event: EventData) -> bool:
    facts = _facts(event)
    return facts.actor.side not in facts.approved_sides


def side_has_not_signed(event: EventData) -> bool:
    facts = _facts(event)
    return facts.actor.side not in facts.signed_sides


def completes_approvals(event: EventData) -> bool:
    facts = _facts(event)
    return facts.required_sides <= facts.approved_sides | {facts.actor.side}


def completes_signatures(event: EventData) -> bool:
    facts = _facts(event)
    return facts.required_sides <= facts.signed_sides | {facts.actor.side}


def nothing_signed(event: EventData) -> bool:
    return not _facts(event).signed_sides


def effective_date_reached(event: EventData) -> bool:
    facts = _facts(event)
    return facts.effective_date <= facts.today


# Short phrases for the diagram and for refusals, one per condition.
CONDITION_PHRASES: dict[Callable[[EventData], bool], str] = {
    by_manager: "by a manager",
    by_author_or_manager: "by its author or a manager",
    by_required_approver: "by an approver of a side that approves",
    by_system: "by the system",
    agreement_running: "while the agreement is active or suspended",
    side_has_not_approved: "once per side",
    side_has_not_signed: "once per side",
    completes_approvals: "when every side has approved",
    completes_signatures: "when every side has signed",
    nothing_signed: "before any signature",
    effective_date_reached: "once the effective date has come",
}

S = AnnexState
_APPROVER_ONCE = [by_required_approver, side_has_not_approved, agreement_running]
_SIGNER_ONCE = [by_required_approver, side_has_not_signed, agreement_running]
TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "submit",
        "source": [S.DRAFT, S.CHANGES_REQUESTED],
        "dest": S.IN_REVIEW,
        "conditions": [by_manager, agreement_running],
    },
    {
        "trigger": "approve",
        "source": S.IN_REVIEW,
        "dest": S.APPROVED,
        "conditions": [*_APPROVER_ONCE, completes_approvals],
    },
    # recorded; other sides still to approve
    {"trigger": "approve", "source": S.IN_REVIEW, "dest": None, "conditions": _APPROVER_ONCE},
    {
        "trigger": "request_changes",
        "source": S.IN_REVIEW,
        "dest": S.CHANGES_REQUESTED,
        "conditions": [by_required_approver],
    },
    {
        "trigger": "reject",
        "source": S.IN_REVIEW,
        "dest": S.REJECTED,
        "conditions": [by_required_approver],
    },
    {
        "trigger": "withdraw",
        "source": [S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED],
        "dest": S.WITHDRAWN,
        "conditions": [by_author_or_manager, nothing_signed],
    },
    {
        "trigger": "sign",
        "source": S.APPROVED,
        "dest": S.EFFECTIVE,
        "conditions": [*_SIGNER_ONCE, completes_signatures, effective_date_reached],
    },
    {
        "trigger": "sign",
        "source": S.APPROVED,
        "dest": S.SCHEDULED,
        "conditions": [*_SIGNER_ONCE, completes_signatures],
    },
    # recorded; other sides still to sign
    {"trigger": "sign", "source": S.APPROVED, "dest": None, "conditions": _SIGNER_ONCE},
    {
        "trigger": "activate",
        "source": S.SCHEDULED,
        "dest": S.EFFECTIVE,
        "conditions": [by_system, agreement_running, effective_date_reached],
    },
    {
        "trigger": "conflict",
        "source": [S.APPROVED, S.SCHEDULED],
        "dest": S.CHANGES_REQUESTED,
        "conditions": [by_system],
    },
]


class AnnexWorkflow:
    """The annex machine, built once per process and shared by every request."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in AnnexState],
            transitions=[as_strings(t) for t in TRANSITIONS],
            initial=AnnexState.DRAFT.value,
            auto_transitions=False,
            send_event=True,
            after_state_change=[run_on_change],
        )

    def allowed_events(self, state: AnnexState | str, facts: AnnexFacts) -> list[str]:
        """The person's events that the machine would fire now for ``facts.actor``."""
        return permitted(self.machine, str(state), [e.value for e in USER_EVENTS], facts=facts)

    def destination(self, state: AnnexState | str, event: AnnexEvent, facts: AnnexFacts) -> str:
        """Where ``event`` would take the annex ("" when it would not fire), nothing bound."""
        transition = transition_for(self.machine, str(state), event.value, facts=facts)
        if transition is None:
            return ""
        return transition.dest or transition.source

    def fire(
        self,
        annex: Any,
        event: AnnexEvent,
        facts: AnnexFacts,
        on_change: Callable[[str, str], None] | None = None,
    ) -> bool:
        """Fire ``event`` on ``annex`` (any object with a ``state`` AnnexState attribute).

        Returns whether a transition happened. The object is bound for this call only.
        """
        holder = StateHolder(annex, AnnexState)
        self.machine.add_model(holder, initial=holder.state)
        try:
            return bool(getattr(holder, event.value)(facts=facts, on_change=on_change))
        finally:
            self.machine.remove_model(holder)


# Conditions about who acts; a refusal by one of these is about the person (403), by
# any other about the annex's state or the moment (409).
WHO_CONDITIONS = frozenset({by_manager, by_author_or_manager, by_required_approver, by_system})


def refusal(state: AnnexState | str, event: AnnexEvent, facts: AnnexFacts) -> tuple[bool, str]:
    """Why the machine will not fire ``event``: whether it is about the person, and the
    first unmet condition in plain words."""
    machine = annex_workflow().machine
    candidates = machine.events[event.value].transitions.get(str(state), [])
    if not candidates:
        label = EVENT_SPECS[event].label
        return False, f"“{label}” is not possible while it is {str(state).replace('_', ' ')}"
    event_data = EventData(None, machine.events[event.value], machine, None, (), {"facts": facts})
    # The most permissive transition (declared last) names the condition missing.
    for condition in candidates[-1].conditions:
        if not condition.check(event_data):
            phrase = CONDITION_PHRASES.get(condition.func, condition.func.__name__)
            return condition.func in WHO_CONDITIONS, f"{EVENT_SPECS[event].label} only {phrase}"
    return False, "not allowed now"


@functools.cache
def annex_workflow() -> AnnexWorkflow:
    return AnnexWorkflow()


# Events the system fires, as the diagram names them.
SYSTEM_LABELS = {AnnexEvent.ACTIVATE: "Takes effect", AnnexEvent.CONFLICT: "Conflict found"}
# Conditions true of every step or about who acts: the forms say those, not the diagram.
QUIET_CONDITIONS = WHO_CONDITIONS | {side_has_not_approved, side_has_not_signed, agreement_running}


def diagram_label(transition: dict[str, Any]) -> str:
    event = AnnexEvent(transition["trigger"])
    spec = EVENT_SPECS.get(event)
    label = spec.label if spec else SYSTEM_LABELS[event]
    return edge_label(label, transition.get("conditions", ()), CONDITION_PHRASES, QUIET_CONDITIONS)


@functools.cache
def diagram_svg() -> str:
    """The state diagram drawn from the same declaration, once per process: edges named
    as people call the events, with when each applies."""
    return draw_diagram(
        [state.value for state in AnnexState], AnnexState.DRAFT.value, TRANSITIONS, diagram_label
    )
