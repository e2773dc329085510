from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.agreements.models import Agreement
from contracts_app.db import Base, utcnow
from contracts_app.enums import Side, str_enum
from workflows.escalation import EscalationState


class Escalation(Base):
    """A matter raised between the sides, with the ball on one side and a deadline.

    It may concern a task, a service level missed in a period, a cap (a clause), or stand
    on its own. ``level`` climbs the agreement's ladder; ``deadline`` is when the side
    holding the ball owes an answer, on the agreement's clock.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "number"),
        sa.CheckConstraint("level >= 1", name="level_positive"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.Index("ix_escalations_agreement_state", "agreement_id", "state"),
        sa.Index("ix_escalations_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[EscalationState] = mapped_column(
        str_enum(EscalationState, "escalation_state"), default=EscalationState.OPEN
    )
    level: Mapped[int] = mapped_column(default=1)
    ball_with: Mapped[Side] = mapped_column(str_enum(Side, "escalation_ball_side"))
    raised_side: Mapped[Side] = mapped_column(str_enum(Side, "escalation_raised_side"))
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    service_level_ref: Mapped[str | None] = mapped_column(sa.String(40))
    clause_ref: Mapped[str | None] = mapped_column(sa.String(40))
    period: Mapped[str | None] = mapped_column(sa.String(7))
    deadline: Mapped[dt.datetime | None]
    proposed_by: Mapped[Side | None] = mapped_column(str_enum(Side, "escalation_proposer"))
    proposed_decision: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    agreement: Mapped[Agreement] = relationship()
    raised_by: Mapped[User | None] = relationship()
    task = relationship("Task")
    messages: Mapped[list[EscalationMessage]] = relationship(
        back_populates="escalation", order_by="EscalationMessage.id", passive_deletes=True
    )
    holds: Mapped[list[BallHold]] = relationship(
        back_populates="escalation", order_by="BallHold.id", passive_deletes=True
    )

    @property
    def label(self) -> str:
        return f"Escalation {self.number}"


class MessageKind(enum.StrEnum):
    MESSAGE = "message"  # from the side holding the ball: passes it
    COMMENT = "comment"  # from the other side: the ball stays
    EVENT = "event"  # an event of the workflow, with its message if any


class EscalationMessage(Base):
    """The thread: every message and every event, in order, written once."""

    __tablename__ = "escalation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "escalation_message_kind"))
    event: Mapped[str | None] = mapped_column(sa.String(30))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[Side | None] = mapped_column(str_enum(Side, "escalation_message_side"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    from_level: Mapped[int | None]
    to_level: Mapped[int | None]
    by_deadline: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class BallHold(Base):
    """One side holding the ball, from ``started_at`` until it passed (``ended_at``).

    ``seconds`` is the time held on the agreement's clock, set when the hold ends; the
    holds of an escalation tile its open time without gap or overlap.
    """

    __tablename__ = "escalation_holds"
    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ordered"),
        sa.Index(
            "uq_escalation_holds_current",
            "escalation_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[Side] = mapped_column(str_enum(Side, "escalation_hold_side"))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    seconds: Mapped[int | None]

    escalation: Mapped[Escalation] = relationship(back_populates="holds")
