"""A module-level lock for the render-child test: held by a thread of the test process."""

from __future__ import annotations

import threading

LOCK = threading.Lock()


def answer_under_lock(sender) -> None:
    with LOCK:
        sender.send("took the lock")
    sender.close()
