"""Agreements gain ``document_locale``: the language their summaries format figures in.

Existing agreements take English, the language their documents were printed in so far.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-25 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("document_locale", sa.String(length=10), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("document_locale")
