"""Bulk work and Python's cyclic garbage collector.

A full collection walks every object of the process: the application's modules, its
caches (compiled scope versions hold thousands of clauses) and whatever the current work
holds. An import of tens of thousands of rows makes that many long-lived objects, which
trigger full collections as they accumulate; each one walked the whole process again,
about a fifth of an import's time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """Run the body with the objects that existed before it left out of collections
    (``gc.freeze``), then put them back (``gc.unfreeze``).

    What the body makes is collected as usual, cycles included, and nothing is ever
    kept: the older objects are only not walked again while the body runs. With two of
    these at once (threads), the first to end puts everything back, which is harmless.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
