"""What the tasks domain tells higher domains, inside the transaction of the event."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Task; keyword arguments: actor (User), membership, comment (str)
task_escalated = _signals.signal("task-escalated")
