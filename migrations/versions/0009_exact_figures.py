"""Money columns hold every ISO 4217 minor unit exactly; tasks keep their priced amount.

Money was Numeric(14, 2), which rounded a rate of 85.125 BHD to 85.13; it becomes
Numeric(16, 4) (the same twelve integer digits, up to four decimals). Tasks gain
``priced_amount``: hours times the clause's rate, counted by an amount cap when the
task gives no amount.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = sa.Numeric(precision=14, scale=2)
NEW = sa.Numeric(precision=16, scale=4)
MONEY_COLUMNS = {
    "agreements": ("value",),
    "clauses": ("cap_limit", "per_task_limit", "rate"),
    "tasks": ("amount",),
}


def upgrade() -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=OLD, type_=NEW)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priced_amount", NEW, nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_tasks_priced_amount_not_negative"),
            "priced_amount IS NULL OR priced_amount >= 0",
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tasks_priced_amount_not_negative"), type_="check")
        batch_op.drop_column("priced_amount")
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=NEW, type_=OLD)
