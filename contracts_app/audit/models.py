from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, utcnow


class AuditEvent(Base):
    """An append-only record of one change; never updated once written."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_agreement_id_id", "agreement_id", "id"),
        sa.UniqueConstraint("chain", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # The tamper-evident chain: one chain per agreement ("agreement:<id>") and one for
    # events outside agreements ("global"); ``mac`` is an HMAC-SHA-256, keyed outside the
    # database, over this event's canonical content and ``prev_mac``.
    chain: Mapped[str | None] = mapped_column(sa.String(40))
    seq: Mapped[int | None]
    prev_mac: Mapped[str | None] = mapped_column(sa.String(64))
    mac: Mapped[str | None] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")
