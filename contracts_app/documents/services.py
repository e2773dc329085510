"""Agreement summaries: the live draft PDF, issuing, sign-off by each side, signing, verifying.

No database transaction is open while a PDF renders: the data is gathered (or read
from the issued document) and the transaction ended first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app

from contracts_app.accounts.models import User
from contracts_app.accounts.services import confirm_password
from contracts_app.agreements.access import (
    EVERY_ROLE,
    MANAGERS,
    object_for,
    require_role,
)
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.documents.models import Document, DocumentState, SignOff
from contracts_app.documents.render import RENDER_SLOTS, check_renderable, render_pdf
from contracts_app.documents.signing import material_from_config, sign_pdf, signature_problem
from contracts_app.documents.summary import gather_summary
from contracts_app.enums import Role
from contracts_app.errors import Conflict, Forbidden
from contracts_app.formatting import formatting_in
from contracts_app.notifications.triggers import summary_changed
from contracts_app.sorting import Sorting

SIGNERS = frozenset({Role.APPROVER})


def canonical_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def summary_html(
    content: dict[str, Any],
    *,
    document_id: str,
    issued_at: dt.datetime,
    draft: bool,
    sign_offs: list[dict[str, Any]] | None = None,
    required_sides: list[str] | None = None,
    kind: str = "summary",
) -> str:
    template = current_app.jinja_env.get_template(f"pdf/{kind}.html")
    # In the agreement's locale as frozen in the content, never the issuer's or reader's.
    with formatting_in(content.get("agreement", {}).get("locale")):
        return template.render(
            c=content,
            document_id=document_id,
            issued_at=_when(issued_at),
            issued_at_iso=issued_at.isoformat(),
            draft=draft,
            sign_offs=sign_offs or [],
            required_sides=required_sides or [],
        )


def _render(html: str) -> bytes:
    """Refuse what cannot render in time, then render in one of the process's slots."""
    config = current_app.config
    check_renderable(html, config["PDF_MAX_HTML_KB"] * 1024, config["PDF_RENDER_SECONDS"])
    RENDER_SLOTS.configure(config["PDF_RENDER_CONCURRENCY"], config["PDF_RENDER_WAIT_SECONDS"])
    return render_pdf(html, config["PDF_RENDER_SECONDS"])


def _end_transaction() -> None:
    """Release the database (and SQLite's write lock) before a long render."""
    db.session.commit()


def live_summary_html(agreement: Agreement, as_of: dt.date) -> str:
    """The live summary's HTML as of ``as_of``, marked "Draft, not signed off"."""
    content = gather_summary(agreement, as_of)
    return summary_html(
        content, document_id=f"live-{agreement.code}", issued_at=utcnow(), draft=True
    )


def live_summary_pdf(
    agreement: Agreement, membership: Membership | None, actor: User, as_of: dt.date | None = None
) -> bytes:
    """The live summary, marked "Draft, not signed off"; any member may download it."""
    require_role(actor, agreement, membership, EVERY_ROLE)
    html = live_summary_html(agreement, as_of or dt.date.today())
    _end_transaction()
    return _render(html)


def issue_document(
    agreement: Agreement, membership: Membership | None, as_of: dt.date, actor: User
) -> Document:
    """Freeze the summary's data now into a document awaiting sign-off (managers)."""
    require_role(actor, agreement, membership, MANAGERS)
    with unit_of_work():
        content = gather_summary(agreement, as_of)
        document = Document(
            uid=str(uuid.uuid4()),
            agreement_id=agreement.id,
            as_of=as_of,
            content=content,
            content_hash=canonical_hash(content),
            # The sides whose sign-off it needs, by the agreement's rule when issued.
            required_sides=list(agreement.signoff_sides),
            issued_by_id=actor.id,
            issued_at=utcnow(),
        )
        # a document that could never be rendered is not issued
        check_renderable(
            document_html(document, draft=True),
            current_app.config["PDF_MAX_HTML_KB"] * 1024,
            current_app.config["PDF_RENDER_SECONDS"],
        )
        db.session.add(document)
        db.session.flush()
        record(
            "document.issued",
            document,
            actor,
            agreement_id=agreement.id,
            changes={
                "state": {"before": None, "after": document.state.value},
                "as_of": {"before": None, "after": as_of.isoformat()},
            },
        )
        summary_changed(document, actor)
    return document


def document_for(user: User, document_id: int) -> tuple[Document, Membership | None]:
    """The document if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Document, document_id, "document")


DOCUMENT_SORTING = Sorting(
    columns={
        "as_of": Document.as_of,
        "issued": Document.issued_at,
        "state": Document.state,
    },
    default="-issued",
    tiebreaker=Document.id,
)


def list_documents(agreement: Agreement, sort: str | None = None) -> list[Document]:
    """The agreement's documents, latest issued first unless ``sort`` says otherwise."""
    order = DOCUMENT_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Document).where(Document.agreement_id == agreement.id).order_by(*order)
        ).all()
    )


def _sign_off_rows(document: Document) -> list[dict[str, Any]]:
    parties = {
        "customer": document.content["agreement"]["customer"],
        "provider": document.content["agreement"]["provider"],
    }
    return [
        {
            "name": s.name,
            "email": s.email,
            "side": s.side.value,
            "party": parties[s.side.value],
            "role": s.role.value,
            "at": _when(s.signed_at),
        }
        for s in document.sign_offs
    ]


def sign_off_refusal(document: Document, membership: Membership | None) -> Exception | None:
    """Why this member may not sign off the document now (None: they may)."""
    if document.state == DocumentState.SIGNED_OFF:
        return Conflict("This summary is already signed off; issue a new one for changes.")
    if membership is None or membership.role not in SIGNERS:
        return Forbidden("Sign-off is given by an approver of each side.")
    if membership.side.value not in document.required_sides:
        return Forbidden(
            f"This summary needs the sign-off of {' and '.join(document.required_sides)} only."
        )
    if membership.side.value in {s.side.value for s in document.sign_offs}:
        return Conflict(f"The {membership.side.value} side has already signed off.")
    return None


def may_sign_off(document: Document, membership: Membership | None) -> bool:
    return sign_off_refusal(document, membership) is None


def sign_off(document_id: int, actor: User, password: str | None) -> Document:
    """Record the actor's side's sign-off (an approver, with the password again).

    When every required side has signed off, the final PDF is rendered with the
    sign-off page, signed digitally, and stored with its SHA-256; the document never
    changes after that.
    """
    with unit_of_work():
        document, membership = document_for(actor, document_id)
        lock_agreement(document.agreement_id)
        db.session.refresh(document)
        refusal = sign_off_refusal(document, membership)
        if refusal is not None:
            raise refusal
        confirm_password(actor, password)
        assert membership is not None
        document.sign_offs.append(
            SignOff(
                side=membership.side,
                role=membership.role,
                user_id=actor.id,
                name=actor.name,
                email=actor.email,
                signed_at=utcnow(),
            )
        )
        db.session.flush()
        record(
            "document.signed_off",
            document,
            actor,
            agreement_id=document.agreement_id,
            changes={"side": {"before": None, "after": membership.side.value}},
        )
        complete = set(document.required_sides) <= {s.side.value for s in document.sign_offs}
        summary_changed(document, actor)
    if complete:
        finalize(document)
    return document


def document_html(document: Document, *, draft: bool) -> str:
    """An issued summary's HTML: its frozen data, its sign-offs so far."""
    return summary_html(
        document.content,
        document_id=document.uid,
        issued_at=document.issued_at,
        draft=draft,
        sign_offs=_sign_off_rows(document),
        required_sides=list(document.required_sides),
        kind=document.kind or "summary",
    )


def finalize(document: Document) -> Document:
    """Render, sign and store the final PDF (outside any transaction while rendering)."""
    html = document_html(document, draft=False)
    _end_transaction()
    material = material_from_config(current_app.config, current_app.instance_path)
    pdf = _render(html)
    title = "Monthly service report" if document.kind == "service_report" else "Agreement summary"
    signed = sign_pdf(pdf, material, reason=f"{title} {document.uid}")
    with unit_of_work():
        db.session.refresh(document)
        if document.state == DocumentState.SIGNED_OFF:
            return document  # finalized meanwhile by the other side's request
        document.pdf = signed
        document.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        document.state = DocumentState.SIGNED_OFF
        document.signed_at = utcnow()
        record(
            "document.signed",
            document,
            None,
            agreement_id=document.agreement_id,
            changes={
                "state": {
                    "before": DocumentState.AWAITING_SIGN_OFF.value,
                    "after": DocumentState.SIGNED_OFF.value,
                },
                "pdf_sha256": {"before": None, "after": document.pdf_sha256},
            },
        )
    return document


def document_pdf(document: Document) -> bytes:
    """The signed file once signed off; before that, the frozen content as a draft."""
    if document.pdf is not None:
        return document.pdf
    html = document_html(document, draft=True)
    _end_transaction()
    return _render(html)


def verify_pdf(data: bytes) -> dict[str, Any]:
    """Whether ``data`` is, byte for byte, a signed-off summary issued here, and validly signed."""
    digest = hashlib.sha256(data).hexdigest()
    document = db.session.scalar(sa.select(Document).where(Document.pdf_sha256 == digest))
    if document is None:
        return {
            "authentic": False,
            "document_id": None,
            "agreement": None,
            "required_sides": [],
            "signed_off_by": [],
            "reason": "No summary signed off here has exactly this content: "
            "the file was altered or was not issued by this system.",
        }
    material = material_from_config(current_app.config, current_app.instance_path)
    problem = signature_problem(data, material)
    required = list(document.required_sides)
    signed = {s.side.value for s in document.sign_offs}
    missing = [side for side in required if side not in signed]
    if problem is None and missing:
        problem = f"Not signed off by every side it needed: {', '.join(missing)} did not sign off."
    return {
        "authentic": problem is None,
        "document_id": document.uid,
        "agreement": document.content["agreement"]["code"],
        "required_sides": required,
        "signed_off_by": [
            {"name": row["name"], "side": row["side"], "role": row["role"], "at": row["at"]}
            for row in _sign_off_rows(document)
        ],
        "reason": problem
        or f"Issued here, signed off by {' and '.join(required)} as required, unaltered, "
        "with a valid signature.",
    }
