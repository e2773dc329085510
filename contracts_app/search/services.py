"""Search: agreements (code, title, parties), annexes (title, "Annex N") and tasks (ref,
title), only within the agreements the person may see (their memberships; administrators
see all), so that a search never tells anyone what another agreement holds.

Matching is a case-insensitive substring (``lower(...) LIKE``, alike on SQLite and
PostgreSQL) with the search text's own ``%`` and ``_`` taken literally.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from contracts_app.accounts.models import User
from contracts_app.agreements.access import visible_agreements
from contracts_app.agreements.models import Agreement, Party
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.errors import ValidationFailed
from contracts_app.tasks.models import Task

KINDS = ("agreements", "annexes", "tasks")
MIN_LENGTH = 2
MAX_LENGTH = 100
ANNEX_NUMBER = re.compile(r"^\s*annex\s*(?:no\.?\s*)?(\d{1,6})\s*$", re.IGNORECASE)


@dataclasses.dataclass
class Hit:
    """One thing found, named as people see it ("Annex 5 of AMS-2026-01")."""

    kind: str
    id: int
    label: str
    title: str
    agreement_code: str
    state: str


@dataclasses.dataclass
class Group:
    """One kind's hits, one page of them, and how many there are in all."""

    kind: str
    items: list[Hit]
    total: int
    page: int
    per_page: int


def _pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, text: str) -> Any:
    return sa.func.lower(column).like(_pattern(text), escape="\\")


def _agreements(user: User, text: str) -> sa.Select:
    customer, provider = aliased(Party), aliased(Party)
    visible = visible_agreements(user).subquery()
    return (
        sa.select(Agreement.id, Agreement.code, Agreement.title, Agreement.status)
        .join(visible, visible.c.id == Agreement.id)
        .join(customer, customer.id == Agreement.customer_id)
        .join(provider, provider.id == Agreement.provider_id)
        .where(
            sa.or_(
                _contains(Agreement.code, text),
                _contains(Agreement.title, text),
                _contains(customer.name, text),
                _contains(provider.name, text),
            )
        )
        .order_by(Agreement.code, Agreement.id)
    )


def _annexes(user: User, text: str) -> sa.Select:
    visible = visible_agreements(user).subquery()
    matches = [_contains(Annex.title, text)]
    number = ANNEX_NUMBER.match(text)
    if number:
        matches.append(Annex.number == int(number.group(1)))
    return (
        sa.select(Annex.id, Annex.number, Annex.title, Annex.state, Agreement.code)
        .join(Agreement, Agreement.id == Annex.agreement_id)
        .join(visible, visible.c.id == Agreement.id)
        .where(sa.or_(*matches))
        .order_by(Agreement.code, Annex.number, Annex.id)
    )


def _tasks(user: User, text: str) -> sa.Select:
    visible = visible_agreements(user).subquery()
    return (
        sa.select(Task.id, Task.ref, Task.title, Task.state, Agreement.code)
        .join(Agreement, Agreement.id == Task.agreement_id)
        .join(visible, visible.c.id == Agreement.id)
        .where(sa.or_(_contains(Task.ref, text), _contains(Task.title, text)))
        .order_by(Agreement.code, Task.day.desc(), Task.id.desc())
    )


def _hits(kind: str, rows: Any) -> list[Hit]:
    if kind == "agreements":
        return [Hit("agreement", r.id, r.code, r.title, r.code, r.status.value) for r in rows]
    if kind == "annexes":
        return [
            Hit("annex", r.id, f"Annex {r.number} of {r.code}", r.title, r.code, r.state.value)
            for r in rows
        ]
    return [
        Hit("task", r.id, f"Task {r.ref} of {r.code}", r.title, r.code, r.state.value) for r in rows
    ]


QUERIES = {"agreements": _agreements, "annexes": _annexes, "tasks": _tasks}


def clean_text(text: str) -> str:
    """The search text, trimmed; refused when too short to mean anything or too long."""
    text = " ".join((text or "").split())
    if len(text) < MIN_LENGTH:
        raise ValidationFailed({"q": [f"Type at least {MIN_LENGTH} characters."]})
    if len(text) > MAX_LENGTH:
        raise ValidationFailed({"q": [f"At most {MAX_LENGTH} characters."]})
    return text


def search(
    user: User,
    text: str,
    *,
    kinds: tuple[str, ...] = KINDS,
    page: int = 1,
    per_page: int = 10,
) -> list[Group]:
    """What ``user`` may see that matches ``text``, grouped by kind, one page of each.

    Two queries per kind (the count and the page), whatever the number of hits.
    """
    text = clean_text(text)
    groups = []
    for kind in kinds:
        query = QUERIES[kind](user, text)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
        groups.append(Group(kind, _hits(kind, rows), total, page, per_page))
    return groups
