"""Binding one object to a machine built once, for the length of one event, and asking a
machine what it would allow without binding anything."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from transitions import EventData, Machine


class StateHolder:
    """Stands for one object while it is bound to a machine.

    The machine reads and writes ``state`` as a string; the holder converts to the
    object's enum column. A fresh holder per event, removed from the machine after,
    means the machine never keeps the objects it acted on.
    """

    def __init__(self, target: Any, state_type: type[enum.StrEnum]) -> None:
        self._target = target
        self._state_type = state_type

    @property
    def state(self) -> str:
        return str(self._target.state.value)

    @state.setter
    def state(self, value: str) -> None:
        self._target.state = self._state_type(value)


@dataclasses.dataclass(frozen=True)
class EventSpec:
    """What a form needs to offer one event: published by the machine, rendered by pages.

    ``comment`` is "required", "optional" or "none"; ``for_side`` says the event is given
    for the actor's side (an approval, a signature); ``danger`` events ask for confirmation.
    """

    name: str
    label: str
    comment: str = "optional"
    password: bool = False
    for_side: bool = False
    danger: bool = False
    help: str = ""
    date: bool = False  # the event carries an effective date

    @property
    def comment_required(self) -> bool:
        return self.comment == "required"

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "label": self.label,
            "comment": self.comment,
            "password": self.password,
            "for_side": self.for_side,
            "danger": self.danger,
            "date": self.date,
        }


def transition_for(machine: Machine, state: str, trigger: str, **kwargs: Any) -> Any | None:
    """The transition ``trigger`` would take from ``state`` with these arguments, or None.

    Evaluates the machine's own conditions, in declaration order, exactly as firing
    would, but binds no object and changes nothing. Conditions must read only their
    keyword arguments (machines here are built with ``send_event=True``).
    """
    event = machine.events.get(trigger)
    if event is None:
        return None
    event_data = EventData(None, event, machine, None, (), kwargs)
    for transition in event.transitions.get(state, []):
        if all(condition.check(event_data) for condition in transition.conditions):
            return transition
    return None


def permitted(machine: Machine, state: str, triggers: Iterable[str], **kwargs: Any) -> list[str]:
    """The triggers that would fire from ``state`` with these arguments, in the given order."""
    return [
        trigger
        for trigger in triggers
        if transition_for(machine, state, trigger, **kwargs) is not None
    ]


def run_on_change(event: EventData) -> None:
    """After every transition of a machine built here: the service's own step (rows,
    scope, audit) runs, given the source and destination states."""
    on_change: Callable[[str, str], None] | None = event.kwargs.get("on_change")
    if on_change is not None:
        on_change(event.transition.source, event.transition.dest or event.transition.source)


def as_strings(transition: dict[str, Any]) -> dict[str, Any]:
    """A transition declared with enum members, as the strings ``transitions`` takes."""
    converted = dict(transition)
    source = transition["source"]
    converted["trigger"] = str(transition["trigger"])
    converted["source"] = [str(s) for s in source] if isinstance(source, list) else str(source)
    converted["dest"] = None if transition["dest"] is None else str(transition["dest"])
    return converted


def edge_label(
    label: str,
    conditions: Iterable[Callable[..., bool]],
    phrases: Mapping[Callable[..., bool], str],
    quiet: Collection[Callable[..., bool]] = (),
) -> str:
    """A transition as the diagram names it: the event as people call it, then when it
    applies in short phrases ("Sign — when every side has signed and the effective date
    has come"). Conditions about who acts, or true of every step (``quiet``), are left
    to the forms, which offer each person only what they may do."""
    said = [phrases[c] for c in conditions if c not in quiet and c in phrases]
    if not said:
        return label
    joined = said[0]
    for phrase in said[1:]:
        first, _, rest = phrase.partition(" ")
        joined += f" and {rest if first in ('when', 'once', 'while') and rest else phrase}"
    return f"{label} \u2014 {joined}"


def draw_diagram(
    states: Iterable[str],
    initial: str,
    transitions: Iterable[dict[str, Any]],
    label_for: Callable[[dict[str, Any]], str],
) -> str:
    """The state diagram of a machine drawn from its declaration (Graphviz ``dot``).

    Transitions that stay in their state (an approval recorded while the other side is
    still to approve) are not drawn; each edge carries ``label_for(transition)``.
    """
    from transitions.extensions import GraphMachine

    drawn = [
        {**as_strings(t), "trigger": label_for(t), "conditions": []}
        for t in transitions
        if t["dest"] is not None
    ]
    machine = GraphMachine(
        states=list(states),
        transitions=drawn,
        initial=initial,
        auto_transitions=False,
        graph_engine="graphviz",
        show_conditions=False,
        title="",
    )
    svg = machine.get_graph().pipe(format="svg").decode()
    # The drawing machine marks its own (initial) state as active; pages mark the object's.
    return svg.replace('fill="darksalmon" stroke="red"', 'fill="white" stroke="black"').replace(
        'stroke="red"', 'stroke="black"'
    )


def highlight_state(svg: str, state: str) -> str:
    """A diagram for a page: its XML prologue removed and ``state`` marked as current
    (styled by the stylesheet)."""
    svg = re.sub(r"<\?xml[^>]*>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    return svg.replace(
        f'class="node">\n<title>{state}</title>', f'class="node current">\n<title>{state}</title>'
    )
