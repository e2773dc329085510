"""Service levels: terms of service in scope versions, ticket times, outages, ticket clocks.

Scope versions carry their service levels, calendar and monthly fee; tasks gain an
optional priority, opened/responded/resolved times and pauses; existing rows get
none. Documents gain a kind (summary or monthly service report) and a period.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 16:52:39.731968
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ended_at > started_at", name=op.f("ck_outages_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_outages_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_outages_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outages_agreement_id_started_at", ["agreement_id", "started_at"], unique=False
        )

    op.create_table(
        "ticket_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("service_level_ref", sa.String(length=40), nullable=False),
        sa.Column("scope_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("measured_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("elapsed_seconds", sa.BigInteger(), nullable=False),
        sa.Column("target_seconds", sa.BigInteger(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("deadline", UTCDateTime(timezone=True), nullable=True),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "elapsed_seconds >= 0", name=op.f("ck_ticket_clocks_elapsed_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_ticket_clocks_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_ticket_clocks_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_clocks")),
        sa.UniqueConstraint(
            "task_id", "service_level_ref", name=op.f("uq_ticket_clocks_task_id_service_level_ref")
        ),
    )
    with op.batch_alter_table("ticket_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_clocks_agreement_id_period", ["agreement_id", "period"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_clocks_agreement_id_measured_at",
            ["agreement_id", "measured_at"],
            unique=False,
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=30), server_default="summary", nullable=False)
        )
        batch_op.add_column(sa.Column("period", sa.String(length=7), nullable=True))

    with op.batch_alter_table("scope_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service_levels", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("calendar", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("monthly_fee", sa.Numeric(precision=16, scale=4), nullable=True)
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("opened_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("responded_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pauses", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("pauses")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("responded_at")
        batch_op.drop_column("opened_at")
        batch_op.drop_column("priority")

    with op.batch_alter_table("scope_versions", schema=None) as batch_op:
        batch_op.drop_column("monthly_fee")
        batch_op.drop_column("calendar")
        batch_op.drop_column("service_levels")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("period")
        batch_op.drop_column("kind")

    with op.batch_alter_table("ticket_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_clocks_agreement_id_measured_at")
        batch_op.drop_index("ix_ticket_clocks_agreement_id_period")

    op.drop_table("ticket_clocks")
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.drop_index("ix_outages_agreement_id_started_at")

    op.drop_table("outages")
