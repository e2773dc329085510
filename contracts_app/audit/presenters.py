"""Audit events as sentences people read: who did what to which object, and what changed.

The one place that turns an event's code (``annex.approve``) and its stored changes
(``{"state": {"before": ..., "after": ...}}``) into words. The activity page and the
annex timeline use it; an event type it does not know still reads as a sentence
("Anna Nowak made a change to Annex 5 of AMS-2026-01 (title: ...)"), never as a code.

Objects are named as people name them (``Annex 5 of AMS-2026-01``, ``task INC-4711``,
``the summary of AMS-2026-01 as of 2026-11-25``); database ids belong in URLs only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from contracts_app import formatting
from contracts_app.accounts.models import ApiToken, User
from contracts_app.agreements.models import Agreement, Invitation, Membership
from contracts_app.annexes.models import Annex
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.documents.models import Document
from contracts_app.escalations.models import Escalation
from contracts_app.service_levels.models import Outage
from contracts_app.tasks.models import Task

# How a stored field is named in a sentence ("changed the effective date from ...").
FIELD_NAMES = {
    "sla_notes": "SLA notes",
    "is_active": "access",
    "ball_with": "side holding the ball",
    "pdf_sha256": "fingerprint of the signed PDF",
    "approval_sides": "sides that approve and sign annexes",
    "signoff_sides": "sides that sign off summaries",
    "escalation_ladder": "escalation ladder",
    "skipped_existing": "tasks already there",
    "scope_versions": "scope versions",
    "changes": "changes",
    "as_of": "date of the summary",
}
# Fields the known sentences already tell (the state an event moved to, who was invited
# as what), not listed again; an unknown event lists every field.
TOLD_BY_THE_SENTENCE = {
    "state",
    "status",
    "change",
    "verdicts",
    "profile",
    "tasks",
    "side",
    "role",
    "email",
    "user",
    "system",
    "planned",
    "clause",
    "changed",
    "scope_versions",
    "period",
    "as_of",
    "created",
}


@dataclasses.dataclass(frozen=True)
class EventLine:
    """One event as people read it."""

    event: AuditEvent
    who: str
    sentence: str  # a full sentence, starting with who did it
    details: tuple[str, ...] = ()  # "changed the title from “X” to “Y”"

    @property
    def occurred_at(self) -> dt.datetime:
        return self.event.occurred_at

    @property
    def comment(self) -> str:
        return self.event.comment


@dataclasses.dataclass
class _Context:
    """Everything the sentences of a page of events need, loaded in a few queries."""

    names: dict[tuple[str, int], str]
    sides: dict[tuple[int, int], str]  # (agreement id, user id) -> side
    approval_sides: dict[int, list[str]]  # agreement id -> sides that approve and sign

    def name(self, event: AuditEvent, fallback: str) -> str:
        if event.object_id is None:
            return fallback
        return self.names.get((event.object_type, event.object_id), fallback)

    def side(self, event: AuditEvent) -> str | None:
        if event.agreement_id is None or event.actor_id is None:
            return None
        return self.sides.get((event.agreement_id, event.actor_id))


def present(events: Sequence[AuditEvent]) -> list[EventLine]:
    """The events as sentences, in the order given."""
    context = _load_context(events)
    return [_line(event, context) for event in events]


def _ids(events: Iterable[AuditEvent], object_type: str) -> set[int]:
    return {e.object_id for e in events if e.object_type == object_type and e.object_id is not None}


def _load_context(events: Sequence[AuditEvent]) -> _Context:
    names: dict[tuple[str, int], str] = {}

    def load(model: Any, object_type: str, name: Callable[[Any], str], *options: Any) -> None:
        ids = _ids(events, object_type)
        if ids:
            rows = db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))
            for row in rows.unique():
                names[(object_type, row.id)] = name(row)

    load(Annex, "annex", lambda a: a.full_label, joinedload(Annex.agreement))
    load(Task, "task", lambda t: t.label)
    load(Agreement, "agreement", lambda a: a.code)
    load(Document, "document", _document_name, joinedload(Document.agreement))
    load(
        Escalation,
        "escalation",
        lambda e: f"{e.label} of {e.agreement.code}",
        joinedload(Escalation.agreement),
    )
    load(Invitation, "invitation", lambda i: f"the invitation of {i.email}")
    load(Membership, "membership", lambda m: m.user.name)
    load(Outage, "outage", lambda o: f"an outage of {o.system}")
    load(User, "user", lambda u: u.name)
    load(ApiToken, "apitoken", lambda t: f"the API token “{t.name}”")

    agreement_ids = {e.agreement_id for e in events if e.agreement_id is not None}
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    sides: dict[tuple[int, int], str] = {}
    approval_sides: dict[int, list[str]] = {}
    if agreement_ids:
        if actor_ids:
            for agreement_id, user_id, side in db.session.execute(
                sa.select(Membership.agreement_id, Membership.user_id, Membership.side).where(
                    Membership.agreement_id.in_(agreement_ids), Membership.user_id.in_(actor_ids)
                )
            ):
                sides[(agreement_id, user_id)] = side.value
        for agreement_id, governance in db.session.execute(
            sa.select(Agreement.id, Agreement.approval_sides).where(Agreement.id.in_(agreement_ids))
        ):
            approval_sides[agreement_id] = list(governance or [])
    return _Context(names, sides, approval_sides)


def _document_name(document: Document) -> str:
    if document.kind == "service_report":
        return f"the service report of {document.agreement.code} for {document.period}"
    return f"the summary of {document.agreement.code} as of {document.as_of}"


# --- sentences ----------------------------------------------------------------------------


def _after(event: AuditEvent, field: str) -> Any:
    change = (event.changes or {}).get(field)
    return change.get("after") if isinstance(change, Mapping) else None


def _before(event: AuditEvent, field: str) -> Any:
    change = (event.changes or {}).get(field)
    return change.get("before") if isinstance(change, Mapping) else None


def _as(side: Any, role: Any) -> str:
    """ " as customer approver", or as much of it as is known."""
    known = " ".join(str(part) for part in (side, role) if part)
    return f" as {known}" if known else ""


def _words(code: Any) -> str:
    return str(code).replace("_", " ")


def _side_waiting(event: AuditEvent, context: _Context, who_side: str | None) -> str:
    others = [s for s in context.approval_sides.get(event.agreement_id or 0, []) if s != who_side]
    return f"the {' and '.join(others)}" if others else "the other side"


def _annex(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    after = _after(event, "state")
    side = c.side(event)
    as_side = f" for the {side}" if side else ""
    if verb == "approve":
        if after == "in_review":
            return (
                f"{who} approved {what}{as_side}; "
                f"still waiting for {_side_waiting(event, c, side)} to approve."
            )
        return f"{who} approved {what}{as_side}; every side has approved, so it awaits signatures."
    if verb == "sign":
        if after == "approved":
            return (
                f"{who} signed {what}{as_side}; "
                f"still waiting for {_side_waiting(event, c, side)} to sign."
            )
        if after == "scheduled":
            return f"{who} signed {what}{as_side}; it is now signed and takes effect on its date."
        return f"{who} signed {what}{as_side}; it is now signed and in force."
    sentences = {
        "created": f"{who} drafted {what}.",
        "updated": f"{who} edited the draft {what}.",
        "submit": f"{who} submitted {what} for approval.",
        "request_changes": f"{who} asked for changes to {what}.",
        "reject": f"{who} rejected {what}.",
        "withdraw": f"{who} withdrew {what}.",
        "activate": f"{what} took effect on its date.",
        "conflict": f"{what} could not take effect and went back for changes.",
        "applied": f"{what} was applied to the scope.",
    }
    return sentences.get(verb)


AGREEMENT_REQUESTS = {
    "activate": "asked to activate",
    "suspend": "asked to suspend",
    "resume": "asked to resume",
    "terminate": "asked to terminate",
    "give_notice": "gave notice on",
}


def _agreement(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    status = _after(event, "status")
    effective = _after(event, "effective_date")
    on = f" as of {effective}" if effective else ""
    now = (
        f"; {what} is now {_words(status)}" if status and status != _before(event, "status") else ""
    )
    if verb in AGREEMENT_REQUESTS:
        return f"{who} {AGREEMENT_REQUESTS[verb]} {what}{on}{now}."
    sentences = {
        "created": f"{who} created the agreement {what}.",
        "updated": f"{who} changed {what}.",
        "governance_changed": f"The rules of consent of {what} changed.",
        "confirm": f"{who} confirmed the other side's request{on}{now}.",
        "decline": f"{who} declined the other side's request{on}.",
        "cancel": f"{who} withdrew their side's request{on}.",
        "expire": f"{what} expired at the end of its term.",
        "apply_scheduled": f"The agreed change of status took effect{on}{now}.",
    }
    return sentences.get(verb)


def _task(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    after = _after(event, "state")
    if verb == "recorded":
        clause = _after(event, "clause")
        return f"{who} recorded {what}: {_words(after)}" + (
            f" under clause {clause}." if clause else "."
        )
    sentences = {
        "accept": f"{who} accepted {what}.",
        "reject": f"{who} rejected {what}.",
        "escalate": f"{who} escalated {what}.",
        "propose_annex": f"{who} turned {what} into a draft annex.",
        "times_changed": f"{who} changed the ticket times of {what}.",
    }
    return sentences.get(verb)


def _tasks(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    if verb == "imported":
        profile, created = _after(event, "profile"), _after(event, "created")
        count = f" {formatting.counted(created, 'task', 'tasks')}" if created is not None else ""
        return f"{who} imported{count or ' tasks'}" + (
            f" with the profile “{profile}”." if profile else "."
        )
    if verb == "rechecked":
        changed = _after(event, "changed") or 0
        return (
            f"The tasks were checked again: {formatting.counted(changed, 'verdict', 'verdicts')} "
            "changed."
        )
    return None


def _escalation(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    sentences = {
        "raised": f"{who} raised {what}.",
        "answer": f"{who} answered {what}.",
        "escalate": f"{who} escalated {what} to the next level."
        if event.actor_id
        else f"{what} climbed to the next level: the deadline passed.",
        "propose_resolution": f"{who} proposed a resolution of {what}.",
        "accept_resolution": f"{who} accepted the resolution; {what} is resolved.",
        "decline_resolution": f"{who} declined the proposed resolution of {what}.",
        "reopen": f"{who} reopened {what}.",
    }
    return sentences.get(verb)


def _document(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    side = _after(event, "side")
    sentences = {
        "issued": f"{who} issued {what}.",
        "signed_off": f"{who} signed off {what}" + (f" for the {side}." if side else "."),
        "signed": f"{what} was signed off by every side and sealed.",
        "signing_failed": f"The signed PDF of {what} could not be prepared.",
        "signing_retried": f"{who} had the signed PDF of {what} prepared again.",
    }
    return sentences.get(verb)


def _invitation(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    if verb == "created":
        email = _after(event, "email") or "someone"
        return f"{who} invited {email}{_as(_after(event, 'side'), _after(event, 'role'))}."
    sentences = {
        "accepted": f"{who} accepted {what}.",
        "declined": f"{who} declined {what}.",
        "withdrawn": f"{who} withdrew {what}.",
    }
    return sentences.get(verb)


def _membership(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    if verb == "added":
        return f"{what} joined{_as(_after(event, 'side'), _after(event, 'role'))}."
    if verb == "role_changed":
        role, was = _after(event, "role"), _before(event, "role")
        return (
            f"{who} changed the role of {what}"
            + (f" to {role}" if role else "")
            + (f" (was {was})." if was else ".")
        )
    if verb == "removed":
        return f"{who} removed {what}{_as(_before(event, 'side'), _before(event, 'role'))}."
    return None


def _import_profile(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    name = event.comment or "an import profile"
    sentences = {
        "saved": f"{who} saved the import profile “{name}”.",
        "deleted": f"{who} deleted the import profile “{name}”.",
    }
    return sentences.get(verb)


def _outage(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    if event.action == "outage.recorded":
        planned = "planned maintenance" if _after(event, "planned") else "an outage"
        system = _after(event, "system")
        return f"{who} recorded {planned}" + (f" of {system}." if system else ".")
    return None


def _user(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    sentences = {
        "created": f"{who} created the account of {what}.",
        "password_failed": f"A wrong password was given for {what}.",
        "activated": f"{who} gave {what} access again.",
        "deactivated": f"{who} took access away from {what}.",
        "signed_out": f"{what} signed out everywhere.",
        "password_changed": f"{what} changed their password.",
    }
    return sentences.get(verb)


def _token(event: AuditEvent, c: _Context, who: str, what: str) -> str | None:
    verb = event.action.split(".", 1)[1]
    sentences = {"issued": f"{who} created {what}.", "revoked": f"{who} revoked {what}."}
    return sentences.get(verb)


# The first part of an event's code -> its sentences; how its object is called when gone.
SENTENCES: dict[str, tuple[Callable[[AuditEvent, _Context, str, str], str | None], str]] = {
    "annex": (_annex, "an annex"),
    "agreement": (_agreement, "the agreement"),
    "task": (_task, "a task"),
    "tasks": (_tasks, "the tasks"),
    "escalation": (_escalation, "an escalation"),
    "document": (_document, "a document"),
    "invitation": (_invitation, "an invitation"),
    "membership": (_membership, "a member"),
    "import_profile": (_import_profile, "an import profile"),
    "outage": (_outage, "an outage"),
    "user": (_user, "an account"),
    "token": (_token, "an API token"),
}


def _line(event: AuditEvent, context: _Context) -> EventLine:
    who = event.actor.name if event.actor is not None else "The system"
    domain = event.action.split(".", 1)[0]
    sentences, nameless = SENTENCES.get(domain, (None, "something"))
    what = context.name(event, nameless)
    sentence = sentences(event, context, who, what) if sentences and "." in event.action else None
    # a status change's sentence says its date ("asked to suspend ... as of 2026-11-25")
    told = TOLD_BY_THE_SENTENCE | ({"effective_date"} if domain == "agreement" else set())
    if sentence is None:
        sentence, told = f"{who} made a change to {what}.", set()
    details = tuple(
        _detail(field, change)
        for field, change in (event.changes or {}).items()
        if field not in told and _detail(field, change)
    )
    if not sentence.startswith(who):  # "task INC-4711 ...": a sentence starts upper case
        sentence = sentence[0].upper() + sentence[1:]
    return EventLine(event, who, sentence, details)


# --- changed fields -----------------------------------------------------------------------


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field.replace("_", " "))


# Fields people write as text: quoted, and shortened when long.
TEXT_FIELDS = {"title", "subject", "rationale", "description", "sla_notes", "name", "note"}
LONGEST_QUOTE = 120


def value_text(value: Any, text: bool = False) -> str:
    """A stored value in words: quoted text, plain figures and dates, lists joined."""
    if value is None or value == "" or value == []:
        return "nothing"
    if text and isinstance(value, str):
        short = value if len(value) <= LONGEST_QUOTE else value[: LONGEST_QUOTE - 1] + "\u2026"
        return f"\u201c{short}\u201d"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"“{value}”" if " " in value.strip() else value
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            items = [value_text(item) for item in value]
            return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
        return formatting.counted(len(value), "entry", "entries")
    if isinstance(value, dict):
        if all(not isinstance(item, dict | list) for item in value.values()):
            return ", ".join(f"{field_name(str(k))} {value_text(v)}" for k, v in value.items())
        return f"{len(value)} settings"
    return str(value)


def _detail(field: str, change: Any) -> str:
    name = field_name(field)
    if not isinstance(change, Mapping) or set(change) - {"before", "after"}:
        return f"{name}: {value_text(change)}"
    before, after = change.get("before"), change.get("after")
    text = field in TEXT_FIELDS
    if before is None:
        return f"{name}: {value_text(after, text)}"
    if after is None:
        return f"removed the {name} (was {value_text(before, text)})"
    return f"changed the {name} from {value_text(before, text)} to {value_text(after, text)}"


# --- an annex's own timeline --------------------------------------------------------------


def annex_timeline(annex: Annex, events: Sequence[AuditEvent]) -> list[EventLine]:
    """The events of one annex, oldest first, as its page tells them: the annex is the
    subject ("Customer approved (still waiting for the provider)"), who and when beside.

    The sides still awaited are counted from the events themselves: a submit starts a
    review round, and entering "approved" opens the signatures.
    """
    context = _load_context(events)
    required = list(annex.agreement.approval_sides)
    approved: set[str] = set()
    signed: set[str] = set()
    lines = []
    for event in events:
        verb = event.action.split(".", 1)[1] if event.action.startswith("annex.") else ""
        side = context.side(event)
        after = _after(event, "state")
        if verb == "submit":
            approved.clear()
        if verb == "approve" and side:
            approved.add(side)
        if verb == "sign" and side:
            signed.add(side)
        sentence = _annex_step(verb, after, side, required, approved, signed, annex)
        if after == "approved" and verb == "approve":
            signed.clear()
        generic = _line(event, context)
        lines.append(dataclasses.replace(generic, sentence=sentence) if sentence else generic)
    return lines


def _awaiting(required: Sequence[str], done: set[str]) -> str:
    waiting = [side for side in required if side not in done]
    return " and the ".join(waiting) if waiting else "the other side"


def _annex_step(
    verb: str,
    after: Any,
    side: str | None,
    required: Sequence[str],
    approved: set[str],
    signed: set[str],
    annex: Annex,
) -> str | None:
    who = (side or "someone").capitalize()
    if verb == "approve":
        if after == "in_review":
            return f"{who} approved (still waiting for the {_awaiting(required, approved)})."
        return f"{who} approved; every side has approved, so signatures are next."
    if verb == "sign":
        if after == "approved":
            return f"{who} signed (still waiting for the {_awaiting(required, signed)})."
        if after == "scheduled":
            return (
                f"{who} signed; the annex is now signed and takes effect on {annex.effective_date}."
            )
        return f"{who} signed; the annex is now signed and in force."
    sentences = {
        "created": "Drafted.",
        "updated": "The draft was edited.",
        "submit": "Submitted for approval.",
        "request_changes": f"{who} asked for changes.",
        "reject": f"{who} rejected the annex.",
        "withdraw": "Withdrawn.",
        "activate": "Took effect on its date.",
        "conflict": "Could not take effect; sent back for changes.",
        "applied": f"Applied to the scope from {annex.effective_date}.",
    }
    return sentences.get(verb)
