"""The annex approval workflow, declared once as data and built into one machine.

States are in ``workflows.annex_states``. Who may fire what is declared here as
role names; the service checks them against agreement memberships. The service
also owns the transaction: ``transitions`` does not undo a state change when a
callback raises, so every event runs inside a database transaction that is rolled
back (restoring the state column) on any error.
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
from workflows.binding import StateHolder


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

# Who may fire each event: agreement roles, plus "author" for the annex's author.
PERMISSIONS: dict[AnnexEvent, frozenset[str]] = {
    AnnexEvent.SUBMIT: frozenset({"manager"}),
    AnnexEvent.APPROVE: frozenset({"approver"}),
    AnnexEvent.REQUEST_CHANGES: frozenset({"approver"}),
    AnnexEvent.REJECT: frozenset({"approver"}),
    AnnexEvent.WITHDRAW: frozenset({"manager", "author"}),
    AnnexEvent.SIGN: frozenset({"approver"}),
}
# Events recorded for the actor's side (approvals and signatures are per side).
FOR_A_SIDE = frozenset({AnnexEvent.APPROVE, AnnexEvent.SIGN})
COMMENT_REQUIRED = frozenset({AnnexEvent.REQUEST_CHANGES, AnnexEvent.REJECT})
PASSWORD_REQUIRED = frozenset({AnnexEvent.SIGN})


@dataclasses.dataclass(frozen=True)
class AnnexFacts:
    """What the conditions need to know, gathered by the service under its lock.

    ``approved_sides`` and ``signed_sides`` include the approval or signature
    being recorded by the current event.
    """

    required_sides: frozenset[str]
    approved_sides: frozenset[str] = frozenset()
    signed_sides: frozenset[str] = frozenset()
    effective_date: dt.date = dt.date.min
    today: dt.date = dt.date.min


def _facts(event: EventData) -> AnnexFacts:
    return event.kwargs["facts"]


def every_side_approved(event: EventData) -> bool:
    facts = _facts(event)
    return facts.required_sides <= facts.approved_sides


def every_side_signed(event: EventData) -> bool:
    facts = _facts(event)
    return facts.required_sides <= facts.signed_sides


def effective_date_reached(event: EventData) -> bool:
    facts = _facts(event)
    return facts.effective_date <= facts.today


S = AnnexState
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "submit", "source": [S.DRAFT, S.CHANGES_REQUESTED], "dest": S.IN_REVIEW},
    {
        "trigger": "approve",
        "source": S.IN_REVIEW,
        "dest": S.APPROVED,
        "conditions": [every_side_approved],
    },
    {"trigger": "approve", "source": S.IN_REVIEW, "dest": None},  # recorded; other sides pending
    {"trigger": "request_changes", "source": S.IN_REVIEW, "dest": S.CHANGES_REQUESTED},
    {"trigger": "reject", "source": S.IN_REVIEW, "dest": S.REJECTED},
    {
        "trigger": "withdraw",
        "source": [S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED],
        "dest": S.WITHDRAWN,
    },
    {
        "trigger": "sign",
        "source": S.APPROVED,
        "dest": S.EFFECTIVE,
        "conditions": [every_side_signed, effective_date_reached],
    },
    {
        "trigger": "sign",
        "source": S.APPROVED,
        "dest": S.SCHEDULED,
        "conditions": [every_side_signed],
    },
    {"trigger": "sign", "source": S.APPROVED, "dest": None},  # recorded; other sides pending
    {
        "trigger": "activate",
        "source": S.SCHEDULED,
        "dest": S.EFFECTIVE,
        "conditions": [effective_date_reached],
    },
    {"trigger": "conflict", "source": [S.APPROVED, S.SCHEDULED], "dest": S.CHANGES_REQUESTED},
]


def _run_on_change(event: EventData) -> None:
    """After every transition: the service's own step (rows, scope, audit) runs here."""
    on_change: Callable[[str, str], None] | None = event.kwargs.get("on_change")
    if on_change is not None:
        on_change(event.transition.source, event.transition.dest or event.transition.source)


class AnnexWorkflow:
    """The annex machine, built once per process and shared by every request."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None,
            states=[state.value for state in AnnexState],
            transitions=[_as_strings(t) for t in TRANSITIONS],
            initial=AnnexState.DRAFT.value,
            auto_transitions=False,
            send_event=True,
            after_state_change=[_run_on_change],
        )

    def allowed_events(self, state: AnnexState | str) -> list[str]:
        """Events people may fire from ``state`` (asked without binding any object)."""
        triggers = set(self.machine.get_triggers(str(state)))
        return [event.value for event in USER_EVENTS if event.value in triggers]

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


def _as_strings(transition: dict[str, Any]) -> dict[str, Any]:
    converted = dict(transition)
    source = transition["source"]
    converted["source"] = [str(s) for s in source] if isinstance(source, list) else str(source)
    converted["dest"] = None if transition["dest"] is None else str(transition["dest"])
    return converted


@functools.cache
def annex_workflow() -> AnnexWorkflow:
    return AnnexWorkflow()


@functools.cache
def diagram_svg() -> str:
    """The state diagram drawn from the same declaration (Graphviz ``dot``), once per process."""
    from transitions.extensions import GraphMachine

    machine = GraphMachine(
        states=[state.value for state in AnnexState],
        transitions=[_as_strings(t) for t in TRANSITIONS],
        initial=AnnexState.DRAFT.value,
        auto_transitions=False,
        graph_engine="graphviz",
        show_conditions=True,
        title="",
    )
    svg = machine.get_graph().pipe(format="svg").decode()
    # The drawing machine marks its own (initial) state as active; pages mark the annex's.
    return svg.replace('fill="darksalmon" stroke="red"', 'fill="white" stroke="black"').replace(
        'stroke="red"', 'stroke="black"'
    )
