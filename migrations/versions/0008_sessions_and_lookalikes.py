"""Session generations on users; confusable skeletons of task refs and party names.

Existing rows get their skeletons computed here. Lookalike task refs or party names
recorded before this revision make the unique constraints fail: merge them first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.identifiers import skeleton

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fill(table: str, source: str, target: str) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {source} FROM {table}")).all()
    for row_id, value in rows:
        conn.execute(
            sa.text(f"UPDATE {table} SET {target} = :skeleton WHERE id = :id"),
            {"skeleton": skeleton(value), "id": row_id},
        )


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref_skeleton", sa.Text(), nullable=True))
    _fill("tasks", "ref", "ref_skeleton")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("ref_skeleton", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_tasks_agreement_id_ref_skeleton"), ["agreement_id", "ref_skeleton"]
        )

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_skeleton", sa.Text(), nullable=True))
    _fill("parties", "name", "name_skeleton")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.alter_column("name_skeleton", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_parties_name_skeleton"), ["name_skeleton"])


def downgrade() -> None:
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_parties_name_skeleton"), type_="unique")
        batch_op.drop_column("name_skeleton")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tasks_agreement_id_ref_skeleton"), type_="unique")
        batch_op.drop_column("ref_skeleton")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
