"""The audit trail: every change writes an event, chained per agreement with an HMAC.

Each event's ``mac`` is HMAC-SHA-256 over its canonical content and the previous
event's ``mac``, keyed with ``AUDIT_HMAC_KEY`` (held outside the database; a
development key is generated under ``instance/``). Someone with database access
alone can therefore not edit, delete or reorder events and re-compute the chain
unnoticed. Deleting the newest events leaves a shorter chain that still verifies,
which is why signed-off summaries carry the head of the chain at their issue time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from contracts_app.accounts.models import User
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db, utcnow
from contracts_app.sorting import Sorting

GLOBAL_CHAIN = "global"
_fallback_key: bytes | None = None


def chain_of(agreement_id: int | None) -> str:
    return f"agreement:{agreement_id}" if agreement_id is not None else GLOBAL_CHAIN


def _key() -> bytes:
    global _fallback_key
    if has_app_context():
        configured = current_app.config.get("AUDIT_HMAC_KEY")
        if configured:
            return configured.encode()
        path = Path(current_app.instance_path) / "audit_hmac_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()
    if _fallback_key is None:  # outside an application (scripts): a process-local key
        _fallback_key = secrets.token_bytes(32)
    return _fallback_key


def canonical(event: AuditEvent) -> bytes:
    body = {
        "chain": event.chain,
        "seq": event.seq,
        "agreement_id": event.agreement_id,
        "actor_id": event.actor_id,
        "occurred_at": event.occurred_at.isoformat(),
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "comment": event.comment,
        "prev_mac": event.prev_mac,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(event: AuditEvent) -> str:
    return hmac.new(_key(), canonical(event), hashlib.sha256).hexdigest()


def _lock_chain(chain: str) -> None:
    """Serialise appends to one chain (SQLite's immediate transaction already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(chain.encode()).digest()[:8], "big", signed=True)
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def record(
    action: str,
    obj: Any,
    actor: User | None,
    *,
    agreement_id: int | None,
    changes: dict[str, Any] | None = None,
    comment: str = "",
) -> AuditEvent:
    """Append an event to its chain in the current transaction (it commits with the change)."""
    chain = chain_of(agreement_id)
    _lock_chain(chain)
    last = db.session.execute(
        sa.select(AuditEvent.seq, AuditEvent.mac)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    event = AuditEvent(
        agreement_id=agreement_id,
        actor_id=actor.id if actor is not None else None,
        occurred_at=utcnow(),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        # stored as JSON: keep exactly what the database will give back
        changes=json.loads(json.dumps(changes or {}, default=str)),
        comment=comment,
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        prev_mac=last.mac if last else None,
    )
    event.mac = compute_mac(event)
    db.session.add(event)
    db.session.flush()
    return event


@dataclasses.dataclass
class ChainReport:
    chain: str
    events: int
    intact: bool
    head: str | None = None
    broken_at: int | None = None  # the seq of the first event that does not check out
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def verify_chain(chain: str) -> ChainReport:
    """Check every event of a chain: sequence, link to the previous event, and its MAC."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq, AuditEvent.id)
    ).all()

    def broken(at: int, reason: str) -> ChainReport:
        return ChainReport(chain, len(events), False, None, at, reason)

    previous_mac = None
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return broken(
                event.seq or expected_seq, f"event {expected_seq} is missing or out of order"
            )
        if event.prev_mac != previous_mac:
            return broken(event.seq, "does not link to the event before it (deleted or reordered)")
        if not hmac.compare_digest(event.mac or "", compute_mac(event)):
            return broken(event.seq, "its content was changed after it was written")
        previous_mac = event.mac
    return ChainReport(chain, len(events), True, previous_mac)


def chain_head(agreement_id: int) -> str | None:
    return db.session.scalar(
        sa.select(AuditEvent.mac)
        .where(AuditEvent.chain == chain_of(agreement_id))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def all_chains() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEvent.chain).distinct().order_by(AuditEvent.chain))
    )


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


EVENT_SORTING = Sorting(
    columns={
        "entry": AuditEvent.seq,
        "when": AuditEvent.occurred_at,
        "action": AuditEvent.action,
        "object": AuditEvent.object_type,
    },
    default="-entry",
    tiebreaker=AuditEvent.id,
)


def list_events(
    agreement_id: int, page: int, per_page: int, sort: str | None = None
) -> tuple[list[AuditEvent], int]:
    """One page of the agreement's audit events, newest entry first unless ``sort`` says
    otherwise. Refuses a field ``EVENT_SORTING`` does not offer."""
    order = EVENT_SORTING.order_by(sort)
    query = sa.select(AuditEvent).where(AuditEvent.agreement_id == agreement_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def history_of(obj: Any) -> list[AuditEvent]:
    """The events about one object (an annex, a task...), oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.object_type == type(obj).__name__.lower(),
                AuditEvent.object_id == obj.id,
            )
            .order_by(AuditEvent.id)
        ).all()
    )
