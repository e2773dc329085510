from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, utcnow
from contracts_app.enums import AgreementStatus, Role, Side, str_enum
from contracts_app.identifiers import skeleton_default

DEFAULT_APPROVAL_SIDES = [Side.CUSTOMER.value, Side.PROVIDER.value]
INVITATION_DAYS = 14


class Party(Base):
    """An organisation that is a customer or a provider in agreements."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # unique by look: "\u041aestrel IT" (a Cyrillic Ka first) is "Kestrel IT"
    name_skeleton: Mapped[str] = mapped_column(
        sa.Text, unique=True, default=skeleton_default("name")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="term_ordered"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso4217"),
        sa.CheckConstraint("customer_id <> provider_id", name="distinct_parties"),
        sa.CheckConstraint("renewal IN ('none', 'tacit')", name="renewal_kind"),
        sa.CheckConstraint("notice_days >= 0", name="notice_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="RESTRICT"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(sa.String(3))
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus, "agreement_status"), default=AgreementStatus.DRAFT, index=True
    )
    sla_notes: Mapped[str] = mapped_column(sa.Text, default="")
    # The rules of consent (agreements.governance): fixed when the agreement leaves draft.
    approval_sides: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_APPROVAL_SIDES))
    signoff_sides: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_APPROVAL_SIDES))
    # Levels of the escalation ladder (agreements.ladder); None: the default ladder.
    escalation_ladder: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Renewal, notice and alerts: the dates they imply are computed in agreements/terms.py.
    notice_days: Mapped[int] = mapped_column(default=0, server_default="0")
    renewal: Mapped[str] = mapped_column(sa.String(10), default="none", server_default="none")
    renewal_months: Mapped[int | None]
    alert_days: Mapped[list[Any]] = mapped_column(default=lambda: [90, 30, 7])
    cap_alert_percents: Mapped[list[Any]] = mapped_column(default=lambda: [80, 100])
    # The language its documents are formatted in (contracts_app.formatting): a summary
    # reads the same whoever issues it, whatever language their browser prefers.
    document_locale: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Party] = relationship(
        foreign_keys=[customer_id], lazy="joined", innerjoin=True
    )
    provider: Mapped[Party] = relationship(
        foreign_keys=[provider_id], lazy="joined", innerjoin=True
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", passive_deletes=True
    )

    def term_end(self, today: dt.date | None = None) -> dt.date | None:
        """The end of the current term: ``end_date``, or for an agreement that renews
        itself tacitly, the end of the renewal term running ``today`` (agreements.terms)."""
        if self.renewal != "tacit" or not self.renewal_months or self.end_date is None:
            return self.end_date
        from contracts_app.agreements.terms import Renewal, end_of_current_term

        return end_of_current_term(Renewal.of(self), today or dt.date.today())

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` is inside the agreement's term (up to the current term's end)."""
        end = self.term_end()
        return self.start_date <= day and (end is None or day <= end)

    @property
    def term_dates(self) -> str:
        return f"{self.start_date} to {self.term_end() or 'open-ended'}"

    @property
    def term_text(self) -> str:
        renews = (
            " (renews tacitly)" if self.term_end() is not None and self.renewal == "tacit" else ""
        )
        return f"{self.term_dates}{renews}"

    def __repr__(self) -> str:
        return f"<Agreement {self.code}>"


class Membership(Base):
    """A user's side and role on one agreement."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(lazy="joined")


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Invitation(Base):
    """An offer of a side and a role on an agreement, made by that side's manager.

    The membership exists only once the invited person accepts. ``email`` need not
    belong to an account yet: whoever later owns it may accept.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        sa.Index(
            "uq_invitations_pending_email",
            "agreement_id",
            "email",
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_invitations_email_state", "email", "state"),
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    side: Mapped[Side] = mapped_column(str_enum(Side, "invitation_side"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "invitation_role"))
    state: Mapped[InvitationState] = mapped_column(
        str_enum(InvitationState, "invitation_state"), default=InvitationState.PENDING
    )
    # Sent by the agreement's creator to a side that had no manager: valid only while
    # that side still has none (its own managers govern it from then on).
    first_of_side: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None]

    agreement: Mapped[Agreement] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def status_at(self, now: dt.datetime) -> str:
        """The state as a person sees it: a pending invitation past its date has expired."""
        if self.state == InvitationState.PENDING and self.expires_at <= now:
            return "expired"
        return self.state.value


class StatusChangeState(enum.StrEnum):
    PENDING = "pending"  # asked by one side, awaiting the other side's confirmation
    SCHEDULED = "scheduled"  # agreed, effective on a later date
    DONE = "done"  # in force
    DECLINED = "declined"
    CANCELLED = "cancelled"


class StatusChange(Base):
    """A change of an agreement's status: a dated fact, asked, agreed and applied.

    The status in force on a day is the ``to_status`` of the last change in force
    (done or scheduled) effective on or before that day, or ``draft`` before any.
    """

    __tablename__ = "agreement_status_changes"
    __table_args__ = (
        sa.Index(
            "uq_agreement_status_changes_open",
            "agreement_id",
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'scheduled')"),
            postgresql_where=sa.text("state IN ('pending', 'scheduled')"),
        ),
        sa.Index("ix_agreement_status_changes_agreement_day", "agreement_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[StatusChangeState] = mapped_column(
        str_enum(StatusChangeState, "status_change_state")
    )
    from_status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus, "status_change_from")
    )
    to_status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus, "status_change_to")
    )
    effective_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_side: Mapped[Side | None] = mapped_column(str_enum(Side, "status_change_side"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    applied_at: Mapped[dt.datetime | None]

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
