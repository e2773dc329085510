from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, utcnow
from contracts_app.enums import str_enum
from contracts_app.notifications.kinds import Delivery, Kind


class EmailState(enum.StrEnum):
    NONE = "none"  # in the application only
    PENDING = "pending"  # to be emailed (a try is due at email_next_at)
    DIGEST = "digest"  # waits for the recipient's daily digest
    SENT = "sent"
    FAILED = "failed"  # every try failed; listed for administrators


class Notification(Base):
    """One message to one person, written in the transaction of the event that causes it.

    Delivery reads these rows after commit; ``email_*`` columns are the email's delivery
    state, so a worker that dies mid-delivery leaves the row due again, never lost.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_id_read_at_id", "user_id", "read_at", "id"),
        sa.Index("ix_notifications_email_state_email_next_at", "email_state", "email_next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "notification_kind"))
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(sa.String(500))
    link: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
    email_state: Mapped[EmailState] = mapped_column(
        str_enum(EmailState, "email_state"), default=EmailState.NONE
    )
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_next_at: Mapped[dt.datetime | None]
    email_sent_at: Mapped[dt.datetime | None]
    email_error: Mapped[str] = mapped_column(sa.String(500), default="")

    user: Mapped[User] = relationship(lazy="joined")
    agreement = relationship("Agreement")


class NotificationPreference(Base):
    """How one person wants one kind delivered; no row means the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind, "preference_kind"))
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery, "delivery"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationSettings(Base):
    """A person's time zone for the daily digest (sent at 07:00 there)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")


class AlertMark(Base):
    """An alert already raised: the unique key makes "once per ..." hold under concurrency.

    ``key`` is e.g. ``notice_deadline:2026-12-01:30`` (a contract date and a lead time) or
    ``cap:1.1:2026-03-01:80`` (a clause, its period and a threshold), or
    ``digest:<user>:<day>`` for a daily digest.
    """

    __tablename__ = "alert_marks"
    __table_args__ = (sa.UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(40))  # "agreement:<id>" or "user:<id>"
    key: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
