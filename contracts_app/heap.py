"""Bulk work and Python's cyclic garbage collector.

The cyclic collector runs every time enough container objects have been made, and a
full collection walks every object of the process: the application's modules, its
caches (compiled scope versions hold thousands of clauses) and whatever the current
work holds. An import of tens of thousands of rows makes that many long-lived objects
(rows, their checks, their verdicts) and almost no cycles; the collections it set off
walked the growing heap again and again, about a sixth of an import's time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_collection_paused() -> Iterator[None]:
    """Run the body without cyclic garbage collection, then resume it as it was.

    Memory is still freed as the body goes (reference counting frees everything that is
    not in a cycle); the few cycles the body leaves are collected after it, by the next
    collection. Meant for bounded bulk work, not for open-ended loops.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
