"""An annex keeps the diff its approvers reviewed: taken at each submission, compared when
it becomes effective, so that a scope changed meanwhile by another annex sends it back for
review instead of silently undoing that change.

Annexes submitted before have none and are not compared.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 02:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_diff", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.drop_column("reviewed_diff")
