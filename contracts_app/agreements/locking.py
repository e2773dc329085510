"""The agreement lock: one writer at a time per agreement."""

from __future__ import annotations

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.db import db
from contracts_app.errors import NotFound


def lock_agreement(agreement_id: int) -> Agreement:
    """Lock the agreement row for the rest of the transaction.

    Every change to an agreement, its members, its scope timeline, its annexes and its
    tasks takes this lock first. On PostgreSQL a row lock serialises the writers of one
    agreement; SQLite already holds the database write lock from BEGIN IMMEDIATE.
    """
    agreement = db.session.scalar(
        sa.select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update(of=Agreement)
        .execution_options(populate_existing=True)
    )
    if agreement is None:
        raise NotFound("No such agreement.")
    return agreement
