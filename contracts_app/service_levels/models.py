"""Outages of systems, and the elapsed time of each ticket on each service level's clock."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.db import Base, utcnow


class Outage(Base):
    """A system down between two instants; planned maintenance is not downtime."""

    __tablename__ = "outages"
    __table_args__ = (
        sa.CheckConstraint("ended_at > started_at", name="ends_after_start"),
        sa.Index("ix_outages_agreement_id_started_at", "agreement_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime]
    planned: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TicketClock(Base):
    """A ticket's time on one service level's clock, as stored for the monthly report.

    Written when the ticket is recorded or its times change, and again when an annex
    changes the service level or the calendar. ``period`` (YYYY-MM, in the calendar's
    time zone) is the month of the measured event (the response or the resolution);
    it is null while the ticket is open, when ``deadline`` tells when the target runs
    out. The version measured against is the one valid when the ticket was opened.
    """

    __tablename__ = "ticket_clocks"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "service_level_ref"),
        sa.Index("ix_ticket_clocks_agreement_id_period", "agreement_id", "period"),
        # tickets open at a moment (the report's "at risk"): not yet measured then
        sa.Index("ix_ticket_clocks_agreement_id_measured_at", "agreement_id", "measured_at"),
        sa.CheckConstraint("elapsed_seconds >= 0", name="elapsed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    service_level_ref: Mapped[str] = mapped_column(sa.String(40))
    scope_version: Mapped[int]
    period: Mapped[str | None] = mapped_column(sa.String(7))
    opened_at: Mapped[dt.datetime]
    measured_at: Mapped[dt.datetime | None]
    elapsed_seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    target_seconds: Mapped[int] = mapped_column(sa.BigInteger)
    met: Mapped[bool | None]
    deadline: Mapped[dt.datetime | None]
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    task = relationship("Task")
