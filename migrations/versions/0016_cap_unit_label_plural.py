"""A count cap's label is the plural a person gives ("licences"), printed after any number
but one, with an optional singular (``cap_unit_label_singular``, "licence") for exactly
one: a plural is not made from a singular by appending "s".

Labels stored so far were singulars: each moves to the singular column, and the label
becomes the plural the pages printed until now (the singular with "s" appended unless
it already ended in "s"), so every page reads as before until a person corrects it.
Annex changes not yet in force carry their caps as JSON and are converted the same way.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 22:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

clauses = sa.table(
    "clauses",
    sa.column("id", sa.Integer),
    sa.column("cap_unit_label", sa.String(40)),
    sa.column("cap_unit_label_singular", sa.String(40)),
)
annexes = sa.table("annexes", sa.column("id", sa.Integer), sa.column("changes", sa.JSON))


def _former_plural(singular: str) -> str:
    return singular if singular.lower().endswith("s") else f"{singular}s"


def _caps(changes: Any) -> list[dict[str, Any]]:
    """The caps of an annex's changes (added clauses and modified caps)."""
    found = []
    for change in changes if isinstance(changes, list) else ():
        if not isinstance(change, dict):
            continue
        for key in ("item", "fields"):
            cap = (change.get(key) or {}).get("cap") if isinstance(change.get(key), dict) else None
            if isinstance(cap, dict):
                found.append(cap)
    return found


def _convert_annexes(convert) -> None:
    connection = op.get_bind()
    for annex_id, changes in connection.execute(sa.select(annexes.c.id, annexes.c.changes)):
        touched = False
        for cap in _caps(changes):
            touched = convert(cap) or touched
        if touched:
            connection.execute(
                annexes.update().where(annexes.c.id == annex_id).values(changes=changes)
            )


def _to_plural(cap: dict[str, Any]) -> bool:
    label = cap.get("unit_label")
    if not label or cap.get("unit_label_singular"):
        return False
    cap["unit_label_singular"] = label
    cap["unit_label"] = _former_plural(label)
    return True


def _to_singular(cap: dict[str, Any]) -> bool:
    singular = cap.pop("unit_label_singular", None)
    if not singular:
        return False
    cap["unit_label"] = singular
    return True


def upgrade() -> None:
    with op.batch_alter_table("clauses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cap_unit_label_singular", sa.String(length=40), nullable=True)
        )
    connection = op.get_bind()
    for clause_id, label in connection.execute(
        sa.select(clauses.c.id, clauses.c.cap_unit_label).where(
            clauses.c.cap_unit_label.is_not(None)
        )
    ).all():
        connection.execute(
            clauses.update()
            .where(clauses.c.id == clause_id)
            .values(cap_unit_label=_former_plural(label), cap_unit_label_singular=label)
        )
    _convert_annexes(_to_plural)


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        clauses.update()
        .where(clauses.c.cap_unit_label_singular.is_not(None))
        .values(cap_unit_label=clauses.c.cap_unit_label_singular)
    )
    _convert_annexes(_to_singular)
    with op.batch_alter_table("clauses", schema=None) as batch_op:
        batch_op.drop_column("cap_unit_label_singular")
