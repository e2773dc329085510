"""Initial schema: accounts, agreements, members, versioned scope, annexes, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:55:05.550272
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contracts_app.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("name", name=op.f("uq_parties_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "suspended",
                "expired",
                "terminated",
                name="agreement_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sla_notes", sa.Text(), nullable=False),
        sa.Column("approval_sides", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "customer_id <> provider_id", name=op.f("ck_agreements_distinct_parties")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_agreements_term_ordered")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_agreements_currency_iso4217")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_agreements_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["parties.id"],
            name=op.f("fk_agreements_customer_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["parties.id"],
            name=op.f("fk_agreements_provider_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("code", name=op.f("uq_agreements_code")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreements_status"), ["status"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "annexes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "in_review",
                "changes_requested",
                "approved",
                "scheduled",
                "effective",
                "rejected",
                "withdrawn",
                name="annex_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("effective_at", UTCDateTime(), nullable=True),
        sa.Column("activation_seq", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_annexes_number_positive")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_annexes_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_annexes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annexes")),
        sa.UniqueConstraint(
            "agreement_id", "activation_seq", name=op.f("uq_annexes_agreement_id_activation_seq")
        ),
        sa.UniqueConstraint("agreement_id", "number", name=op.f("uq_annexes_agreement_id_number")),
    )
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annexes_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_annexes_state"), ["state"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_audit_events_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_agreement_id_id", ["agreement_id", "id"], unique=False
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("customer", "provider", name="side", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "manager",
                "approver",
                "contributor",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_memberships_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "agreement_id", "user_id", name=op.f("uq_memberships_agreement_id_user_id")
        ),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "scope_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("annex_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("superseded_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at",
            name=op.f("ck_scope_versions_superseded_after_recorded"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name=op.f("ck_scope_versions_validity_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_scope_versions_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["annex_id"],
            ["annexes.id"],
            name=op.f("fk_scope_versions_annex_id_annexes"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_versions")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_scope_versions_agreement_id_number")
        ),
    )
    with op.batch_alter_table("scope_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scope_versions_annex_id"), ["annex_id"], unique=False)
        batch_op.create_index(
            "ix_scope_versions_current_validity",
            ["agreement_id", "valid_from"],
            unique=False,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "clauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "included",
                "excluded",
                name="clause_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column(
            "cap_unit",
            sa.Enum(
                "hours",
                "amount",
                "count",
                name="cap_unit",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("cap_limit", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "cap_period",
            sa.Enum(
                "month",
                "quarter",
                "year",
                "term",
                name="cap_period",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("per_task_limit", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("rate", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.CheckConstraint(
            "(cap_unit IS NULL AND cap_limit IS NULL AND cap_period IS NULL) OR (cap_unit IS NOT NULL AND cap_limit IS NOT NULL AND cap_period IS NOT NULL)",
            name=op.f("ck_clauses_cap_complete"),
        ),
        sa.CheckConstraint(
            "cap_limit IS NULL OR cap_limit > 0", name=op.f("ck_clauses_cap_positive")
        ),
        sa.CheckConstraint("length(ref) > 0", name=op.f("ck_clauses_ref_not_empty")),
        sa.CheckConstraint(
            "per_task_limit IS NULL OR per_task_limit > 0",
            name=op.f("ck_clauses_per_task_limit_positive"),
        ),
        sa.CheckConstraint("rate IS NULL OR rate >= 0", name=op.f("ck_clauses_rate_not_negative")),
        sa.ForeignKeyConstraint(
            ["scope_version_id"],
            ["scope_versions.id"],
            name=op.f("fk_clauses_scope_version_id_scope_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clauses")),
        sa.UniqueConstraint(
            "scope_version_id", "ref", name=op.f("uq_clauses_scope_version_id_ref")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Two current versions of one agreement never overlap in time; SQLite checks
        # this in the service, inside its immediate transaction.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE scope_versions ADD CONSTRAINT ex_scope_versions_no_overlap "
            "EXCLUDE USING gist (agreement_id WITH =, daterange(valid_from, valid_to) WITH &&) "
            "WHERE (superseded_at IS NULL)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE scope_versions DROP CONSTRAINT ex_scope_versions_no_overlap")
    op.drop_table("clauses")
    with op.batch_alter_table("scope_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_scope_versions_current_validity",
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_scope_versions_annex_id"))

    op.drop_table("scope_versions")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_agreement_id_id")

    op.drop_table("audit_events")
    with op.batch_alter_table("annexes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annexes_state"))
        batch_op.drop_index(batch_op.f("ix_annexes_author_id"))

    op.drop_table("annexes")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_status"))
        batch_op.drop_index(batch_op.f("ix_agreements_provider_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_customer_id"))

    op.drop_table("agreements")
    op.drop_table("users")
    op.drop_table("parties")
