"""Annex approvals and signatures per side and review round.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:03:21.669353
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annex_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annex_id", sa.Integer(), nullable=False),
        sa.Column("review_round", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "customer",
                "provider",
                name="approval_side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "manager",
                "approver",
                "contributor",
                "viewer",
                name="approval_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["annex_id"],
            ["annexes.id"],
            name=op.f("fk_annex_approvals_annex_id_annexes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_annex_approvals_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annex_approvals")),
        sa.UniqueConstraint(
            "annex_id",
            "review_round",
            "side",
            name=op.f("uq_annex_approvals_annex_id_review_round_side"),
        ),
    )
    with op.batch_alter_table("annex_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annex_approvals_user_id"), ["user_id"], unique=False)

    op.create_table(
        "annex_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annex_id", sa.Integer(), nullable=False),
        sa.Column("review_round", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "customer",
                "provider",
                name="signature_side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "manager",
                "approver",
                "contributor",
                "viewer",
                name="signature_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["annex_id"],
            ["annexes.id"],
            name=op.f("fk_annex_signatures_annex_id_annexes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_annex_signatures_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annex_signatures")),
        sa.UniqueConstraint(
            "annex_id",
            "review_round",
            "side",
            name=op.f("uq_annex_signatures_annex_id_review_round_side"),
        ),
    )
    with op.batch_alter_table("annex_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annex_signatures_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_round", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint("review_round_not_negative", "review_round >= 0")


def downgrade() -> None:
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_annexes_review_round_not_negative"), type_="check")
        batch_op.drop_column("review_round")

    with op.batch_alter_table("annex_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annex_signatures_user_id"))

    op.drop_table("annex_signatures")
    with op.batch_alter_table("annex_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annex_approvals_user_id"))

    op.drop_table("annex_approvals")
