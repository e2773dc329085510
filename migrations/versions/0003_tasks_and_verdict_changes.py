"""Tasks with their verdicts, and the verdict changes that re-checks find.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:16:35.168692
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("system", sa.String(length=100), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "in_scope",
                "over_cap",
                "out_of_scope",
                "needs_review",
                "accepted",
                "rejected",
                "escalated",
                "annex_proposed",
                name="task_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "verdict",
            sa.Enum(
                "in_scope",
                "over_cap",
                "out_of_scope",
                "needs_review",
                name="verdict",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("clause_ref", sa.String(length=40), nullable=True),
        sa.Column("scope_version", sa.Integer(), nullable=True),
        sa.Column("verdict_detail", sa.JSON(), nullable=False),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("proposed_annex_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "amount IS NULL OR amount >= 0", name=op.f("ck_tasks_amount_not_negative")
        ),
        sa.CheckConstraint("hours IS NULL OR hours >= 0", name=op.f("ck_tasks_hours_not_negative")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_tasks_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tasks_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_annex_id"],
            ["annexes.id"],
            name=op.f("fk_tasks_proposed_annex_id_annexes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("agreement_id", "ref", name=op.f("uq_tasks_agreement_id_ref")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_agreement_id_clause_ref_day",
            ["agreement_id", "clause_ref", "day"],
            unique=False,
        )
        batch_op.create_index("ix_tasks_agreement_id_day", ["agreement_id", "day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_proposed_annex_id"), ["proposed_annex_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_state"), ["state"], unique=False)

    op.create_table(
        "verdict_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("annex_id", sa.Integer(), nullable=True),
        sa.Column(
            "old_verdict",
            sa.Enum(
                "in_scope",
                "over_cap",
                "out_of_scope",
                "needs_review",
                name="old_verdict",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "new_verdict",
            sa.Enum(
                "in_scope",
                "over_cap",
                "out_of_scope",
                "needs_review",
                name="new_verdict",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("old_clause", sa.String(length=40), nullable=True),
        sa.Column("new_clause", sa.String(length=40), nullable=True),
        sa.Column(
            "task_state",
            sa.Enum(
                "in_scope",
                "over_cap",
                "out_of_scope",
                "needs_review",
                "accepted",
                "rejected",
                "escalated",
                "annex_proposed",
                name="rechecked_task_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_verdict_changes_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["annex_id"],
            ["annexes.id"],
            name=op.f("fk_verdict_changes_annex_id_annexes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_verdict_changes_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_changes")),
    )
    with op.batch_alter_table("verdict_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verdict_changes_agreement_id_id", ["agreement_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_verdict_changes_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verdict_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdict_changes_task_id"))
        batch_op.drop_index("ix_verdict_changes_agreement_id_id")

    op.drop_table("verdict_changes")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_state"))
        batch_op.drop_index(batch_op.f("ix_tasks_proposed_annex_id"))
        batch_op.drop_index("ix_tasks_agreement_id_day")
        batch_op.drop_index("ix_tasks_agreement_id_clause_ref_day")

    op.drop_table("tasks")
