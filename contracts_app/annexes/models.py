from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.agreements.models import Agreement
from contracts_app.db import Base, utcnow
from contracts_app.enums import Role, Side, str_enum
from workflows.annex_states import AnnexState


class Annex(Base):
    """A numbered change to an agreement's scope from ``effective_date`` on.

    ``changes`` is the list of ``add``/``modify``/``remove`` operations.
    ``activation_seq`` orders annexes that became effective on the same agreement;
    ``lock_version`` is the optimistic lock that refuses edits from stale forms.
    """

    __tablename__ = "annexes"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "number"),
        sa.UniqueConstraint("agreement_id", "activation_seq"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("review_round >= 0", name="review_round_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    effective_date: Mapped[dt.date]
    changes: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[AnnexState] = mapped_column(
        str_enum(AnnexState, "annex_state"), default=AnnexState.DRAFT, index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    effective_at: Mapped[dt.datetime | None]
    activation_seq: Mapped[int | None]
    review_round: Mapped[int] = mapped_column(default=0, server_default="0")
    # The diff the annex made when it became effective (kept for registers and summaries).
    applied_diff: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The diff its approvers reviewed, taken at its last submission: compared when it
    # becomes effective (a scope changed meanwhile sends it back for review).
    reviewed_diff: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    lock_version: Mapped[int] = mapped_column(default=1)

    agreement: Mapped[Agreement] = relationship()
    author: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    approvals: Mapped[list[AnnexApproval]] = relationship(
        back_populates="annex", order_by="AnnexApproval.id", passive_deletes=True
    )
    signatures: Mapped[list[AnnexSignature]] = relationship(
        back_populates="annex", order_by="AnnexSignature.id", passive_deletes=True
    )

    @property
    def label(self) -> str:
        """The annex as people name it on its agreement's pages: "Annex 5"."""
        return f"Annex {self.number}"

    @property
    def full_label(self) -> str:
        """The annex as people name it anywhere else (mails, activity, PDFs):
        "Annex 5 of AMS-2026-01". Its database id belongs in URLs only."""
        return f"{self.label} of {self.agreement.code}"

    def __repr__(self) -> str:
        return f"<Annex {self.agreement_id}/{self.number} {self.state}>"


class AnnexApproval(Base):
    """One side's approval of an annex in one review round (a round starts at each submit)."""

    __tablename__ = "annex_approvals"
    __table_args__ = (sa.UniqueConstraint("annex_id", "review_round", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    annex_id: Mapped[int] = mapped_column(sa.ForeignKey("annexes.id", ondelete="CASCADE"))
    review_round: Mapped[int]
    side: Mapped[Side] = mapped_column(str_enum(Side, "approval_side"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "approval_role"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    annex: Mapped[Annex] = relationship(back_populates="approvals")
    user: Mapped[User | None] = relationship(lazy="joined")


class AnnexSignature(Base):
    """One side's signature of an approved annex, given with the signer's password."""

    __tablename__ = "annex_signatures"
    __table_args__ = (sa.UniqueConstraint("annex_id", "review_round", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    annex_id: Mapped[int] = mapped_column(sa.ForeignKey("annexes.id", ondelete="CASCADE"))
    review_round: Mapped[int]
    side: Mapped[Side] = mapped_column(str_enum(Side, "signature_side"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "signature_role"))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    annex: Mapped[Annex] = relationship(back_populates="signatures")
    user: Mapped[User | None] = relationship(lazy="joined")
