"""Summaries are signed on the job queue: a summary every side has signed off is
``signing`` until its signed PDF is stored, or ``signing_failed`` with the reason.

``signing_claimed_at`` tells an attempt under way from one abandoned by a stopped worker.
Existing summaries are either awaiting sign-off or signed off, and stay so.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 22:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BEFORE = ("awaiting_sign_off", "signed_off")
AFTER = ("awaiting_sign_off", "signing", "signing_failed", "signed_off")


def _states(values: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_claimed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("signing_error", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f("ck_documents_document_state"), type_="check")
        batch_op.create_check_constraint("document_state", _states(AFTER))


def downgrade() -> None:
    # A summary not yet signed is awaiting sign-off again, its sign-offs kept (they are
    # history); upgrading again and running the periodic job signs it.
    op.execute(
        "UPDATE documents SET state = 'awaiting_sign_off' "
        "WHERE state IN ('signing', 'signing_failed')"
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_document_state"), type_="check")
        batch_op.create_check_constraint("document_state", _states(BEFORE))
        batch_op.drop_column("signing_error")
        batch_op.drop_column("signing_claimed_at")
