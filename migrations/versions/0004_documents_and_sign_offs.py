"""Issued summaries, their sign-offs, and the diff an annex made when it took effect.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:32:40.679989
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "awaiting_sign_off",
                "signed_off",
                name="document_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("required_sides", sa.JSON(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(state = 'signed_off') = (pdf IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name=op.f("ck_documents_signed_off_has_pdf"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_documents_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_documents_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("pdf_sha256", name=op.f("uq_documents_pdf_sha256")),
        sa.UniqueConstraint("uid", name=op.f("uq_documents_uid")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_agreement_id_id", ["agreement_id", "id"], unique=False)

    op.create_table(
        "document_sign_offs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "customer",
                "provider",
                name="sign_off_side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "manager",
                "approver",
                "contributor",
                "viewer",
                name="sign_off_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_sign_offs_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_document_sign_offs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_sign_offs")),
        sa.UniqueConstraint(
            "document_id", "side", name=op.f("uq_document_sign_offs_document_id_side")
        ),
    )
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applied_diff", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.drop_column("applied_diff")

    op.drop_table("document_sign_offs")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_agreement_id_id")

    op.drop_table("documents")
