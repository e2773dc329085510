"""Compiled scope versions for task checks, cached per process.

A scope version's clauses never change once written (a change writes a new version),
so a version compiled once stays right; the key includes the time it was recorded, so
a row id reused after a rollback can never return another version's clauses.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Protocol

import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.scope.models import Clause
from contracts_app.scope.services import spec_of
from contracts_app.tasks.verdicts import ScopeIndex

# Bounded by clauses held, not by versions: many small versions or a few large ones.
MAX_CACHED_CLAUSES = 300_000
_cache: OrderedDict[tuple, ScopeIndex] = OrderedDict()
_held = 0
_lock = threading.Lock()


class VersionKey(Protocol):
    """What identifies a version's clauses: a ScopeVersion, or the row of ``version_key_on``."""

    id: int
    agreement_id: int
    number: int
    recorded_at: dt.datetime


def index_for(version: VersionKey) -> ScopeIndex:
    global _held
    key = (version.id, version.agreement_id, version.recorded_at)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    # Plain rows, not ORM objects: a version may hold thousands of clauses.
    rows = db.session.execute(
        sa.select(Clause.__table__)
        .where(Clause.__table__.c.scope_version_id == version.id)
        .order_by(Clause.__table__.c.position)
    ).all()
    index = ScopeIndex.build(version.number, {row.ref: spec_of(row) for row in rows})
    with _lock:
        if key not in _cache:
            _cache[key] = index
            _held += len(index.clauses)
        while _held > MAX_CACHED_CLAUSES and len(_cache) > 1:
            _key, evicted = _cache.popitem(last=False)
            _held -= len(evicted.clauses)
    return index
