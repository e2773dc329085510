"""Binding one object to a machine built once, for the length of one event."""

from __future__ import annotations

import enum
from typing import Any


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
