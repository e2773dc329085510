"""Skeletons of task refs and party names fold width and case too: "nul-1" and the ref
in fullwidth letters are the ticket "NUL-1", which the confusables data alone did not say.

Every stored skeleton is computed again. Rows recorded before that the folded skeleton
finds alike (two tickets "NUL-1" and "nul-1" of one agreement) keep their rows: the later
one's skeleton is marked with its id, and an import or a new task matching them is refused
as a lookalike of the first.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.identifiers import skeleton

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _refold(table: str, source: str, target: str, scope: str | None) -> None:
    conn = op.get_bind()
    columns = f"id, {source}" + (f", {scope}" if scope else "")
    taken: set[tuple[object, str]] = set()
    updates = []
    for row in conn.execute(sa.text(f"SELECT {columns}, {target} FROM {table} ORDER BY id")):
        folded = skeleton(row[1])
        key = (row[2] if scope else None, folded)
        if key in taken:
            folded = f"{folded}#{row[0]}"  # a lookalike recorded before: kept, told apart
        taken.add(key)
        if folded != row[-1]:
            updates.append({"id": row[0], "skeleton": folded})
    # in two passes, so that no intermediate state breaks the unique constraint
    statement = sa.text(f"UPDATE {table} SET {target} = :skeleton WHERE id = :id")
    if updates:
        conn.execute(statement, [{"id": u["id"], "skeleton": f"\u2063{u['id']}"} for u in updates])
        conn.execute(statement, updates)


def upgrade() -> None:
    _refold("tasks", "ref", "ref_skeleton", "agreement_id")
    _refold("parties", "name", "name_skeleton", None)


def downgrade() -> None:
    pass  # the folded skeletons stay: they refuse more lookalikes, never fewer
