"""Writing audit events; every service that changes data calls ``record``."""

from __future__ import annotations

from typing import Any

from contracts_app.accounts.models import User
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db, utcnow


def record(
    action: str,
    obj: Any,
    actor: User | None,
    *,
    agreement_id: int | None,
    changes: dict[str, Any] | None = None,
    comment: str = "",
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change)."""
    event = AuditEvent(
        agreement_id=agreement_id,
        actor_id=actor.id if actor is not None else None,
        occurred_at=utcnow(),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        changes=changes or {},
        comment=comment,
    )
    db.session.add(event)
    return event


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value differs, as ``{field: {"before", "after"}}`` (JSON-safe)."""
    return {
        key: {"before": _json_safe(before.get(key)), "after": _json_safe(after.get(key))}
        for key in after
        if before.get(key) != after.get(key)
    }


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)
