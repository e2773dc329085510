from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.db import Base, utcnow
from contracts_app.enums import CapPeriod, CapUnit, ClauseKind, str_enum


class ScopeVersion(Base):
    """A snapshot of an agreement's scope, valid on ``[valid_from, valid_to)``.

    Rows are written once. When a retroactive annex re-derives the timeline, the
    versions it replaces get ``superseded_at`` and new rows are written, so both
    "valid on D" and "valid on D as recorded at T" stay answerable. On PostgreSQL
    an exclusion constraint (see the initial migration) forbids two current
    versions of one agreement from overlapping.
    """

    __tablename__ = "scope_versions"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "number"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity_ordered"),
        sa.CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at",
            name="superseded_after_recorded",
        ),
        sa.Index(
            "ix_scope_versions_current_validity",
            "agreement_id",
            "valid_from",
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    annex_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("annexes.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[dt.datetime | None]
    # the terms of service, versioned with the clauses (see scope/service_levels.py)
    service_levels: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    calendar: Mapped[dict[str, Any] | None]
    monthly_fee: Mapped[Decimal | None]

    clauses: Mapped[list[Clause]] = relationship(
        back_populates="version",
        order_by="Clause.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    annex = relationship("Annex", lazy="joined")

    def contains(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    @property
    def validity(self) -> str:
        """How pages name a version: by the days it is valid, first and last included
        with a dash between, or "valid from 2026-10-01" when open-ended. The stored
        ``number`` is for the API and URLs: it counts every version ever recorded,
        superseded ones too, so it jumps."""
        if self.valid_to is None:
            return f"valid from {self.valid_from.isoformat()}"
        last = self.valid_to - dt.timedelta(days=1)
        return f"valid {self.valid_from.isoformat()} \u2013 {last.isoformat()}"

    def __repr__(self) -> str:
        return f"<ScopeVersion {self.number} [{self.valid_from}, {self.valid_to})>"


class Clause(Base):
    """One scope item (a clause) inside one scope version."""

    __tablename__ = "clauses"
    __table_args__ = (
        sa.UniqueConstraint("scope_version_id", "ref"),
        sa.CheckConstraint("cap_limit IS NULL OR cap_limit > 0", name="cap_positive"),
        sa.CheckConstraint(
            "(cap_unit IS NULL AND cap_limit IS NULL AND cap_period IS NULL) OR "
            "(cap_unit IS NOT NULL AND cap_limit IS NOT NULL AND cap_period IS NOT NULL)",
            name="cap_complete",
        ),
        sa.CheckConstraint(
            "per_task_limit IS NULL OR per_task_limit > 0", name="per_task_limit_positive"
        ),
        sa.CheckConstraint("rate IS NULL OR rate >= 0", name="rate_not_negative"),
        sa.CheckConstraint("length(ref) > 0", name="ref_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scope_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    ref: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[ClauseKind] = mapped_column(str_enum(ClauseKind, "clause_kind"))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    systems: Mapped[list[Any]] = mapped_column(default=list)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    cap_unit: Mapped[CapUnit | None] = mapped_column(str_enum(CapUnit, "cap_unit"))
    cap_limit: Mapped[Decimal | None]
    cap_period: Mapped[CapPeriod | None] = mapped_column(str_enum(CapPeriod, "cap_period"))
    # What a count cap counts, as printed after any number but one ("licences"), and the
    # singular printed after exactly one when it was given ("licence"); none for hours
    # and amounts.
    cap_unit_label: Mapped[str | None] = mapped_column(sa.String(40))
    cap_unit_label_singular: Mapped[str | None] = mapped_column(sa.String(40))
    per_task_limit: Mapped[Decimal | None]
    rate: Mapped[Decimal | None]

    version: Mapped[ScopeVersion] = relationship(back_populates="clauses")
