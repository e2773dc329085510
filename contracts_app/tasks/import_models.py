"""Import profiles, and changes an import brought to a task a person had already decided."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.db import Base, utcnow


class ImportProfile(Base):
    """How one ticketing tool's export reads as tasks for one agreement.

    ``settings`` holds the profile's JSON as the API shows it (source, timezone,
    date_format, columns, hours_rounding and the category, system and priority value
    mappings), with a preset's columns already filled in."""

    __tablename__ = "import_profiles"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IncomingChange(Base):
    """What a re-import would have changed on a task already decided by a person.

    The task itself is left as decided and flagged (``needs_attention``); the change
    waits here for someone to act on it. Written once, never updated."""

    __tablename__ = "task_incoming_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    profile_name: Mapped[str] = mapped_column(sa.String(40))
    # {field: {"before": ..., "after": ...}} with values as text
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    task = relationship("Task")
