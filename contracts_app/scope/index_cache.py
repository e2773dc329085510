"""Compiled scope versions for task checks, cached per process.

A scope version's clauses never change once written (a change writes a new version),
so a version compiled once stays right; the key includes the time it was recorded, so
a row id reused after a rollback can never return another version's clauses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.scope.services import spec_of
from contracts_app.tasks.verdicts import ScopeIndex

MAX_CACHED_VERSIONS = 256
_cache: OrderedDict[tuple, ScopeIndex] = OrderedDict()
_lock = threading.Lock()


def index_for(version: ScopeVersion) -> ScopeIndex:
    key = (version.id, version.agreement_id, version.recorded_at)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    clauses = db.session.scalars(
        sa.select(Clause).where(Clause.scope_version_id == version.id).order_by(Clause.position)
    ).all()
    index = ScopeIndex.build(version.number, {c.ref: spec_of(c) for c in clauses})
    with _lock:
        _cache[key] = index
        while len(_cache) > MAX_CACHED_VERSIONS:
            _cache.popitem(last=False)
    return index
