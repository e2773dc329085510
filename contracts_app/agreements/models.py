from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, utcnow
from contracts_app.enums import AgreementStatus, Role, Side, str_enum

DEFAULT_APPROVAL_SIDES = [Side.CUSTOMER.value, Side.PROVIDER.value]


class Party(Base):
    """An organisation that is a customer or a provider in agreements."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="term_ordered"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso4217"),
        sa.CheckConstraint("customer_id <> provider_id", name="distinct_parties"),
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
    approval_sides: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_APPROVAL_SIDES))
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

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` is inside the agreement's term."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

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
