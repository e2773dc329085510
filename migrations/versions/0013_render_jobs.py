"""PDF renders as jobs: who asked for which PDF, its progress, and the result until it expires.

The revision id 0013 was reserved for this change; it lands after 0014 (the agreement's
locale), which reached main first, so that databases already at 0014 upgrade to it.

Revision ID: 0013
Revises: 0014
Create Date: 2026-11-25 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0013"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "summary", "document", name="render_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "rendering",
                "done",
                "failed",
                name="render_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("pages_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pages_total", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(state = 'done') = (pdf IS NOT NULL)", name=op.f("ck_renders_done_has_pdf")
        ),
        sa.CheckConstraint(
            "(kind = 'document') = (document_id IS NOT NULL)",
            name=op.f("ck_renders_document_kind_names_it"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_renders_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_renders_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_renders_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renders")),
    )
    op.create_index("ix_renders_expires_at", "renders", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_renders_expires_at", table_name="renders")
    op.drop_table("renders")
