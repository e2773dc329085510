"""The Huey queue: SQLite under instance/ by default, Redis when REDIS_URL is set.

The queue object exists at import (tasks register on it); ``init_app`` gives it the
storage the configuration names, and after each commit that wrote notifications it
enqueues their delivery. The database stays the source of truth: a lost queue entry
only delays a delivery until the periodic sweep.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from contracts_app.db import db
from contracts_app.notifications.services import OUTBOX_KEY

log = logging.getLogger(__name__)

huey = Huey("contracts", storage_class=MemoryStorage, utc=True)
_state: dict[str, Any] = {"app": None}


def init_app(app: Flask) -> None:
    """Point the queue at the configured storage and enqueue deliveries after commits."""
    if app.config.get("REDIS_URL"):
        huey.storage = RedisStorage(huey.name, url=app.config["REDIS_URL"])
    else:
        path = Path(app.config["HUEY_SQLITE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage = SqliteStorage(huey.name, filename=str(path))
    _state["app"] = app
    app.extensions["huey"] = huey
    factory = db.session.session_factory
    if not event.contains(factory, "after_commit", _enqueue_after_commit):
        event.listen(factory, "after_commit", _enqueue_after_commit)
        event.listen(factory, "after_rollback", _forget)


def current_app_for_jobs() -> Flask:
    app = _state["app"]
    if app is None:
        raise RuntimeError("The job queue has no application; call init_app first.")
    return app


def _forget(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)


def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(OUTBOX_KEY, None)
    if not ids:
        return
    from contracts_app.jobs.tasks import deliver_notifications

    try:
        deliver_notifications(sorted(set(ids)))
    except Exception as exc:  # the queue being down must not undo a committed event
        # The rows are committed and pending: the periodic sweep delivers them.
        log.warning("could not enqueue the delivery of %d notification(s): %s", len(ids), exc)
