"""A notice when a summary's signed PDF could not be prepared: the approvers of the sides
that signed it off (any of them may prepare it again) and its issuer are told.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 23:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BEFORE = (
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
)
AFTER = (*BEFORE[:8], "summary_signing_failed", *BEFORE[8:])
# (table, the enum's constraint name)
KIND_COLUMNS = (
    ("notifications", "notification_kind"),
    ("notification_preferences", "preference_kind"),
)


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    for table, name in KIND_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, _kinds(values))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    for table, _name in KIND_COLUMNS:
        op.execute(f"DELETE FROM {table} WHERE kind = 'summary_signing_failed'")
    _replace(BEFORE)
