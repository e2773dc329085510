"""Clauses gain ``cap_unit_label``: what a count cap counts ("release"), so it reads
"4 releases / month" rather than "4 items / month".

Existing caps keep no label and read as before.

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-25 20:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clauses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cap_unit_label", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clauses", schema=None) as batch_op:
        batch_op.drop_column("cap_unit_label")
