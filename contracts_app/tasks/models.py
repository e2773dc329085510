from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, Hours, utcnow
from contracts_app.enums import str_enum
from contracts_app.identifiers import skeleton_default
from workflows.task_states import TaskState, Verdict


class Task(Base):
    """Work the provider is asked to do, with the verdict of its scope check.

    ``verdict_detail`` keeps the whole explained verdict (reasons, candidates, cap
    figures); ``clause_ref`` and ``verdict`` are its indexed parts. ``needs_attention``
    flags an accepted task whose verdict a re-check changed.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "ref"),
        # one ticket is one task, however its ref is spelt (lookalike letters)
        sa.UniqueConstraint("agreement_id", "ref_skeleton"),
        sa.CheckConstraint("hours IS NULL OR hours >= 0", name="hours_not_negative"),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "priced_amount IS NULL OR priced_amount >= 0", name="priced_amount_not_negative"
        ),
        sa.Index("ix_tasks_agreement_id_clause_ref_day", "agreement_id", "clause_ref", "day"),
        sa.Index("ix_tasks_agreement_id_day", "agreement_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(80))
    ref_skeleton: Mapped[str] = mapped_column(sa.Text, default=skeleton_default("ref"))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str | None] = mapped_column(sa.String(100))
    system: Mapped[str | None] = mapped_column(sa.String(100))
    day: Mapped[dt.date]
    hours: Mapped[Decimal | None] = mapped_column(Hours)
    amount: Mapped[Decimal | None]
    # The amount the verdict priced at the clause's rate when the task gave hours and
    # no amount (an amount cap counts it); the entered figures are never changed.
    priced_amount: Mapped[Decimal | None]
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState, "task_state"), index=True)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, "verdict"))
    clause_ref: Mapped[str | None] = mapped_column(sa.String(40))
    scope_version: Mapped[int | None]
    verdict_detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    needs_attention: Mapped[bool] = mapped_column(default=False)
    # values of an imported ticket that no import profile mapping covered (the reasons
    # that keep it in review, tasks/profile_import.py); empty for other tasks
    unmapped: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    proposed_annex_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("annexes.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # ticket times for service levels (all optional); pauses: [{"from": iso, "to": iso}]
    priority: Mapped[str | None] = mapped_column(sa.String(20))
    opened_at: Mapped[dt.datetime | None]
    responded_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    pauses: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    lock_version: Mapped[int] = mapped_column(default=1)

    agreement = relationship("Agreement")
    created_by: Mapped[User | None] = relationship()
    proposed_annex = relationship("Annex")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def label(self) -> str:
        """The task as people name it on its agreement's pages: "Task INC-4711" (its ref
        from the ticket system; the database id belongs in URLs only)."""
        return f"Task {self.ref}"

    @property
    def full_label(self) -> str:
        """The task as people name it anywhere else: "Task INC-4711 of AMS-2026-01"."""
        return f"{self.label} of {self.agreement.code}"


class VerdictChange(Base):
    """A re-check that changed a task's verdict, kept for people to review."""

    __tablename__ = "verdict_changes"
    __table_args__ = (sa.Index("ix_verdict_changes_agreement_id_id", "agreement_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    annex_id: Mapped[int | None] = mapped_column(sa.ForeignKey("annexes.id", ondelete="SET NULL"))
    old_verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, "old_verdict"))
    new_verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, "new_verdict"))
    old_clause: Mapped[str | None] = mapped_column(sa.String(40))
    new_clause: Mapped[str | None] = mapped_column(sa.String(40))
    task_state: Mapped[TaskState] = mapped_column(str_enum(TaskState, "rechecked_task_state"))
    flagged: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    task: Mapped[Task] = relationship(lazy="joined")
    annex = relationship("Annex", lazy="joined")
