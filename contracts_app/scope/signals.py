"""Who is told when an agreement's scope changes from a date on.

The annex service sends ``scope_changed`` inside the transaction that applied the
change; the tasks domain (higher up) connects its re-check in ``create_app``, so the
scope and the verdicts it implies commit together without annexes importing tasks.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Agreement; keyword arguments: start (date), annex_id (int | None)
scope_changed = _signals.signal("scope-changed")
