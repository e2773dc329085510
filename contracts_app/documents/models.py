from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts_app.accounts.models import User
from contracts_app.db import Base, utcnow
from contracts_app.enums import Role, Side, str_enum


class DocumentState(enum.StrEnum):
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    # Every side it needed has signed off; the signed PDF is being prepared.
    SIGNING = "signing"
    # The signed PDF could not be prepared (``signing_error`` says why); an approver retries.
    SIGNING_FAILED = "signing_failed"
    SIGNED_OFF = "signed_off"


class Document(Base):
    """An issued agreement summary: the data frozen at issue, then the signed PDF.

    ``content`` is the summary's data as of the issue; ``content_hash`` its SHA-256.
    When the last side signs off it is ``signing``: the job queue (or the request, when
    no worker serves) renders, signs and stores the final file. ``signing_claimed_at``
    says when an attempt took it on: a claim older than any attempt can take was
    abandoned (a worker killed), and the periodic job takes it on again. Once signed
    off, ``pdf`` holds the final signed file and ``pdf_sha256`` its hash; the row never
    changes again (a new summary is issued instead).
    """

    __tablename__ = "documents"
    __table_args__ = (
        sa.CheckConstraint(
            "(state = 'signed_off') = (pdf IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name="signed_off_has_pdf",
        ),
        sa.Index("ix_documents_agreement_id_id", "agreement_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date]
    # "summary", or "service_report" for the month ``period`` (YYYY-MM)
    kind: Mapped[str] = mapped_column(sa.String(30), default="summary", server_default="summary")
    period: Mapped[str | None] = mapped_column(sa.String(7))
    state: Mapped[DocumentState] = mapped_column(
        str_enum(DocumentState, "document_state"), default=DocumentState.AWAITING_SIGN_OFF
    )
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    required_sides: Mapped[list[Any]] = mapped_column(default=list)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    signed_at: Mapped[dt.datetime | None]
    signing_claimed_at: Mapped[dt.datetime | None]
    signing_error: Mapped[str | None] = mapped_column(sa.Text)

    agreement = relationship("Agreement")
    issued_by: Mapped[User | None] = relationship()
    sign_offs: Mapped[list[SignOff]] = relationship(
        back_populates="document", order_by="SignOff.id", passive_deletes=True
    )

    @property
    def label(self) -> str:
        """A summary by its date, a service report by its month (two of one day differ)."""
        if self.kind == "service_report":
            return f"Service report {self.period}"
        return f"Summary as of {self.as_of}"


class SignOff(Base):
    """One side's sign-off of an issued summary, given with the signer's password."""

    __tablename__ = "document_sign_offs"
    __table_args__ = (sa.UniqueConstraint("document_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "sign_off_side"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "sign_off_role"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="sign_offs")


class RenderState(enum.StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"


class RenderKind(enum.StrEnum):
    SUMMARY = "summary"  # the live summary of an agreement as of a day, marked draft
    DOCUMENT = "document"  # an issued summary not yet signed off, marked draft


class Render(Base):
    """One PDF render asked for by someone, run by the job worker.

    The result is kept in the row (``pdf``) until ``expires_at``: web servers and workers
    may run on different machines and share only the database, and a draft PDF is a
    few hundred KB. Signed summaries are never rendered here: they are stored bytes.
    ``pages_total`` is known once the layout is done (WeasyPrint lays out every page
    before it writes any), ``pages_done`` once they are written.
    """

    __tablename__ = "renders"
    __table_args__ = (
        sa.CheckConstraint("(state = 'done') = (pdf IS NOT NULL)", name="done_has_pdf"),
        sa.CheckConstraint(
            "(kind = 'document') = (document_id IS NOT NULL)", name="document_kind_names_it"
        ),
        sa.Index("ix_renders_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE")
    )
    kind: Mapped[RenderKind] = mapped_column(str_enum(RenderKind, "render_kind"))
    as_of: Mapped[dt.date]
    state: Mapped[RenderState] = mapped_column(
        str_enum(RenderState, "render_state"), default=RenderState.QUEUED
    )
    pages_done: Mapped[int] = mapped_column(default=0, server_default="0")
    pages_total: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_size: Mapped[int | None]
    filename: Mapped[str] = mapped_column(sa.String(200))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime]

    agreement = relationship("Agreement")
    document: Mapped[Document | None] = relationship()
