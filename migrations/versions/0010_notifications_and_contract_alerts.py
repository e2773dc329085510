"""Notifications (an outbox with email delivery state), preferences, alert marks, and the
agreement's renewal, notice and alert fields.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:19:12.127182
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_marks")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_alert_marks_scope_key")),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "annex_awaits_approval",
                "annex_awaits_signature",
                "annex_approved",
                "annex_rejected",
                "annex_sent_back",
                "annex_effective",
                "summary_awaits_sign_off",
                "summary_signed_off",
                "task_verdict_changed",
                "task_needs_attention",
                "cap_threshold",
                "contract_date",
                "invitation",
                "status_change_awaits",
                "escalation_awaits_me",
                "escalation_changed",
                name="preference_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "delivery",
            sa.Enum(
                "in_app",
                "email",
                "digest",
                name="delivery",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "user_id", "kind", name=op.f("uq_notification_preferences_user_id_kind")
        ),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "annex_awaits_approval",
                "annex_awaits_signature",
                "annex_approved",
                "annex_rejected",
                "annex_sent_back",
                "annex_effective",
                "summary_awaits_sign_off",
                "summary_signed_off",
                "task_verdict_changed",
                "task_needs_attention",
                "cap_threshold",
                "contract_date",
                "invitation",
                "status_change_awaits",
                "escalation_awaits_me",
                "escalation_changed",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column(
            "email_state",
            sa.Enum(
                "none",
                "pending",
                "digest",
                "sent",
                "failed",
                name="email_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_next_at", UTCDateTime(), nullable=True),
        sa.Column("email_sent_at", UTCDateTime(), nullable=True),
        sa.Column("email_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_notifications_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_email_state_email_next_at",
            ["email_state", "email_next_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notifications_user_id_read_at_id", ["user_id", "read_at", "id"], unique=False
        )

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notice_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("renewal", sa.String(length=10), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("renewal_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("alert_days", sa.JSON(), server_default="[90, 30, 7]", nullable=False)
        )
        batch_op.add_column(
            sa.Column("cap_alert_percents", sa.JSON(), server_default="[80, 100]", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_agreements_renewal_kind"), "renewal IN ('none', 'tacit')"
        )
        batch_op.create_check_constraint(
            op.f("ck_agreements_notice_days_not_negative"), "notice_days >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agreements_notice_days_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_agreements_renewal_kind"), type_="check")
        batch_op.drop_column("cap_alert_percents")
        batch_op.drop_column("alert_days")
        batch_op.drop_column("renewal_months")
        batch_op.drop_column("renewal")
        batch_op.drop_column("notice_days")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_id_read_at_id")
        batch_op.drop_index("ix_notifications_email_state_email_next_at")
        batch_op.drop_index(batch_op.f("ix_notifications_agreement_id"))

    op.drop_table("notifications")
    op.drop_table("notification_settings")
    op.drop_table("notification_preferences")
    op.drop_table("alert_marks")
